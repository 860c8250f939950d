import fc from 'fast-check';
import type { ClientMessage, ScreenCommand } from '../../protocol/screen';
import { MAX_FRAME_BYTES, parseClientMessage } from './client-messages';

type Parsed = ReturnType<typeof parseClientMessage>;
const isError = (r: Parsed): r is { error: string; id: number | null } => 'error' in r;

/** Valid examples of every command kind (the mapped type makes the compiler insist on every kind of the protocol). */
const VALID: { [K in ScreenCommand['kind']]: Extract<ScreenCommand, { kind: K }>[] } = {
  language: [
    { kind: 'language', lang: 'en' },
    { kind: 'language', lang: 'zh-CN' },
  ],
  start: [{ kind: 'start' }],
  checkout: [{ kind: 'checkout' }],
  back_to_shopping: [{ kind: 'back_to_shopping' }],
  pay: [
    { kind: 'pay', method: 'card' },
    { kind: 'pay', method: 'qr' },
    { kind: 'pay', method: 'cash' },
    { kind: 'pay', method: 'a' },
    { kind: 'pay', method: 'x'.repeat(32) },
    { kind: 'pay', method: 'gift_card' },
  ],
  help: [{ kind: 'help' }],
  cancel_payment: [{ kind: 'cancel_payment' }],
  still_here: [{ kind: 'still_here' }],
  request_void: [
    { kind: 'request_void', lineId: 'L1' },
    { kind: 'request_void', lineId: 'L999999' },
  ],
  use_points: [
    { kind: 'use_points', use: true },
    { kind: 'use_points', use: false },
  ],
  receipt: [
    { kind: 'receipt', choice: 'print' },
    { kind: 'receipt', choice: 'e_receipt' },
    { kind: 'receipt', choice: 'none' },
  ],
  done: [{ kind: 'done' }],
  attendant_open: [{ kind: 'attendant_open' }],
  attendant_close: [{ kind: 'attendant_close' }],
  attendant_pin: [
    { kind: 'attendant_pin', pin: '0000' },
    { kind: 'attendant_pin', pin: '123456789012' },
  ],
  attendant_approve: [{ kind: 'attendant_approve' }],
  attendant_reject: [{ kind: 'attendant_reject' }],
  attendant_cancel_order: [{ kind: 'attendant_cancel_order' }],
  attendant_resolve: [
    { kind: 'attendant_resolve', outcome: 'approved' },
    { kind: 'attendant_resolve', outcome: 'declined' },
  ],
  attendant_recheck: [{ kind: 'attendant_recheck' }],
  attendant_tab: [
    { kind: 'attendant_tab', tab: 'order' },
    { kind: 'attendant_tab', tab: 'orders' },
    { kind: 'attendant_tab', tab: 'lane' },
  ],
  attendant_void_line: [{ kind: 'attendant_void_line', lineId: 'L12' }],
  attendant_lane: [
    { kind: 'attendant_lane', open: true },
    { kind: 'attendant_lane', open: false },
  ],
  attendant_health: [{ kind: 'attendant_health' }],
  attendant_reprint: [{ kind: 'attendant_reprint', orderId: 'ord_01-ABC' }],
  attendant_refund: [
    { kind: 'attendant_refund', orderId: 'ord1' },
    { kind: 'attendant_refund', orderId: 'ord1', lineIds: ['L1'] },
    { kind: 'attendant_refund', orderId: 'ord1', lineIds: ['L1', 'L2', 'L3'] },
  ],
  attendant_refund_recheck: [{ kind: 'attendant_refund_recheck' }],
  attendant_refund_decide: [
    { kind: 'attendant_refund_decide', refundAttemptId: '0b6e7c1e-8f1a-4c5e-9d3b-2a7f6e1c9d40', outcome: 'refunded' },
    { kind: 'attendant_refund_decide', refundAttemptId: 'ra1', outcome: 'not_refunded' },
  ],
  attendant_return: [
    { kind: 'attendant_return', orderId: 'ord1', returnId: 'lane-0b6e7c1e-8f1a-4c5e-9d3b-2a7f6e1c9d40', reason: 'defective' },
    { kind: 'attendant_return', orderId: 'ord1', returnId: 'r:1', reason: 'wrong-item', lineIds: ['L1', 'L2'] },
    { kind: 'attendant_return', orderId: 'ord1', returnId: 'x'.repeat(128), reason: 'a' },
  ],
};

const ALL_VALID: ScreenCommand[] = Object.values(VALID).flat();
const frame = (command: unknown, id: unknown = 7, extra: Record<string, unknown> = {}) => JSON.stringify({ type: 'command', id, command, ...extra });

describe('parseClientMessage', () => {
  describe('every valid command kind parses to exactly the message sent', () => {
    it.each(ALL_VALID.map((c) => [JSON.stringify(c), c] as const))('%s', (_name, command) => {
      const r = parseClientMessage(frame(command, 42));
      expect(r).toEqual({ type: 'command', id: 42, command });
    });
  });

  it('accepts ids from 0 to Number.MAX_SAFE_INTEGER', () => {
    for (const id of [0, 1, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
      expect(parseClientMessage(frame({ kind: 'start' }, id))).toEqual({ type: 'command', id, command: { kind: 'start' } });
    }
  });

  it('accepts surrounding whitespace and any key order', () => {
    const raw = ` \n{"command":{"kind":"help"},"id":3,"type":"command"}\t `;
    expect(parseClientMessage(raw)).toEqual({ type: 'command', id: 3, command: { kind: 'help' } });
  });

  describe('invalid commands are refused with an error text and the id echoed', () => {
    const bad: [string, unknown][] = [
      ['unknown kind', { kind: 'open_cash_drawer' }],
      ['prototype name as kind', { kind: 'toString' }],
      ['kind in another case', { kind: 'START' }],
      ['no kind', {}],
      ['kind not a string', { kind: 1 }],
      ['extra field on a bare command', { kind: 'start', force: true }],
      ['extra field on a command with fields', { kind: 'language', lang: 'en', also: 'zh-CN' }],
      ['__proto__ field', JSON.parse('{"kind":"start","__proto__":{"x":1}}')],
      ['missing field', { kind: 'language' }],
      ['unknown language', { kind: 'language', lang: 'fr' }],
      ['language wrong type', { kind: 'language', lang: 1 }],
      ['pay: method with upper case', { kind: 'pay', method: 'Card' }],
      ['pay: method too long', { kind: 'pay', method: 'x'.repeat(33) }],
      ['pay: empty method', { kind: 'pay', method: '' }],
      ['pay: method not a string', { kind: 'pay', method: ['card'] }],
      ['request_void: bad line id', { kind: 'request_void', lineId: 'X1' }],
      ['use_points: not a boolean', { kind: 'use_points', use: 'yes' }],
      ['use_points: a number of points (the lane decides how many)', { kind: 'use_points', use: true, points: 999999 }],
      ['request_void: line id too long', { kind: 'request_void', lineId: 'L1234567' }],
      ['request_void: line id with newline', { kind: 'request_void', lineId: 'L1\n' }],
      ['request_void: numeric line id', { kind: 'request_void', lineId: 1 }],
      ['receipt: unknown choice', { kind: 'receipt', choice: 'email' }],
      ['attendant_pin: too short', { kind: 'attendant_pin', pin: '123' }],
      ['attendant_pin: too long', { kind: 'attendant_pin', pin: '1234567890123' }],
      ['attendant_pin: letters', { kind: 'attendant_pin', pin: '12ab' }],
      ['attendant_pin: trailing newline', { kind: 'attendant_pin', pin: '1234\n' }],
      ['attendant_pin: number', { kind: 'attendant_pin', pin: 1234 }],
      ['attendant_resolve: unknown outcome', { kind: 'attendant_resolve', outcome: 'maybe' }],
      ['attendant_tab: unknown tab', { kind: 'attendant_tab', tab: 'settings' }],
      ['attendant_lane: not a boolean', { kind: 'attendant_lane', open: 'true' }],
      ['attendant_reprint: bad order id', { kind: 'attendant_reprint', orderId: '../x' }],
      ['attendant_reprint: order id too long', { kind: 'attendant_reprint', orderId: 'a'.repeat(65) }],
      ['attendant_refund: empty line list', { kind: 'attendant_refund', orderId: 'o1', lineIds: [] }],
      ['attendant_refund: too many lines', { kind: 'attendant_refund', orderId: 'o1', lineIds: Array.from({ length: 201 }, (_, i) => `L${i}`) }],
      ['attendant_refund: bad line id', { kind: 'attendant_refund', orderId: 'o1', lineIds: ['L1', 'x'] }],
      ['attendant_refund_decide: unknown outcome', { kind: 'attendant_refund_decide', refundAttemptId: 'ra1', outcome: 'declined' }],
      ['attendant_refund_decide: bad attempt id', { kind: 'attendant_refund_decide', refundAttemptId: '../x', outcome: 'refunded' }],
      ['attendant_refund_decide: no attempt id', { kind: 'attendant_refund_decide', outcome: 'refunded' }],
      ['attendant_return: no reason', { kind: 'attendant_return', orderId: 'o1', returnId: 'r1' }],
      ['attendant_return: no return id', { kind: 'attendant_return', orderId: 'o1', reason: 'defective' }],
      ['attendant_return: return id too long', { kind: 'attendant_return', orderId: 'o1', returnId: 'x'.repeat(129), reason: 'defective' }],
      ['attendant_return: return id with a space', { kind: 'attendant_return', orderId: 'o1', returnId: 'r 1', reason: 'defective' }],
      ['attendant_return: reason not an id', { kind: 'attendant_return', orderId: 'o1', returnId: 'r1', reason: '<b>' }],
      ['attendant_return: amount (not taken from a screen)', { kind: 'attendant_return', orderId: 'o1', returnId: 'r1', reason: 'defective', amount: 5 }],
      ['command is null', null],
      ['command is a string', 'start'],
      ['command is an array', [{ kind: 'start' }]],
    ];

    it.each(bad)('%s', (_name, command) => {
      const raw = frame(command, 11);
      if (Buffer.byteLength(raw) > MAX_FRAME_BYTES) throw new Error('test frame too large');
      const r = parseClientMessage(raw);
      expect(isError(r)).toBe(true);
      expect(r).toEqual({ error: expect.stringMatching(/^invalid command: /), id: 11 });
    });
  });

  describe('invalid envelopes', () => {
    it.each([
      ['wrong type', { type: 'view', id: 5, command: { kind: 'start' } }, 5],
      ['missing type', { id: 5, command: { kind: 'start' } }, 5],
      ['extra top-level field', { type: 'command', id: 5, command: { kind: 'start' }, token: 'x' }, 5],
      ['__proto__ at top level', JSON.parse('{"type":"command","id":5,"command":{"kind":"start"},"__proto__":{}}'), 5],
      ['missing command', { type: 'command', id: 5 }, 5],
      ['negative id (not echoed: -1 means "no id")', { type: 'command', id: -1, command: { kind: 'start' } }, null],
      ['fractional id (not echoed)', { type: 'command', id: 1.5, command: { kind: 'start' } }, null],
      ['unsafe integer id (not echoed)', { type: 'command', id: Number.MAX_SAFE_INTEGER + 1, command: { kind: 'start' } }, null],
      ['string id (not echoed)', { type: 'command', id: '5', command: { kind: 'start' } }, null],
      ['null id (not echoed)', { type: 'command', id: null, command: { kind: 'start' } }, null],
      ['missing id', { type: 'command', command: { kind: 'start' } }, null],
    ])('%s', (_name, value, id) => {
      const r = parseClientMessage(JSON.stringify(value));
      expect(r).toEqual({ error: expect.stringMatching(/^invalid command: /), id });
    });

    it('an id too large for a double (1e400 = Infinity) is not echoed', () => {
      const r = parseClientMessage('{"type":"command","id":1e400,"command":{"kind":"start"}}');
      expect(r).toEqual({ error: expect.stringMatching(/^invalid command: /), id: null });
    });

    it.each([
      ['array', '[]'],
      ['array of a valid message', `[${frame({ kind: 'start' })}]`],
      ['null', 'null'],
      ['number', '42'],
      ['string', '"command"'],
      ['boolean', 'true'],
    ])('top-level %s is refused without an id', (_name, raw) => {
      expect(parseClientMessage(raw)).toEqual({ error: expect.stringMatching(/^invalid command: \(root\) /), id: null });
    });

    it.each([
      ['empty', ''],
      ['whitespace', '   '],
      ['truncated', frame({ kind: 'start' }).slice(0, -1)],
      ['single quotes', "{'type':'command'}"],
      ['trailing comma', '{"type":"command","id":1,"command":{"kind":"start"},}'],
      ['two messages', frame({ kind: 'start' }) + frame({ kind: 'help' })],
      ['NaN', 'NaN'],
      ['undefined', 'undefined'],
      ['raw control char in a string', '{"type":"command","id":1,"command":{"kind":"pay","method":"card\n"}}'],
    ])('non-JSON (%s) is refused as "not JSON" with no id', (_name, raw) => {
      expect(parseClientMessage(raw)).toEqual({ error: 'not JSON', id: null });
    });
  });

  describe('frame size', () => {
    /** A valid frame padded with trailing spaces to exactly `bytes` bytes. */
    const padded = (bytes: number) => {
      const f = frame({ kind: 'start' }, 9);
      return f + ' '.repeat(bytes - Buffer.byteLength(f));
    };

    it('exactly MAX_FRAME_BYTES is read', () => {
      expect(MAX_FRAME_BYTES).toBe(4096);
      expect(parseClientMessage(padded(MAX_FRAME_BYTES))).toEqual({ type: 'command', id: 9, command: { kind: 'start' } });
    });

    it('one byte more is refused unread (no id, even though one is present)', () => {
      expect(parseClientMessage(padded(MAX_FRAME_BYTES + 1))).toEqual({ error: 'frame too large', id: null });
    });

    it('the limit is in UTF-8 bytes, not characters', () => {
      const f = frame({ kind: 'pay', method: 'card' }, 1, {});
      // 1400 three-byte characters: fewer than 4096 characters, more than 4096 bytes
      const raw = f.slice(0, -1) + `,"note":"${'中'.repeat(1400)}"}`;
      expect(raw.length).toBeLessThan(MAX_FRAME_BYTES);
      expect(Buffer.byteLength(raw)).toBeGreaterThan(MAX_FRAME_BYTES);
      expect(parseClientMessage(raw)).toEqual({ error: 'frame too large', id: null });
    });

    it('a huge frame is refused without parsing', () => {
      expect(parseClientMessage('{' + ' '.repeat(1_000_000))).toEqual({ error: 'frame too large', id: null });
    });
  });

  describe('properties (fast-check)', () => {
    const check = (raw: string) => {
      let r: Parsed | undefined;
      expect(() => {
        r = parseClientMessage(raw);
      }).not.toThrow();
      if (isError(r!)) {
        expect(typeof r.error).toBe('string');
        expect(r.error.length).toBeGreaterThan(0);
        expect(r.id === null || typeof r.id === 'number').toBe(true);
      } else {
        const m: ClientMessage = r!;
        expect(m.type).toBe('command');
        expect(Number.isSafeInteger(m.id) && m.id >= 0).toBe(true);
        expect(ALL_VALID.map((c) => c.kind)).toContain(m.command.kind);
      }
      return r!;
    };

    it('never throws on arbitrary strings', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 200 }), (s) => {
          check(s);
        }),
        { numRuns: 500 },
      );
    });

    it('never throws on arbitrary full-unicode strings (including lone surrogates and long inputs)', () => {
      fc.assert(
        fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', minLength: 1300, maxLength: 5000 })), (s) => {
          check(s);
        }),
        { numRuns: 300 },
      );
    });

    it('never throws on arbitrary JSON values, stringified', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (v) => {
          check(JSON.stringify(v));
        }),
        { numRuns: 500 },
      );
    });

    it('never throws on near-miss messages and echoes an id that is a safe non-negative integer', () => {
      const command = fc.oneof(fc.constantFrom(...ALL_VALID), fc.record({ kind: fc.oneof(fc.string(), fc.constantFrom(...ALL_VALID.map((c) => c.kind))) }), fc.jsonValue());
      const id = fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null));
      const extra = fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 2 });
      fc.assert(
        fc.property(command, id, extra, fc.boolean(), (c, i, x, withExtra) => {
          const value = { type: 'command', id: i, command: c, ...(withExtra ? x : {}) };
          const raw = JSON.stringify(value);
          const r = check(raw);
          if (isError(r) && Buffer.byteLength(raw) <= MAX_FRAME_BYTES) {
            const sentId = (JSON.parse(raw) as { id?: unknown }).id;
            expect(r.id).toBe(typeof sentId === 'number' && Number.isSafeInteger(sentId) && sentId >= 0 ? sentId : null);
          }
        }),
        { numRuns: 500 },
      );
    });

    it('every valid command survives a JSON round trip unchanged', () => {
      fc.assert(
        fc.property(fc.constantFrom(...ALL_VALID), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (c, id) => {
          expect(parseClientMessage(frame(c, id))).toEqual({ type: 'command', id, command: c });
        }),
      );
    });
  });
});
