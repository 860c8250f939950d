import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TrustStore } from './trust-store';
import { T0, testKey } from '../../test/support/trust';

describe('trust store', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-trust-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('installs keys at provisioning and finds them again after reopening', () => {
    const a = testKey();
    const b = testKey();
    expect(TrustStore.open(dir).install([a.publicPem, b.publicPem], { replace: true, now: T0 })).toEqual([a.keyId, b.keyId]);
    const again = TrustStore.open(dir);
    expect(again.keyIds()).toEqual([a.keyId, b.keyId]);
    expect(again.get(a.keyId)?.export({ type: 'spki', format: 'pem' })).toBe(a.publicPem);
    expect(again.get('0000000000000000')).toBeUndefined();
    expect(fs.readdirSync(path.join(dir, 'trust')).sort()).toEqual([`${a.keyId}.pub`, `${b.keyId}.pub`, 'index.json'].sort());
  });

  it('install with replace drops the keys trusted before', () => {
    const a = testKey();
    const b = testKey();
    const store = TrustStore.open(dir);
    store.install([a.publicPem], { replace: true, now: T0 });
    store.install([b.publicPem], { replace: true, now: T0 });
    expect(TrustStore.open(dir).keyIds()).toEqual([b.keyId]);
    expect(fs.existsSync(path.join(dir, 'trust', `${a.keyId}.pub`))).toBe(false);
  });

  it('refuses keys that are not Ed25519 public keys', () => {
    expect(() => TrustStore.open(dir).install(['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'], { replace: true, now: T0 })).toThrow(/trusted key #1/);
    expect(fs.existsSync(path.join(dir, 'trust', 'index.json'))).toBe(false);
  });

  it('adds and removes keys through a change, and refuses to remove the last one', () => {
    const a = testKey();
    const b = testKey();
    const store = TrustStore.open(dir);
    store.install([a.publicPem], { replace: true, now: T0 });
    expect(store.checkChange({ remove: [a.keyId] })).toBe('trust.remove: refusing to remove the last trusted key');
    expect(store.checkChange({ add: ['junk'] })).toMatch(/^trust\.add\.0: expected an Ed25519 public key/);
    expect(() => store.applyChange({ remove: [a.keyId] }, T0)).toThrow(/last trusted key/);
    store.applyChange({ add: [b.publicPem], remove: [a.keyId] }, T0);
    const reopened = TrustStore.open(dir);
    expect(reopened.keyIds()).toEqual([b.keyId]);
    expect(reopened.entries()[0]).toMatchObject({ keyId: b.keyId, source: 'bundle' });
    // idempotent: adding a key already trusted changes nothing
    reopened.applyChange({ add: [b.publicPem] }, T0);
    expect(TrustStore.open(dir).keyIds()).toEqual([b.keyId]);
    // no temp files left behind by the atomic writes
    expect(fs.readdirSync(path.join(dir, 'trust')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses an index that names a file holding another key', () => {
    const a = testKey();
    const b = testKey();
    TrustStore.open(dir).install([a.publicPem], { replace: true, now: T0 });
    fs.writeFileSync(path.join(dir, 'trust', `${a.keyId}.pub`), b.publicPem);
    expect(() => TrustStore.open(dir)).toThrow(/does not hold key/);
  });
});
