import { encodeAck, encodeEvent, parseAck, parseEvent, parseResend } from './sync/messages';
import { ackTopic, deviceTopic, eventsTopic, fleetFilter, parseTopic, sharedFilter } from './topics';
import { chain } from '../test/support/sync-fixtures';

describe('sync topics', () => {
  it('builds topics under kiosk/v1/{store}/{device}/ and parses them back', () => {
    expect(eventsTopic('S1', 'K1')).toBe('kiosk/v1/S1/K1/events');
    expect(ackTopic('S1', 'K1')).toBe('kiosk/v1/S1/K1/ack');
    for (const leaf of ['events', 'ack', 'resend', 'state', 'telemetry'] as const) {
      expect(parseTopic(deviceTopic('store-7', 'lane_3', leaf))).toEqual({ storeId: 'store-7', deviceId: 'lane_3', leaf });
    }
  });

  it('refuses ids with wildcard or level characters', () => {
    for (const bad of ['', 'a/b', 'a+', '#', '$SYS']) {
      expect(() => eventsTopic(bad, 'K1')).toThrow(TypeError);
      expect(() => eventsTopic('S1', bad)).toThrow(TypeError);
    }
  });

  it('parseTopic returns null for anything that is not exactly one of ours', () => {
    for (const t of ['kiosk/v1/S1/K1', 'kiosk/v2/S1/K1/events', 'kiosk/v1/S1/K1/events/x', 'kiosk/v1/+/K1/events', 'kiosk/v1/S1/#/events', 'kiosk/v1/S1/K1/other', 'kiosk/v1//K1/events']) {
      expect(parseTopic(t)).toBeNull();
    }
  });

  it('builds fleet and shared filters', () => {
    expect(fleetFilter('events')).toBe('kiosk/v1/+/+/events');
    expect(sharedFilter('g', fleetFilter('events'))).toBe('$share/g/kiosk/v1/+/+/events');
    expect(() => sharedFilter('a/b', 'x')).toThrow(TypeError);
  });
});

describe('sync messages', () => {
  it('round-trips an event: v1 with its payload as canonical JSON text, v2 (the default) with it as JSON', () => {
    const [e] = chain('S1', 'K1', 1);
    const { v: _v, storeId: _s, ...entry } = e;
    const v1 = encodeEvent('S1', entry, 1);
    expect(JSON.parse(v1)).toEqual({ v: 1, storeId: 'S1', deviceId: 'K1', seq: 1, ts: e.ts, orderId: 'o1', type: 'order_completed', payload: '{"total":1}', prevHash: e.prevHash, hash: e.hash });
    expect(parseEvent(v1)).toEqual(e);
    const v2 = encodeEvent('S1', entry);
    expect(JSON.parse(v2)).toEqual({ v: 2, storeId: 'S1', deviceId: 'K1', seq: 1, ts: e.ts, orderId: 'o1', type: 'order_completed', payload: { total: 1 }, prevHash: e.prevHash, hash: e.hash });
    expect(parseEvent(v2)).toEqual({ ...e, v: 2 });
  });

  it('rejects malformed events and acks with a PROTOCOL error', () => {
    const [e] = chain('S1', 'K1', 1);
    for (const bad of [{ ...e, v: 3 }, { ...e, v: '2' }, { ...e, seq: 0 }, { ...e, payload: {} }, { ...e, v: 2, payload: undefined }, { ...e, hash: 'x' }, { ...e, orderId: 5 }]) {
      expect(() => parseEvent(JSON.stringify(bad))).toThrow(/malformed event/);
    }
    const h = 'ab'.repeat(32);
    expect(parseAck(encodeAck(12, h))).toEqual({ v: 1, seq: 12, hash: h });
    expect(JSON.parse(encodeAck(12, h))).toEqual({ v: 1, seq: 12, hash: h });
    for (const bad of ['', '[]', '{"v":1}', '{"v":1,"seq":-1}', '{"v":1,"seq":1.5}', '{"seq":3}']) {
      expect(() => parseAck(bad)).toThrow(expect.objectContaining({ code: 'PROTOCOL' }));
    }
    expect(parseResend('{"v":1,"fromSeq":6}').fromSeq).toBe(6);
  });

  it('accepts only a strict ack {v:1, seq, hash}: every malformed shape is a PROTOCOL error naming its seq when it has one', () => {
    const h = 'ab'.repeat(32);
    const cases: [string, number | undefined, RegExp][] = [
      ['{"v":1,"seq":999999}', 999999, /hash missing/],
      [JSON.stringify({ v: 1, seq: 5, hash: h.toUpperCase() }), 5, /hex/],
      [JSON.stringify({ v: 1, seq: 5, hash: h.slice(1) }), 5, /hex/],
      [JSON.stringify({ v: 1, seq: 5, hash: 7 }), 5, /hex/],
      [JSON.stringify({ v: 1, seq: 5, hash: h, extra: true }), 5, /unexpected field "extra"/],
      [JSON.stringify({ v: 1, seq: 0, hash: h }), undefined, /positive integer/],
      [JSON.stringify({ v: 1, seq: '5', hash: h }), undefined, /positive integer/],
      [JSON.stringify({ v: 1, seq: 2 ** 53, hash: h }), undefined, /positive integer/],
      [JSON.stringify({ v: 2, seq: 5, hash: h }), undefined, /unsupported version/],
      [JSON.stringify({ v: 1, seq: 5, hash: h, pad: 'x'.repeat(300) }), undefined, /bytes/],
      ['null', undefined, /not a JSON object/],
      ['{"v":1,"seq":5,"hash":"' + h + '"', undefined, /not JSON/],
    ];
    for (const [text, seq, why] of cases) {
      let err: unknown;
      try {
        parseAck(Buffer.from(text));
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'PROTOCOL', message: expect.stringMatching(why) });
      expect((err as { details: Record<string, unknown> }).details.seq).toBe(seq);
    }
    expect(() => parseResend('{"v":1,"fromSeq":0}')).toThrow(/malformed resend/);
  });
});
