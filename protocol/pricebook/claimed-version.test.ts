import { claimedManifestVersion } from './manifest';

/** The version a refused manifest claims: read from untrusted bytes, bounded, well-formed or nothing. */
describe('the version a price-book manifest claims', () => {
  const envelope = (body: unknown) => JSON.stringify({ kind: 'pricebook', scope: { kind: 'fleet' }, version: 1, body, sig: 'x' });

  it('names a well-formed body.version, whatever the signature', () => {
    expect(claimedManifestVersion(envelope({ version: '2026.11.23', kind: 'full' }))).toBe('2026.11.23');
    expect(claimedManifestVersion(Buffer.from(envelope({ version: 'v7:b-2' })))).toBe('v7:b-2');
  });

  it('names nothing for garbage, a missing or malformed version, or a message too deep to parse', () => {
    for (const raw of [
      '',
      'not json',
      '[]',
      'null',
      envelope(null),
      envelope({}),
      envelope({ version: 7 }),
      envelope({ version: '' }),
      envelope({ version: 'a/b' }),
      envelope({ version: 'x'.repeat(129) }),
      envelope({ version: '<script>' }),
      '{"body":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
    ]) {
      expect(claimedManifestVersion(raw)).toBeNull();
    }
  });
});
