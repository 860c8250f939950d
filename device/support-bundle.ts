import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sqlite3 from 'sqlite3';
import * as tar from 'tar';
import type { KioskConfig } from '../config/schema';
import type { Clock } from '../kernel/clock';
import { packageVersion } from '../kernel/version';
import { checkBackup } from '../runtime/db/backup-check';
import { backupsDir } from '../runtime/db/backup';
import { dataVerdict, probeDatabase } from '../runtime/db/boot-check';
import { readMarker } from '../runtime/db/data-marker';
import { heldChannelSecretValues } from '../runtime/hq-control/channel-secrets';
import { identityPath, secretsDir } from '../runtime/trust/identity';
import { callControl, controlFilePath } from './control-server';
import { dbPath } from './database';
import { enumerateDevices } from './discovery/enumerate';
import { Redactor } from './redact-secrets';

/**
 * `kiosk support-bundle`: one tar.gz for the help desk, everything in it passed through the Redactor (no secret —
 * broker password, client key, control token, terminal password, attendant hashes — leaves the kiosk):
 *   manifest.json          when, which data dir, whether a kiosk was running, what each entry is
 *   versions.json          kiosk, node, OS, SQLite
 *   doctor.json            the running kiosk's doctor (control endpoint); stopped: the offline checks (storage, journal)
 *   config.json            the effective config, redacted; identity.json (redacted) when provisioned
 *   logs.txt               `journalctl -u kiosk -n N` when journald has the unit, else the line "no log source: …"
 *   journal-verify.json    integrity_check + the journal hash chain
 *   storage.json           the data marker against the database (`kiosk storage status`)
 *   devices.json           `kiosk devices --json`
 *   lane-history.json      the lane's condition now (running kiosk) and the last lane-level journal entries
 *                          (entries with no order: lane closed/opened, config applied, price book, storage accepted);
 *                          condition changes themselves are not stored, only logged (logs.txt)
 *   backups.json           the backups kept, name / size / time
 */

export interface BundleResult {
  file: string;
  entries: string[];
  running: boolean;
  logSource: string;
}

/** The files holding the payment channels' secrets (merchant keys, API key, client key), as the config names them. */
export function channelSecretFiles(config: KioskConfig): string[] {
  const p = config.payments;
  return [
    ...(p.gateway.transport === 'http' ? [p.gateway.merchantKeyPath] : []),
    // v2: the API key and the client certificate's key ('' when api v3); v3: the merchant API certificate's key
    ...(p.wechat.transport === 'https' ? [p.wechat.apiKeyPath, p.wechat.clientKeyPath, p.wechat.merchantKeyPath ?? ''].filter((f) => f !== '') : []),
    ...(p.unionpay.transport === 'https' ? [p.unionpay.signKeyPath] : []),
  ];
}

/** The secret values this kiosk holds, to be replaced wherever they turn up. */
function heldSecrets(config: KioskConfig): string[] {
  const out: string[] = [];
  const held = (file: string) => {
    const text = fs.readFileSync(file, 'utf8');
    out.push(text, text.trim(), ...text.split('\n').filter((l) => l.trim().length >= 16 && !l.startsWith('-----')));
  };
  try {
    for (const name of fs.readdirSync(secretsDir(config.dataDir))) held(path.join(secretsDir(config.dataDir), name));
  } catch {
    /* not provisioned */
  }
  for (const file of channelSecretFiles(config)) {
    try {
      held(file);
    } catch {
      /* missing: the kiosk reports that itself */
    }
  }
  // the payment channels' secrets HQ sealed to this kiosk, as they read once unsealed (secrets/ holds them sealed)
  out.push(...heldChannelSecretValues(config.dataDir, { store: config.device.storeId, device: config.device.deviceId }));
  const dataDir = config.dataDir;
  try {
    const token = (JSON.parse(fs.readFileSync(controlFilePath(dataDir), 'utf8')) as { token?: unknown }).token;
    if (typeof token === 'string') out.push(token);
  } catch {
    /* no running kiosk */
  }
  return out;
}

function sqliteVersion(): Promise<string> {
  return new Promise((resolve) => {
    const db = new sqlite3.Database(':memory:', (err) => {
      if (err) return resolve('unknown');
      db.get('SELECT sqlite_version() AS v', (e: Error | null, row: { v?: string } | undefined) => db.close(() => resolve(!e && row?.v ? row.v : 'unknown')));
    });
  });
}

function osRelease(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The last `lines` log lines from journald for the unit, or why there are none. Never invents a log file. */
export function kioskLogs(lines: number, unit = 'kiosk.service'): { source: string; text: string } {
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 32 * 1024 * 1024 });
  try {
    run('journalctl', ['--version']);
  } catch {
    return { source: 'none', text: 'no log source: journalctl is not available on this machine (the kiosk logs to stderr; run it under systemd, see `kiosk install`)\n' };
  }
  let load = '';
  try {
    load = run('systemctl', ['show', '-p', 'LoadState', '--value', unit]).trim();
  } catch {
    load = '';
  }
  if (load !== 'loaded') return { source: 'none', text: `no log source: the systemd unit ${unit} is not installed (LoadState ${load || 'unknown'}); the kiosk logs to stderr\n` };
  try {
    return { source: `journalctl -u ${unit} -n ${lines}`, text: run('journalctl', ['-u', unit, '-n', String(lines), '--no-pager', '-o', 'short-iso']) };
  } catch (e) {
    return { source: 'none', text: `no log source: journalctl -u ${unit} failed (${(e as Error).message.split('\n')[0]})\n` };
  }
}

function laneEntries(file: string, limit: number): Promise<unknown[]> {
  return new Promise((resolve) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => {
      if (err) return resolve([]);
      db.all(
        'SELECT seq, ts, type, payload FROM journal WHERE order_id IS NULL ORDER BY seq DESC LIMIT ?',
        [limit],
        (e: Error | null, rows: { seq: number; ts: number; type: string; payload: string }[] | undefined) =>
          db.close(() =>
            resolve(
              e || !rows
                ? []
                : rows.map((r) => ({ seq: r.seq, at: new Date(r.ts).toISOString(), type: r.type, payload: safeJson(r.payload.slice(0, 4096)) })),
            ),
          ),
      );
    });
  });
}

const safeJson = (t: string): unknown => {
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return t;
  }
};

/** Builds the bundle at `out` (tar.gz, 0600). */
export async function buildSupportBundle(config: KioskConfig, out: string, opts: { clock: Clock; logLines: number; logs?: () => { source: string; text: string } }): Promise<BundleResult> {
  const dataDir = config.dataDir;
  const redact = new Redactor(heldSecrets(config));
  const now = opts.clock.now();
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '');
  const folder = `kiosk-support-${stamp}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-support-'));
  const entries: string[] = [];
  const put = (name: string, content: unknown) => {
    const text = typeof content === 'string' ? redact.text(content) : `${JSON.stringify(redact.value(content), null, 2)}\n`;
    fs.writeFileSync(path.join(work, folder, name), text, { mode: 0o600 });
    entries.push(`${folder}/${name}`);
  };
  try {
    fs.mkdirSync(path.join(work, folder), { mode: 0o700 });
    const file = dbPath(dataDir);
    const status = await callControl(dataDir, 'GET', '/status').catch(() => null);
    const running = status !== null && status.status === 200;
    put('versions.json', { kiosk: packageVersion(), node: process.version, os: { release: osRelease(), kernel: `${os.type()} ${os.release()}`, arch: os.arch() }, sqlite: await sqliteVersion() });

    const marker = readMarker(dataDir);
    const state = await probeDatabase(file, { quickCheck: false, hashOf: marker && !('error' in marker) ? marker.journalSeq : undefined }).catch((e: unknown) => ({ error: (e as Error).message }));
    const verdict = 'error' in state ? state.error : marker && 'error' in marker ? marker.error : dataVerdict(marker, state, file);
    put('storage.json', { marker, database: state, ok: verdict === null, verdict });
    const journal = fs.existsSync(file) ? await checkBackup(file) : { ok: false, reason: `no database at ${file}` };
    put('journal-verify.json', journal);

    let doctor: unknown;
    if (running) {
      const remote = await callControl(dataDir, 'POST', '/doctor', { interactive: false }).catch((e: unknown) => ({ status: 0, body: { error: (e as Error).message } }));
      doctor = { source: 'running kiosk (control endpoint)', report: remote?.body ?? null };
    } else {
      doctor = {
        source: 'offline checks (no kiosk running: devices were not opened; run `kiosk doctor` for them)',
        rows: [
          { check: 'storage', ok: verdict === null, detail: verdict ?? 'database matches the data marker' },
          { check: 'journal', ok: journal.ok, detail: journal.ok ? 'integrity_check ok, chain ok' : journal.reason },
        ],
      };
    }
    put('doctor.json', doctor);
    put('config.json', config);
    if (fs.existsSync(identityPath(dataDir))) put('identity.json', safeJson(fs.readFileSync(identityPath(dataDir), 'utf8').slice(0, 64 * 1024)));
    put('devices.json', await enumerateDevices(config.devices.known).catch((e: unknown) => ({ error: (e as Error).message })));
    put('lane-history.json', {
      conditionNow: running ? ((status.body as { condition?: unknown } | null)?.condition ?? null) : 'no kiosk running',
      note: 'lane condition changes are logged (logs.txt), not stored; these are the latest journal entries without an order',
      entries: fs.existsSync(file) ? await laneEntries(file, 50) : [],
    });
    const bdir = backupsDir(dataDir);
    put(
      'backups.json',
      fs.existsSync(bdir)
        ? fs
            .readdirSync(bdir)
            .sort()
            .map((n) => {
              const st = fs.statSync(path.join(bdir, n));
              return { name: n, size: st.size, modified: st.mtime.toISOString() };
            })
        : [],
    );
    const logs = (opts.logs ?? (() => kioskLogs(opts.logLines)))();
    put('logs.txt', logs.text);
    put('manifest.json', { createdAt: new Date(now).toISOString(), dataDir: path.resolve(dataDir), running, logSource: logs.source, entries: [...entries.map((e) => e.slice(folder.length + 1)), 'manifest.json'] });

    fs.mkdirSync(path.dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.partial`;
    await tar.c({ gzip: true, file: tmp, cwd: work, portable: true }, [folder]);
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, out);
    return { file: out, entries, running, logSource: logs.source };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
