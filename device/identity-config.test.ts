import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { writeIdentity } from '../runtime/trust/identity';
import { tempDir } from '../test/support/engine-fixture';
import { identityNotice, withIdentity } from './identity-config';

describe('withIdentity: the provisioned ids are the identity', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('kiosk-idcfg-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const config = (device?: { storeId: string; deviceId: string }) => loadConfig({ env: {}, overrides: { dataDir: dir, ...(device ? { device } : {}) } });
  const provision = (store: string, device: string) =>
    writeIdentity(dir, { v: 1, store, device, broker: { url: 'mqtt://127.0.0.1:1883', auth: { kind: 'none' } }, provisionedAt: '2026-12-06T00:00:00.000Z' });

  it('unprovisioned: the config as it is', () => {
    const c = config();
    expect(withIdentity(c)).toEqual({ config: c, overrides: [] });
  });

  it('provisioned: the identity wins over the config, names what it replaced, and merging again changes nothing', () => {
    provision('S1', 'D1');
    const r = withIdentity(config());
    expect(r.config.device).toEqual({ storeId: 'S1', deviceId: 'D1', name: 'Self-checkout 1' });
    expect(r.overrides).toEqual([
      { field: 'device.storeId', config: 'store-001', identity: 'S1' },
      { field: 'device.deviceId', config: 'lane-01', identity: 'D1' },
    ]);
    expect(identityNotice(r.overrides)).toBe('provisioned identity wins over the config: device.storeId store-001 -> S1, device.deviceId lane-01 -> D1');
    expect(withIdentity(r.config)).toEqual({ config: r.config, overrides: [] });
    expect(identityNotice([])).toBeNull();
    // only the field that disagrees is named
    expect(withIdentity(config({ storeId: 'S1', deviceId: 'old' })).overrides).toEqual([{ field: 'device.deviceId', config: 'old', identity: 'D1' }]);
  });

  it('an unreadable identity: booting refuses it; a CLI command that only reads or repairs the data dir keeps the config ids', () => {
    fs.writeFileSync(path.join(dir, 'identity.json'), '{"v":1,');
    const c = config();
    expect(() => withIdentity(c)).toThrow(expect.objectContaining({ code: 'IDENTITY_INVALID' }));
    expect(withIdentity(c, { unreadable: 'keep-config' })).toEqual({ config: c, overrides: [] });
  });
});
