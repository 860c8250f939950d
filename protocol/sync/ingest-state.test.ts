import { INGEST_STATE_TOPIC, MAX_INGEST_STATE_BYTES, encodeIngestState, parseIngestState } from './ingest-state';

describe('HQ ingest birth (kiosk/v1/_hq/ingest)', () => {
  it('round-trips what HqIngest publishes', () => {
    expect(INGEST_STATE_TOPIC).toBe('kiosk/v1/_hq/ingest');
    const b = encodeIngestState({ at: 1_767_258_000_123, id: 'AbC_-9' });
    expect(JSON.parse(b.toString())).toEqual({ v: 1, online: true, at: 1_767_258_000_123, id: 'AbC_-9' });
    expect(parseIngestState(b)).toEqual({ v: 1, online: true, at: 1_767_258_000_123, id: 'AbC_-9' });
    expect(parseIngestState(new Uint8Array(b))).toEqual(parseIngestState(b)); // a Uint8Array from the uplink worker too
  });

  it('refuses to encode a bad id or time', () => {
    expect(() => encodeIngestState({ at: 1, id: '' })).toThrow(TypeError);
    expect(() => encodeIngestState({ at: 1, id: 'has/slash' })).toThrow(TypeError);
    expect(() => encodeIngestState({ at: -1, id: 'a' })).toThrow(TypeError);
    expect(() => encodeIngestState({ at: 1.5, id: 'a' })).toThrow(TypeError);
  });

  const ok = { v: 1, online: true, at: 5, id: 'x1' };
  it.each([
    ['empty (cleared retained)', ''],
    ['not JSON', '{"v":1,'],
    ['not UTF-8 JSON', Buffer.from([0xff, 0xfe, 0x00])],
    ['null', 'null'],
    ['an array', '[1,2]'],
    ['a number', '42'],
    ['v 2', { ...ok, v: 2 }],
    ['v as string', { ...ok, v: '1' }],
    ['online missing', { v: 1, at: 5, id: 'x1' }],
    ['online as string', { ...ok, online: 'true' }],
    ['at as string', { ...ok, at: '5' }],
    ['at negative', { ...ok, at: -5 }],
    ['at fractional', { ...ok, at: 5.5 }],
    ['at unsafe', { ...ok, at: 2 ** 60 }],
    ['id missing', { v: 1, online: true, at: 5 }],
    ['id a number', { ...ok, id: 7 }],
    ['id empty', { ...ok, id: '' }],
    ['id too long', { ...ok, id: 'a'.repeat(65) }],
    ['id with a topic char', { ...ok, id: 'a/b' }],
    ['oversized', { ...ok, pad: 'p'.repeat(MAX_INGEST_STATE_BYTES) }],
  ])('ignores %s (null, never throws)', (_name, payload) => {
    const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    expect(parseIngestState(bytes)).toBeNull();
  });

  it('keeps an offline birth as offline, and ignores extra fields within the size bound', () => {
    expect(parseIngestState(Buffer.from(JSON.stringify({ ...ok, online: false })))?.online).toBe(false);
    expect(parseIngestState(Buffer.from(JSON.stringify({ ...ok, extra: 'e' })))).toEqual(ok);
  });
});
