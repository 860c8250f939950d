/**
 * Fuzz target (issue 11): the decoders of the HQ sync topics (protocol/sync/messages.ts): events (HQ reads them),
 * ack and resend (the kiosk reads them), state and telemetry (HQ's fleet view). Inputs: valid messages of each
 * kind, mutated and glued; arbitrary text; JSON nested far past the depth limit.
 * Asserted: each decoder returns a typed message or throws KioskError PROTOCOL with a bounded message — never
 * anything else (no RangeError from a deep value in an error message).
 */
import fc from 'fast-check';
import { parseAck, parseEvent, parseResend, parseState, parseTelemetry } from '../../protocol/sync/messages';
import { onlyKioskErrors, params, textFrom } from '../support/fuzz';

const h = 'a'.repeat(64);
const SAMPLES = [
  JSON.stringify({ v: 1, storeId: 's1', deviceId: 'd1', seq: 5, ts: 1700000000000, orderId: 'o1', type: 'item_added', payload: '{"a":1}', prevHash: h, hash: h }),
  // v2: the payload as JSON (re-canonicalised by the decoder)
  JSON.stringify({ v: 2, storeId: 's1', deviceId: 'd1', seq: 5, ts: 1700000000000, orderId: null, type: 'item_added', payload: { a: [1, { b: 'ü' }], n: 1e21 }, prevHash: h, hash: h, hashStoreId: 's1' }),
  JSON.stringify({ v: 1, seq: 5, hash: h }),
  JSON.stringify({ v: 1, seq: 5 }),
  JSON.stringify({ v: 1, fromSeq: 3 }),
  JSON.stringify({ v: 1, online: true, ts: 1, software: 'kiosk-runtime/0.1.0', configVersion: null, pricebookVersion: 'v1', counters: { orders: 3 } }),
  JSON.stringify({ v: 1, online: false }),
  JSON.stringify({ v: 1, ts: 1, backlog: 0, uptimeS: 5, disk: { free: 1 }, devices: { scanner: 'ok' } }),
];
const deep = fc.tuple(fc.constantFrom('v', 'seq', 'fromSeq', 'online', 'storeId'), fc.integer({ min: 65, max: 4000 })).map(([k, n]) => `{"v":1,"${k}":${'['.repeat(n)}${']'.repeat(n)}}`);
const DECODERS = [parseEvent, parseAck, parseResend, parseState, parseTelemetry];

describe('fuzz: sync message decoders', () => {
  it('a message or PROTOCOL, for text and bytes', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 9, arbitrary: textFrom(SAMPLES, 300) }, { weight: 1, arbitrary: deep }), (text) => {
        for (const decode of DECODERS) {
          onlyKioskErrors(['PROTOCOL'], () => decode(text));
          onlyKioskErrors(['PROTOCOL'], () => decode(Buffer.from(text, 'utf8')));
        }
      }),
      params,
    );
  });
});
