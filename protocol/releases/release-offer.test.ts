import fc from 'fast-check';
import { compareReleaseVersions, releaseOfferSchema, RELEASE_VERSION_RE } from './release-offer';

describe('release versions', () => {
  it('orders as semver: numeric parts, a pre-release before its release, numeric tags before alphanumeric', () => {
    const ordered = ['0.1.0', '0.1.1-alpha', '0.1.1-alpha.1', '0.1.1-alpha.beta', '0.1.1-beta.2', '0.1.1-beta.11', '0.1.1-rc.1', '0.1.1', '0.2.0', '0.10.0', '1.0.0'];
    for (let i = 0; i < ordered.length; i++)
      for (let j = 0; j < ordered.length; j++) expect([ordered[i], ordered[j], compareReleaseVersions(ordered[i], ordered[j])]).toEqual([ordered[i], ordered[j], Math.sign(i - j)]);
  });

  it('is antisymmetric for any pair of valid versions', () => {
    const part = fc.integer({ min: 0, max: 999 }).map(String);
    const version = fc.tuple(part, part, part, fc.option(fc.constantFrom('alpha', 'beta.2', 'rc.1', '1'), { nil: undefined })).map(([a, b, c, t]) => `${a}.${b}.${c}${t ? `-${t}` : ''}`);
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(RELEASE_VERSION_RE.test(a)).toBe(true);
        expect(compareReleaseVersions(a, b)).toBe(-compareReleaseVersions(b, a) || 0);
      }),
    );
  });

  it('refuses what is not a version', () => {
    for (const bad of ['1.0', '01.0.0', '1.0.0+build', 'v1.0.0', '1.0.0-', '']) expect(RELEASE_VERSION_RE.test(bad)).toBe(false);
    expect(() => compareReleaseVersions('1.0', '1.0.0')).toThrow(TypeError);
  });
});

describe('release offer', () => {
  const offer = {
    action: 'install',
    rollout: 'r1',
    version: '0.2.0',
    package: { url: 'https://hq.example:8443/releases/0.2.0.tgz', sha256: 'a'.repeat(64), size: 1000 },
    minConfigSchema: 1,
  };
  it('accepts a well-formed offer and refuses a plain-HTTP URL, a short hash, an oversized package, an unknown field', () => {
    expect(releaseOfferSchema.safeParse(offer).success).toBe(true);
    expect(releaseOfferSchema.safeParse({ ...offer, package: { ...offer.package, url: 'http://hq/x.tgz' } }).success).toBe(false);
    expect(releaseOfferSchema.safeParse({ ...offer, package: { ...offer.package, sha256: 'abc' } }).success).toBe(false);
    expect(releaseOfferSchema.safeParse({ ...offer, package: { ...offer.package, size: 2 ** 40 } }).success).toBe(false);
    expect(releaseOfferSchema.safeParse({ ...offer, extra: 1 }).success).toBe(false);
  });
});
