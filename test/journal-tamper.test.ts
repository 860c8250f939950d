/** Tamper detection: a journal row edited or deleted by hand in the SQLite file makes `kiosk journal verify` exit 1 naming it. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kiosk } from './support/cli';
import { tempDir } from './support/engine-fixture';
import { withRawDb } from './support/sqlite';

describe('kiosk journal verify', () => {
  let master: string;
  let entries: number;
  beforeAll(() => {
    master = tempDir('kiosk-tamper-');
    expect(kiosk(['demo', '--data', master, '--count', '2']).code).toBe(0);
    const v = kiosk(['journal', 'verify', '--data', master]);
    expect(v.code).toBe(0);
    entries = Number(/^ok (\d+) entries$/m.exec(v.stdout)![1]);
    expect(entries).toBeGreaterThan(20);
  });
  afterAll(() => fs.rmSync(master, { recursive: true, force: true }));

  /** A fresh copy of the untouched data dir for each case. */
  function copy(): { dir: string; file: string } {
    const dir = tempDir('kiosk-tamper-case-');
    fs.copyFileSync(path.join(master, 'kiosk.sqlite'), path.join(dir, 'kiosk.sqlite'));
    return { dir, file: path.join(dir, 'kiosk.sqlite') };
  }

  it('the journal refuses UPDATE and DELETE through SQL (append-only triggers)', async () => {
    const { file } = copy();
    await withRawDb(file, async ({ run }) => {
      await expect(run("UPDATE journal SET payload = '{}' WHERE seq = 3")).rejects.toThrow(/append-only/);
      await expect(run('DELETE FROM journal WHERE seq = 3')).rejects.toThrow(/append-only/);
    });
  });

  it.each([
    ['payload edited', (seq: number) => `UPDATE journal SET payload = replace(payload, '"to":', '"to" :') WHERE seq = ${seq}`],
    ['timestamp edited', (seq: number) => `UPDATE journal SET ts = ts + 1 WHERE seq = ${seq}`],
    ['hash recomputed by a forger but chain not', (seq: number) => `UPDATE journal SET hash = '${'a'.repeat(64)}' WHERE seq = ${seq}`],
    ['row deleted', (seq: number) => `DELETE FROM journal WHERE seq = ${seq}`],
  ])('%s: exit 1 naming the sequence number', async (_name, sql) => {
    const { dir, file } = copy();
    const seq = 7;
    await withRawDb(file, async ({ run }) => {
      await run('DROP TRIGGER journal_no_update');
      await run('DROP TRIGGER journal_no_delete');
      await run('PRAGMA foreign_keys = OFF');
      await run(sql(seq));
    });
    const v = kiosk(['journal', 'verify', '--data', dir]);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(new RegExp(`^broken at seq ${seq}: `));
  });

  it('a deleted last entry is detected through the rows that reference it', async () => {
    const { dir, file } = copy();
    await withRawDb(file, async ({ run }) => {
      await run('DROP TRIGGER journal_no_delete');
      await run(`DELETE FROM journal WHERE seq = ${entries}`);
    });
    const v = kiosk(['journal', 'verify', '--data', dir]);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain(`broken at seq ${entries}: entry ${entries} is missing`);
  });

  it('an untouched copy verifies', () => {
    const { dir } = copy();
    const v = kiosk(['journal', 'verify', '--data', dir, '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, entries });
  });
});
