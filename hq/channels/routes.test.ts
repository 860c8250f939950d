import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from '../../test/support/console-fixture';
import { tmpDir } from '../../test/support/sync-fixtures';
import { fingerprint } from '../../protocol/payments/channel-secrets';
import { addUser } from '../console/users';
import { IngestStore } from '../ingest/store';
import { ChannelSecretsRegistry } from './registry';
import { ROUTES } from './routes';
import { loadSecretsKey } from './secrets-key';

/** The console's /channels page: admins only, values never echoed, audited by fingerprint, encrypted at rest. */

const PW = 'correct horse battery';
const T0 = Date.UTC(2026, 11, 6, 9, 0);

afterAll(closeConsoleBackends, 60_000);

const pem = (label: string) => `-----BEGIN ${label}-----\n${randomBytes(300).toString('base64').replace(/(.{64})/g, '$1\n').trimEnd()}\n-----END ${label}-----\n`;

// SQLite on a file of its own (its bytes are scanned), and PostgreSQL
const BACKENDS = [['SQLite', null] as const, ...CONSOLE_BACKENDS.filter((b) => b.name === 'PostgreSQL').map((b) => [b.name, () => b.open()] as const)];

describe.each(BACKENDS)('channels page on %s', (_name, open) => {
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  let dir: string;
  let file: string | null = null;

  beforeEach(async () => {
    dir = tmpDir('hq-channels-');
    file = open ? null : path.join(dir, 'hq.sqlite');
    store = open ? await open() : await IngestStore.open(file!);
    for (const [u, role] of [['alice', 'admin'], ['mgr', 'store_manager'], ['sup', 'support'], ['aud', 'auditor']] as const) {
      await addUser(store.db, { username: u, password: PW, role, stores: role === 'store_manager' ? ['S1'] : [] }, T0);
    }
    fx = await consoleFixture(store, { routes: ROUTES }, T0);
    fx.ctx.secretsKey = loadSecretsKey(path.join(dir, 'hq-secrets.key'), { create: true });
  });
  afterEach(async () => {
    await fx.app.close();
    await store.db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const as = async (user: string): Promise<InjectBrowser> => {
    const b = new InjectBrowser(fx.app);
    expect((await b.login(user, PW)).statusCode).toBe(303);
    return b;
  };

  it('is for admins only: every other role gets 403 on the page and on the form', async () => {
    for (const u of ['mgr', 'sup', 'aud']) {
      const b = await as(u);
      expect((await b.get('/channels')).statusCode).toBe(403);
      const admin = await as('alice');
      await admin.get('/channels'); // a CSRF token for the form
      b.csrf = admin.csrf;
      expect((await b.post('/channels/set', { channel: 'wechat', scope: '*' })).statusCode).toBe(403);
    }
    expect(await new ChannelSecretsRegistry(store.db).list()).toEqual([]);
  });

  it('sets and rotates WeChat for the chain: ids and fingerprints shown, values never echoed, audited, encrypted at rest', async () => {
    const b = await as('alice');
    const page = await b.get('/channels');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('type="password" name="apiKey"');
    const values = { appId: 'wx2421b1c4370ec43b', mchId: '10000100', apiKey: `api-${randomBytes(16).toString('hex')}`, clientCertPem: pem('CERTIFICATE'), clientKeyPem: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
    const r = await b.post('/channels/set', { channel: 'wechat', scope: '*', ...values });
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toMatch(/^\/channels\?saved=/);
    const after = await b.get(r.headers.location as string);
    expect(after.body).toContain(fingerprint(values.apiKey));
    expect(after.body).toContain('10000100');
    for (const secret of [values.apiKey, values.clientKeyPem.split('\n')[1], values.clientCertPem.split('\n')[1]]) expect(after.body).not.toContain(secret);
    expect(fx.rec.audit.filter((a) => a.action === 'channels.set')).toEqual([
      expect.objectContaining({ actor: 'alice', target: 'wechat@chain', detail: expect.objectContaining({ channel: 'wechat', scope: '*', fingerprints: expect.objectContaining({ apiKey: fingerprint(values.apiKey) }) }) }),
    ]);
    expect(JSON.stringify(fx.rec.audit)).not.toContain(values.apiKey);

    // rotation: a new version, the old one's fingerprint gone from what is in force
    const rotated = { ...values, apiKey: `api-${randomBytes(16).toString('hex')}` };
    expect((await b.post('/channels/set', { channel: 'wechat', scope: '*', ...rotated })).statusCode).toBe(303);
    const list = await new ChannelSecretsRegistry(store.db).list();
    expect(list.map((x) => [x.scope, x.channel, x.version, x.fingerprints.apiKey])).toEqual([['*', 'wechat', 2, fingerprint(rotated.apiKey)]]);
    const key = fx.ctx.secretsKey!;
    expect((await new ChannelSecretsRegistry(store.db).effectiveFor(key, 'S9'))?.secrets.wechat?.apiKey).toBe(rotated.apiKey);

    // on either backend, the rows as stored: merchant ids in clear, no secret in clear, base64 or hex in any column
    const rows = JSON.stringify(await store.db.read.all('SELECT * FROM channel_secrets'));
    expect(rows).toContain('10000100');
    const forms = (v: string) => [v, Buffer.from(v).toString('base64'), Buffer.from(v).toString('hex')];
    for (const secret of [values.apiKey, rotated.apiKey, values.clientKeyPem.split('\n')[1], values.clientCertPem.split('\n')[1]]) {
      for (const form of forms(secret)) expect(rows).not.toContain(form);
    }

    if (file) {
      await store.db.close();
      const bytes = Buffer.concat(fs.readdirSync(dir).filter((f) => f.startsWith('hq.sqlite')).map((f) => fs.readFileSync(path.join(dir, f))));
      expect(bytes.length).toBeGreaterThan(4096);
      expect(bytes.includes(Buffer.from('10000100'))).toBe(true); // the scan reads the rows: the merchant id is there in clear
      for (const secret of [values.apiKey, rotated.apiKey, values.clientKeyPem.split('\n')[1], values.clientCertPem.split('\n')[1]]) {
        expect(bytes.includes(Buffer.from(secret))).toBe(false);
        expect(bytes.includes(Buffer.from(Buffer.from(secret).toString('base64')))).toBe(false);
      }
      store = await IngestStore.open(file); // for afterEach
    }
  });

  it('refuses incomplete values naming the field, never the value, and stores nothing', async () => {
    const b = await as('alice');
    await b.get('/channels');
    const r = await b.post('/channels/set', { channel: 'unionpay', scope: 'S1', merId: '777290058110048', signKeyPem: 'not a pem but a secret-ish value', signCertPem: pem('CERTIFICATE') });
    expect(r.statusCode).toBe(422);
    expect(r.body).toContain('unionpay.signKeyPem');
    expect(r.body).not.toContain('secret-ish');
    expect((await b.post('/channels/set', { channel: 'paypal', scope: '*' })).statusCode).toBe(400);
    expect(await new ChannelSecretsRegistry(store.db).list()).toEqual([]);
  });

  it('answers 503 without an HQ secrets key', async () => {
    fx.ctx.secretsKey = null;
    const b = await as('alice');
    const page = await b.get('/channels');
    expect(page.body).not.toContain('name="apiKey"');
    expect((await b.post('/channels/set', { channel: 'wechat', scope: '*' })).statusCode).toBe(503);
  });
});
