/**
 * Issue 14, the hq CLI side: broker credentials on every hq command that talks to MQTT (`--username` with
 * `--password-file` / `--password-stdin`; `--password` refused; a password in the URL works and is never printed),
 * `--json` output that is exactly one JSON document, and `hq pricebook push` progress and `--wait`.
 *
 * Real parts: the built `node dist/hq/cli.js` as a child process, a real Mosquitto with a password file and the ACL
 * `hq broker acl` generates (anonymous refused), and real kiosks (bootKiosk + startHqLink) logged in as themselves.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { startHqLink, type HqLink } from '../device/hq-link';
import { mosquittoAcl } from '../hq/broker-acl';
import { generateHqKeyPair } from '../hq/signing';
import { writeIdentity } from '../runtime/trust/identity';
import { TrustStore } from '../runtime/trust/trust-store';
import { items } from './support/pricebook-sync';
import { ROOT } from './support/cli';
import { tempDir } from './support/engine-fixture';
import { Mosquitto } from './support/mosquitto';
import { waitFor } from './support/wait';

jest.mock('../device/embedded-hq', () => ({
  startEmbeddedHq: () => Promise.reject(new Error('the embedded HQ is not used in these tests')),
}));
jest.setTimeout(120_000);

const HQ_CLI = path.join(ROOT, 'dist', 'hq', 'cli.js');
const HQ_PASSWORD = 'pw-hq-Secret42';
const STORE = 's1';
const LANES = ['lane-1', 'lane-2'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built hq CLI (async: the kiosks in this process must keep answering meanwhile). */
function hq(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HQ_CLI, ...args], { cwd: ROOT, env: { ...process.env, TZ: 'UTC' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

describe('hq CLI against a Mosquitto that requires credentials', () => {
  let broker: Mosquitto;
  let dir: string;
  let keyFile: string;
  let pwFile: string;
  const kiosks: { k: Kiosk; link: HqLink; device: string }[] = [];
  const login = () => ['--username', 'hq', '--password-file', pwFile];

  beforeAll(async () => {
    dir = tempDir('hq-cli-broker-');
    fs.chmodSync(dir, 0o755);
    const passwd = path.join(dir, 'passwd');
    const acl = path.join(dir, 'acl');
    fs.writeFileSync(passwd, '');
    execFileSync('mosquitto_passwd', ['-b', passwd, 'hq', HQ_PASSWORD]);
    for (const d of LANES) execFileSync('mosquitto_passwd', ['-b', passwd, `${STORE}/${d}`, `pw-${d}`]);
    fs.writeFileSync(acl, mosquittoAcl(LANES.map((device) => ({ store: STORE, device }))));
    fs.chmodSync(passwd, 0o644);
    fs.chmodSync(acl, 0o644);
    broker = await Mosquitto.start({ extraConfig: ['allow_anonymous false', `password_file ${passwd}`, `acl_file ${acl}`] });

    const pair = generateHqKeyPair();
    keyFile = path.join(dir, 'hq.key');
    fs.writeFileSync(keyFile, pair.privatePem, { mode: 0o600 });
    pwFile = path.join(dir, 'hq-password');
    fs.writeFileSync(pwFile, `${HQ_PASSWORD}\n`, { mode: 0o600 });

    for (const device of LANES) {
      const data = path.join(dir, device);
      fs.mkdirSync(path.join(data, 'secrets'), { recursive: true, mode: 0o700 });
      TrustStore.open(data).install([pair.publicPem], { replace: true, now: Date.now() });
      fs.writeFileSync(path.join(data, 'secrets', 'mqtt-password'), `pw-${device}`, { mode: 0o600 });
      writeIdentity(data, {
        v: 1,
        store: STORE,
        device,
        broker: { url: broker.url, auth: { kind: 'password', username: `${STORE}/${device}`, passwordFile: 'secrets/mqtt-password' } },
        provisionedAt: new Date().toISOString(),
      });
      const k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: data, device: { storeId: STORE, deviceId: device }, hq: { broker: broker.url } } }), {
        confirmCash: async () => true,
      });
      kiosks.push({ k, link: await startHqLink(k), device });
    }
    await waitFor('both kiosks connected', () => kiosks.every((x) => x.link.client.connected), 60_000);
  }, 120_000);
  afterAll(async () => {
    for (const x of kiosks) {
      await x.link.close();
      await x.k.close();
    }
    await broker?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('cmd --wait --json with --username/--password-file: stdout is exactly one JSON document, the lane state included', async () => {
    const r = await hq(['cmd', `${STORE}/lane-1`, 'lock', '--arg', 'reason=stocktake', '--key', keyFile, '--broker', broker.url, ...login(), '--wait', '--json', '--timeout', '60']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { status: string; result: { locked: boolean; lane: { state: string; reasons: string[] } } };
    expect(doc).toMatchObject({ status: 'ok', result: { locked: true, lane: { state: 'closed', reasons: ['stocktake'] } } });
    expect(kiosks[0].k.lane.closed).toEqual({ reason: 'stocktake' });

    // without --json: the progress line goes to stderr, the result alone to stdout
    const u = await hq(['cmd', `${STORE}/lane-1`, 'unlock', '--key', keyFile, '--broker', broker.url, ...login(), '--wait']);
    expect(u.code).toBe(0);
    expect(u.stderr).toMatch(/^sent unlock \S+ to kiosk\/v1\/s1\/lane-1\/cmd, waiting for the result\n$/);
    expect(JSON.parse(u.stdout)).toMatchObject({ status: 'ok', result: { locked: false, lane: { state: 'in_service' } } });

    // without --wait, --json prints what was sent
    const s = await hq(['cmd', `${STORE}/lane-1`, 'rebirth', '--key', keyFile, '--broker', broker.url, ...login(), '--json']);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ sent: true, name: 'rebirth', topic: 'kiosk/v1/s1/lane-1/cmd' });
  });

  it('credentials: refused without them, --password refused with exit 2, --password-stdin and a password in the URL work and are never printed', async () => {
    const none = await hq(['cmd', `${STORE}/lane-1`, 'rebirth', '--key', keyFile, '--broker', broker.url]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/Not authorized|Connection refused/i);

    const argv = await hq(['cmd', `${STORE}/lane-1`, 'rebirth', '--key', keyFile, '--broker', broker.url, '--username', 'hq', '--password', HQ_PASSWORD]);
    expect(argv.code).toBe(2);
    expect(argv.stderr).toMatch(/--password would put the MQTT password in the command line .*--password-file FILE.*--password-stdin/);
    expect(argv.stderr + argv.stdout).not.toContain(HQ_PASSWORD);

    const noUser = await hq(['cmd', `${STORE}/lane-1`, 'rebirth', '--key', keyFile, '--broker', broker.url, '--password-file', pwFile]);
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toMatch(/needs --username/);

    const stdin = await hq(['cmd', `${STORE}/lane-1`, 'doctor', '--key', keyFile, '--broker', broker.url, '--username', 'hq', '--password-stdin', '--wait', '--json'], `${HQ_PASSWORD}\n`);
    expect(stdin.code).toBe(1); // the kiosk runs without devices: doctor fails, and says why
    expect(JSON.parse(stdin.stdout)).toMatchObject({ name: 'doctor', status: 'failed', error: 'devices are not running' });

    const inUrl = broker.url.replace('mqtt://', `mqtt://hq:${HQ_PASSWORD}@`);
    const url = await hq(['pricebook', 'push', path.join(dir, 'nothing.csv'), '--version', '1', '--scope', `store:${STORE}`, '--key', keyFile, '--broker', inUrl]);
    expect(url.code).toBe(1); // the file is missing: the message names it, never the password
    expect(url.stderr + url.stdout).not.toContain(HQ_PASSWORD);
    const ok = await hq(['cmd', `${STORE}/lane-2`, 'rebirth', '--key', keyFile, '--broker', inUrl, '--wait', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ status: 'ok', name: 'rebirth' });
    expect(ok.stderr + ok.stdout).not.toContain(HQ_PASSWORD);
  });

  it('pricebook push --wait --json: progress on stderr (one line per 10 %), every kiosk of the store applies it, one JSON document on stdout', async () => {
    const book = path.join(dir, 'book.jsonl');
    fs.writeFileSync(book, items(1, 4000).map((i) => JSON.stringify(i)).join('\n') + '\n');
    const r = await hq(['pricebook', 'push', book, '--version', '2026.12.06', '--scope', `store:${STORE}`, '--key', keyFile, '--broker', broker.url, ...login(), '--wait', '--timeout', '90', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { manifest: { version: string; chunkCount: number; items: number }; kiosks: unknown[] };
    expect(doc.manifest).toMatchObject({ version: '2026.12.06', items: 4000 });
    expect(doc.kiosks).toEqual(LANES.map((device) => ({ store: STORE, device, status: 'applied', items: 4000 })));
    const progress = r.stderr.split('\n').filter((l) => l.startsWith('publishing 2026.12.06: '));
    expect(progress[0]).toBe(`publishing 2026.12.06: 0% (0/${doc.manifest.chunkCount} chunks)`);
    expect(progress.at(-1)).toBe(`publishing 2026.12.06: 100% (${doc.manifest.chunkCount}/${doc.manifest.chunkCount} chunks)`);
    expect(progress.length).toBeLessThanOrEqual(11);
    for (const x of kiosks) expect(await x.k.catalog.version()).toBe('2026.12.06');
  });

  it('pricebook push --wait: a kiosk that refuses the book, or never answers, makes it exit 1 naming each outcome', async () => {
    const book = path.join(dir, 'old.jsonl');
    fs.writeFileSync(book, items(1, 10).map((i) => JSON.stringify(i)).join('\n') + '\n');
    // older than the book in force: lane-1 refuses it (not_newer); `ghost` is no kiosk at all
    const r = await hq(['pricebook', 'push', book, '--version', '2026.01.01', '--scope', `store:${STORE}`, '--key', keyFile, '--broker', broker.url, ...login(), '--wait', '--devices', 'lane-1,ghost', '--timeout', '5']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^s1\/lane-1: rejected not_newer: version 2026\.01\.01 is not newer than the applied 2026\.12\.06$/m);
    expect(r.stdout).toMatch(/^s1\/ghost: timeout: no report for 2026\.01\.01 within 5 s$/m);
    expect(await kiosks[0].k.catalog.version()).toBe('2026.12.06');
  });

  it('ingest with --username/--password-file stores the kiosks\' journal entries', async () => {
    const db = path.join(dir, 'ingest.sqlite');
    const child = spawn(process.execPath, [HQ_CLI, 'ingest', '--db', db, '--broker', broker.url, ...login(), '--every', '1'], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // the lanes resend what is un-acked on every (re)connect, else only after their ack timeout, which has backed off
      // (30 s doubling to 240 s) while no ingest ran during the tests above: reconnect them every 5 s until it is stored
      let kicked = Date.now();
      await waitFor(
        'ingest to store entries from both lanes',
        () => {
          if (Date.now() - kicked > 5_000) {
            kicked = Date.now();
            for (const x of kiosks) x.link.client.reconnect();
          }
          return /ingest: stored [1-9]\d*, .*devices 2/.test(out);
        },
        60_000,
      );
      expect(out).not.toMatch(/Not authorized/i);
      expect(out).not.toContain(HQ_PASSWORD);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
