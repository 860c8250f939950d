import { newestManifest, type ManifestCandidate } from './newest-manifest';

const dev = (issuedAt: number | null, version: string | null, verified = true): ManifestCandidate => ({ level: 'device', verified, issuedAt, version });
const sto = (issuedAt: number | null, version: string | null, verified = true): ManifestCandidate => ({ level: 'store', verified, issuedAt, version });
const pick = (d: ManifestCandidate | null, s: ManifestCandidate | null) => newestManifest(d, s)?.level ?? null;

describe('newestManifest: the manifest HQ published last wins', () => {
  test('one level only: that one; none: none', () => {
    expect(pick(dev(1, 'v1'), null)).toBe('device');
    expect(pick(null, sto(1, 'v1'))).toBe('store');
    expect(pick(null, null)).toBeNull();
  });

  test('a store publish after a batch push wins, whatever the versions say', () => {
    expect(pick(dev(1_000, 'v2'), sto(2_000, 'v3'))).toBe('store');
    // the store's book signed later wins even with a version that sorts lower (the receiver then decides on it)
    expect(pick(dev(1_000, 'v9'), sto(2_000, 'v3'))).toBe('store');
  });

  test('a batch push after the store publish wins again', () => {
    expect(pick(dev(3_000, 'v3'), sto(2_000, 'v3'))).toBe('device');
    expect(pick(dev(3_000, 'v2'), sto(2_000, 'v3'))).toBe('device');
  });

  test('equal or unknown times: the newer version, then the device level', () => {
    expect(pick(dev(5, 'v10'), sto(5, 'v9'))).toBe('device');
    expect(pick(dev(5, 'v9'), sto(5, 'v10'))).toBe('store');
    expect(pick(dev(null, 'v2'), sto(7, 'v3'))).toBe('store');
    expect(pick(dev(null, '2026-11-22.10'), sto(null, '2026-11-22.9'))).toBe('device');
    expect(pick(dev(5, 'v4'), sto(5, 'v4'))).toBe('device');
  });

  test('a manifest that did not verify never hides one that did, however new it claims to be', () => {
    expect(pick(dev(9_999, 'v99', false), sto(1, 'v1'))).toBe('store');
    expect(pick(dev(1, 'v1'), sto(9_999, 'v99', false))).toBe('device');
    expect(pick(dev(null, null, false), null)).toBe('device');
    expect(pick(dev(null, null, false), sto(null, null, false))).toBe('device');
    expect(pick(null, sto(null, null, false))).toBe('store');
  });

  test('returns the very candidate it chose (the caller keeps its message on it)', () => {
    const d = { ...dev(1, 'v1'), raw: 'd' };
    const s = { ...sto(2, 'v2'), raw: 's' };
    expect(newestManifest(d, s)).toBe(s);
  });
});
