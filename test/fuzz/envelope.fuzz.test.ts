/**
 * Fuzz target (issue 11): signed envelopes (protocol/signed-envelope.ts `verifyEnvelope`), the gate every config
 * bundle, command and price-book manifest from HQ passes. Inputs: validly signed envelopes of each kind, mutated
 * byte-wise (their JSON mostly survives, so the later checks run), glued; arbitrary text; and JSON values nested
 * far past the depth limit.
 * Asserted: never throws; a refusal has a known reason and a bounded detail; whatever is accepted is exactly what
 * was signed (a mutation that verifies changed only insignificant bytes such as whitespace).
 */
import fc from 'fast-check';
import { canonicalJson } from '../../kernel/canonical-json';
import { verifyEnvelope } from '../../protocol/signed-envelope';
import { memoryTrust, signed, T0, testKey } from '../support/trust';
import { MAX_MESSAGE, params, textFrom } from '../support/fuzz';

const hq = testKey();
const trust = memoryTrust(hq);
const SIGNED = [
  signed(hq, { body: { tax: { rate: 0.09 }, device: { name: 'Lane 7' } }, version: 3 }),
  signed(hq, { kind: 'command', scope: { kind: 'device', store: 's1', device: 'd1' }, body: { id: 'c1', name: 'lock', args: { reason: 'x' } } }),
  signed(hq, { kind: 'pricebook', scope: { kind: 'store', store: 's1' }, body: { version: 'v1', kind: 'full', chunkCount: 0, items: 0, chunks: [], sha256: '0'.repeat(64) } }),
];
const canonicalOf = new Set(SIGNED.map((s) => canonicalJson(JSON.parse(s))));
const REASONS = ['malformed', 'unknown_key', 'bad_signature', 'wrong_scope', 'expired', 'not_yet_valid', 'not_newer', 'invalid_body', 'already_executed', 'wrong_kind'];
const deep = fc.integer({ min: 65, max: 4000 }).map((n) => SIGNED[0].replace('"body":', `"body":${'['.repeat(n)}`).replace(',"expiresAt"', `${']'.repeat(n)},"expiresAt"`));

describe('fuzz: signed envelopes', () => {
  it('never throws; refusals bounded; only what was signed verifies', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 9, arbitrary: textFrom(SIGNED, 400) }, { weight: 1, arbitrary: deep }), fc.boolean(), (text, asBytes) => {
        const r = verifyEnvelope(asBytes ? Buffer.from(text, 'utf8') : text, trust, T0, { appliedVersion: 1, body: () => null });
        if (r.ok) expect(canonicalOf.has(canonicalJson(r.envelope))).toBe(true);
        else {
          expect(REASONS).toContain(r.reason);
          expect(r.detail.length).toBeLessThanOrEqual(MAX_MESSAGE);
        }
      }),
      params,
    );
  });
});
