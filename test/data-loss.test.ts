/**
 * Silent database loss (issue 11, point 1): the kiosk knows it had data (the data marker outside the database), so a
 * 0-byte, deleted or rolled-back database (a WAL deleted after a real SIGKILL) puts the lane out of service with the
 * reason instead of selling with journal and receipt numbers from 1; the database is never silently re-created; and
 * `kiosk storage accept` is the explicit way back, continuing AFTER the numbers already used.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { callControl } from '../device/control-server';
import type { DataMarker } from '../runtime/db/data-marker';
import { exited, kiosk, kioskAsync, killStrays, watchLines } from './support/cli';
import { tempDir } from './support/engine-fixture';
import { withRawDb } from './support/sqlite';
import { waitFor } from './support/wait';

const readMarker = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'data-marker.json'), 'utf8')) as DataMarker;

function getJson(port: number, route: string): Promise<{ screen: string; outOfService: { reasons: string[] } | null }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: route, headers: { host: `127.0.0.1:${port}` } }, (res) => {
        let raw = '';
        res.on('data', (c: Buffer) => (raw += c.toString()));
        res.on('end', () => resolve(JSON.parse(raw) as { screen: string; outOfService: { reasons: string[] } | null }));
      })
      .on('error', reject);
  });
}

/**
 * `kiosk start` on `dir`: its first ready line, then the control status and the screen; then SIGTERM, or with
 * `keep` the running kiosk (retrying its boot every 200 ms) and every ready line it prints.
 */
async function bootOutOfService(dir: string, reason: RegExp, keep = false): Promise<{ child: ReturnType<typeof kioskAsync>; readies: string[] } | null> {
  const child = kioskAsync(['start', '--data', dir], { env: keep ? { KIOSK_TIMEOUTS__BOOT_RETRY_MS: '200' } : {} });
  const readies: string[] = [];
  void watchLines(child, (l) => {
    if (l.startsWith('ready ')) readies.push(l);
  });
  await waitFor('the ready line', () => readies.length > 0, 30_000);
  const ready = readies[0];
  expect(ready).toMatch(/ lane=out-of-service .*fault=DATA_BEHIND/);
  expect(ready).toMatch(reason);
  const status = (await callControl(dir, 'GET', '/status'))?.body as { condition: { inService: boolean; reasons: string[]; light: { color: string } } };
  expect(status.condition.inService).toBe(false);
  expect(status.condition.light.color).toBe('red');
  expect(status.condition.reasons).toHaveLength(1);
  expect(status.condition.reasons[0]).toMatch(/^data: /);
  expect(status.condition.reasons[0]).toMatch(reason);
  const doctor = kiosk(['doctor', '--data', dir]);
  expect(doctor.code).toBe(1);
  expect(doctor.stdout).toMatch(/FAIL\s+data at boot \(DATA_BEHIND\)/);
  const view = await getJson(Number(/screen=127\.0\.0\.1:(\d+)/.exec(ready)![1]), '/view');
  expect(view.screen).toBe('out_of_service');
  expect(view.outOfService?.reasons.join('\n')).toMatch(reason);
  if (keep) return { child, readies };
  child.kill('SIGTERM');
  expect((await exited(child)).code).toBe(0);
  return null;
}

describe('the kiosk knows it had data', () => {
  afterEach(killStrays);

  it('a 0-byte or deleted database: out of service with the reason, sells nothing, never re-created; accept goes on after the used numbers', async () => {
    const dir = tempDir('kiosk-loss-');
    const db = path.join(dir, 'kiosk.sqlite');
    expect(kiosk(['demo', '--data', dir, '--count', '2']).code).toBe(0);
    const entries = Number(/^ok (\d+) entries/.exec(kiosk(['journal', 'verify', '--data', dir]).stdout)?.[1]);
    expect(entries).toBeGreaterThan(0);

    for (const f of ['', '-wal', '-shm']) fs.rmSync(db + f, { force: true });
    fs.writeFileSync(db, '');
    await bootOutOfService(dir, new RegExp(`database .*kiosk\\.sqlite is empty but the marker says journal ${entries}, receipt 2`));
    const refused = kiosk(['demo', '--data', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^kiosk: DATA_BEHIND: database .* is empty/);
    const st = kiosk(['storage', 'status', '--data', dir]);
    expect(st.code).toBe(1);
    expect(st.stdout).toMatch(new RegExp(`^database .*: journal 0, receipt 0, id none\nmarker: journal ${entries}, receipt 2, id [0-9a-f]{32}, written .*\nNOT OK: database .* is empty`));
    expect(fs.statSync(db).size).toBe(0); // not silently re-created

    fs.rmSync(db);
    const missing = kiosk(['demo', '--data', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^kiosk: DATA_BEHIND: database .* is missing but the marker says journal \d+, receipt 2/);
    expect(fs.existsSync(db)).toBe(false);

    const marker = readMarker(dir);
    expect(marker).toMatchObject({ journalSeq: entries, receiptNo: 2 });
    // the explicit way back: numbering goes on after what the marker says was used
    const accept = kiosk(['storage', 'accept', '--data', dir, '--attendant', 'tech-7', '--reason', 'disk replaced, no backup']);
    expect(accept.stderr).toBe('');
    expect(accept.stdout).toMatch(new RegExp(`accepted a new empty database: journal kept up to 0, entries 1-${marker.journalSeq} lost here .*storage_accepted at ${marker.journalSeq + 1}; next receipt 3`));
    const sold = kiosk(['demo', '--data', dir, '--json']);
    expect(sold.code).toBe(0);
    expect((JSON.parse(sold.stdout) as { receiptNo: number }).receiptNo).toBe(3);
    const first = await withRawDb(db, ({ all }) => all<{ seq: number; type: string; prev_hash: string }>('SELECT seq, type, prev_hash FROM journal ORDER BY seq LIMIT 1'));
    expect(first).toEqual([{ seq: marker.journalSeq + 1, type: 'storage_accepted', prev_hash: marker.journalHash }]);
    expect(kiosk(['journal', 'verify', '--data', dir]).stdout).toMatch(/^ok \d+ entries\n$/);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  /**
   * A demo killed with SIGKILL three sales in, its WAL then deleted. SQLite's auto-checkpoint may have copied every
   * commit into the main file just before the kill (the WAL is only rewound by the next commit): then the database
   * did not go backwards and there is nothing to detect, so that run is thrown away and the kill repeated in a
   * fresh directory until the main file alone really is behind the marker.
   */
  async function killAndLoseWal(): Promise<{ dir: string; db: string; completed: number; lastSeq: number }> {
    for (let attempt = 1; ; attempt++) {
      const dir = tempDir('kiosk-wal-');
      const db = path.join(dir, 'kiosk.sqlite');
      expect(kiosk(['demo', '--data', dir]).code).toBe(0); // closed cleanly: checkpointed into the main file

      const child = kioskAsync(['demo', '--data', dir, '--count', '100000', '--trace']);
      let completed = 0;
      let lastSeq = 0;
      await watchLines(child, (line) => {
        const m = /^commit (\d+) \S+ (\S+)$/.exec(line);
        if (!m) return false;
        lastSeq = Number(m[1]);
        return m[2] === 'completed' && ++completed === 3;
      });
      // the marker follows the commits off the scan path: kill once it has caught up with the last commit seen
      // (software without a marker is killed at once)
      const markerFile = path.join(dir, 'data-marker.json');
      await waitFor('the marker to catch up', () => !fs.existsSync(markerFile) || readMarker(dir).journalSeq >= lastSeq);
      child.kill('SIGKILL');
      expect((await exited(child)).signal).toBe('SIGKILL');
      expect(fs.statSync(`${db}-wal`).size).toBeGreaterThan(0);
      fs.rmSync(`${db}-wal`);
      fs.rmSync(`${db}-shm`, { force: true });
      // what the main file alone holds, read from a copy so the kiosk's own file is untouched
      const copy = path.join(tempDir('kiosk-wal-copy-'), 'main.sqlite');
      fs.copyFileSync(db, copy);
      const [{ top }] = await withRawDb(copy, ({ all }) => all<{ top: number }>('SELECT COALESCE(MAX(seq), 0) AS top FROM journal'));
      fs.rmSync(path.dirname(copy), { recursive: true, force: true });
      if (!fs.existsSync(markerFile) || top < readMarker(dir).journalSeq) return { dir, db, completed, lastSeq };
      fs.rmSync(dir, { recursive: true, force: true });
      if (attempt === 5) throw new Error(`five kills in a row landed just after a full checkpoint (journal ${top} in the main file)`);
    }
  }

  it('a WAL deleted after a real SIGKILL: the database went backwards, out of service, receipt numbers never reused', async () => {
    const { dir, completed, lastSeq } = await killAndLoseWal();

    const running = (await bootOutOfService(dir, /database went backwards: journal ends at \d+, marker says \d+ \(written /, true))!;
    const marker = readMarker(dir);
    expect(marker.journalSeq).toBeGreaterThanOrEqual(lastSeq);
    expect(marker.receiptNo).toBeGreaterThanOrEqual(1 + completed);
    // the running (out-of-service) kiosk holds the data dir: a demo beside it is refused before it opens anything
    const refused = kiosk(['demo', '--data', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`kiosk already running on ${path.resolve(dir)} (pid ${running.child.pid})\n`);

    // accepted while the kiosk runs out of service: its next boot retry comes up in service, no restart
    expect(kiosk(['storage', 'accept', '--data', dir, '--attendant', 'tech-7', '--reason', 'WAL lost']).code).toBe(0);
    await waitFor('the kiosk back in service', () => running.readies.length >= 2, 30_000);
    expect(running.readies[1]).toMatch(/ lane=in-service /);
    running.child.kill('SIGTERM');
    expect((await exited(running.child)).code).toBe(0);
    const sold = kiosk(['demo', '--data', dir, '--json']);
    expect(sold.code).toBe(0);
    // every receipt number the killed run issued stays used: the next one comes after the marker's
    expect((JSON.parse(sold.stdout) as { receiptNo: number }).receiptNo).toBe(marker.receiptNo + 1);
    expect(kiosk(['journal', 'verify', '--data', dir]).code).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});
