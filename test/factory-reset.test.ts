/**
 * `kiosk factory-reset` (issue 13): typed confirmation, refused while a kiosk holds the data dir, a final verified
 * backup first, then identity, secrets, trust store and data are gone — the backups stay unless --wipe-backups.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { CliExit } from '../device/cli-support';
import { confirms, factoryResetWith } from '../device/commands/factory-reset';
import { provisionKiosk } from '../device/commands/provision';
import { lockDataDir } from '../device/data-dir-lock';
import { bootKiosk, dbPath } from '../device/kiosk';
import { SystemClock } from '../kernel/clock';
import { checkBackup } from '../runtime/db/backup-check';
import { tempDir } from './support/engine-fixture';
import { freePort } from './support/mosquitto';
import { withRawDb } from './support/sqlite';
import { testKey } from './support/trust';

describe('kiosk factory-reset', () => {
  let dir: string;
  let data: string;
  let prompts: string;
  const io = (typed: string) => ({
    readLine: async () => typed,
    prompt: (t: string) => void (prompts += t),
  });
  let stdout: jest.SpyInstance;

  beforeEach(async () => {
    dir = tempDir('kiosk-reset-');
    data = path.join(dir, 'data');
    prompts = '';
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const hqPub = path.join(dir, 'hq.pub');
    fs.writeFileSync(hqPub, testKey().publicPem);
    const quiet = { out: () => undefined, err: () => undefined, clock: new SystemClock(), brokerTimeoutMs: 500 };
    await provisionKiosk({ data, store: 's9', device: 'd9', broker: `mqtt://127.0.0.1:${await freePort()}`, username: 'u', password: 'reset-secret-pw', trust: [hqPub] }, quiet);
    const k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: data } }), { clock: new SystemClock(), confirmCash: async () => true });
    try {
      const [{ barcodes }] = await k.catalog.sample('plain', 1);
      const r = await k.lane.scan(barcodes[0]);
      if (!r.ok || r.action !== 'item_added') throw new Error('scan failed');
      await k.engine.dispatch(r.order.id, { type: 'order_cancelled', reason: 'test' });
    } finally {
      await k.close();
    }
  });
  afterEach(() => {
    stdout.mockRestore();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const everything = () => fs.readdirSync(data).sort();

  it('accepts only the device id, store/device, or RESET <device>', () => {
    const who = { store: 's9', device: 'd9' };
    for (const ok of ['d9', 's9/d9', 'RESET d9', 'RESET d9\n']) expect([ok, confirms(ok, who)]).toEqual([ok, true]);
    for (const no of ['', 'yes', 'd', 'reset d9', 'RESET', 'RESET s9', ' d9', 'd9 ']) expect([no, confirms(no, who)]).toEqual([no, false]);
  });

  it('a wrong confirmation or --yes-i-know naming another lane changes nothing', async () => {
    const before = everything();
    const head = fs.readFileSync(dbPath(data));
    await expect(factoryResetWith({ data }, io('yes'))).rejects.toMatchObject({ code: 1, message: expect.stringContaining('not confirmed; nothing changed') });
    expect(prompts).toContain('Type RESET d9 to go on');
    const e = await factoryResetWith({ data, yesIKnow: 'lane-01' }, io('')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CliExit);
    expect(e).toMatchObject({ code: 2, message: expect.stringContaining('this lane is s9/d9') });
    expect(everything()).toEqual(before);
    expect(fs.readFileSync(dbPath(data)).equals(head)).toBe(true);
  });

  it('is refused while a kiosk holds the data dir', async () => {
    const before = everything();
    const lock = await lockDataDir(data);
    try {
      await expect(factoryResetWith({ data, yesIKnow: 'd9' }, io(''))).rejects.toMatchObject({ code: 'ALREADY_RUNNING', message: expect.stringContaining('nothing was wiped') });
    } finally {
      await lock.release();
    }
    expect(everything().filter((n) => !n.startsWith('kiosk.lock'))).toEqual(before.filter((n) => !n.startsWith('kiosk.lock')));
  });

  it('takes a final verified backup, then wipes identity, secrets, trust store and data; backups stay', async () => {
    expect(everything()).toEqual(expect.arrayContaining(['identity.json', 'secrets', 'kiosk.sqlite', 'data-marker.json']));
    const orders = await withRawDb(dbPath(data), (q) => q.all<{ id: string }>('SELECT id FROM orders'));
    await factoryResetWith({ data }, io('RESET d9\n'));
    const left = everything();
    expect(left.filter((n) => !n.startsWith('kiosk.lock'))).toEqual(['backups']);
    const finals = fs.readdirSync(path.join(data, 'backups'));
    expect(finals).toEqual([expect.stringMatching(/^final-\d{8}T\d{6}\.\d{3}Z\.db$/)]);
    const fin = path.join(data, 'backups', finals[0]);
    expect(await checkBackup(fin)).toMatchObject({ ok: true });
    expect(await withRawDb(fin, (q) => q.all<{ id: string }>('SELECT id FROM orders'))).toEqual(orders);
    expect(fs.statSync(fin).mode & 0o777).toBe(0o600);
    // the lane starts again as a new, unprovisioned one
    const k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: data } }), { clock: new SystemClock() });
    try {
      expect(k.config.device.deviceId).toBe('lane-01');
      expect(await withRawDb(dbPath(data), (q) => q.all('SELECT id FROM orders'))).toEqual([]);
    } finally {
      await k.close();
    }
  });

  it('--wipe-backups leaves nothing behind (no final backup: nothing would keep it)', async () => {
    fs.mkdirSync(path.join(data, 'backups'));
    fs.writeFileSync(path.join(data, 'backups', 'kiosk-old.db'), 'x');
    await factoryResetWith({ data, yesIKnow: 'd9', wipeBackups: true }, io(''));
    expect(everything().filter((n) => !n.startsWith('kiosk.lock'))).toEqual([]);
  });
});
