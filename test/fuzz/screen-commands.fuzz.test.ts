/**
 * Fuzz target (issue 11): commands from the shopper's screen over the WebSocket (runtime/screen/client-messages.ts
 * `parseClientMessage`). Inputs: every command kind, valid, then mutated and glued; arbitrary text; frames nested
 * past the depth limit or over the frame size.
 * Asserted: never throws; either a message of the exact schema or an error with a bounded text and an id only
 * when the client could have sent it.
 */
import fc from 'fast-check';
import { MAX_FRAME_BYTES, parseClientMessage } from '../../runtime/screen/client-messages';
import { params, textFrom } from '../support/fuzz';

const cmd = (id: number, command: object) => JSON.stringify({ type: 'command', id, command });
const SAMPLES = [
  cmd(1, { kind: 'language', lang: 'en' }),
  cmd(2, { kind: 'pay', method: 'card' }),
  cmd(3, { kind: 'request_void', lineId: 'L12' }),
  cmd(4, { kind: 'receipt', choice: 'print' }),
  cmd(5, { kind: 'attendant_pin', pin: '123456' }),
  cmd(6, { kind: 'attendant_refund', orderId: 'ord_1', lineIds: ['L1', 'L2'] }),
  cmd(7, { kind: 'attendant_lane', open: false }),
  cmd(8, { kind: 'attendant_resolve', outcome: 'declined' }),
];
const deep = fc.integer({ min: 9, max: 2000 }).map((n) => `{"type":"command","id":1,"command":${'['.repeat(n)}${']'.repeat(n)}}`);
const big = fc.integer({ min: MAX_FRAME_BYTES - 10, max: MAX_FRAME_BYTES * 4 }).map((n) => cmd(1, { kind: 'pay', method: 'x'.repeat(n) }));

describe('fuzz: screen commands', () => {
  it('a valid message or a bounded error, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 8, arbitrary: textFrom(SAMPLES, 300) }, { weight: 1, arbitrary: deep }, { weight: 1, arbitrary: big }), (raw) => {
        const r = parseClientMessage(raw);
        if ('error' in r) {
          expect(r.error.length).toBeLessThanOrEqual(600);
          if (r.id !== null) expect(Number.isSafeInteger(r.id) && r.id >= 0).toBe(true);
        } else {
          expect(r.type).toBe('command');
          expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
        }
      }),
      params,
    );
  });
});
