/**
 * `hq members …` as the `hq` program parses it (hq/commands/index.ts registers hq/members/cli.ts): import, list,
 * show, adjust on a SQLite store; a bad amount or an unknown member exits 2 and changes nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { COMMANDS } from '../hq/commands';

async function hq(args: string[]): Promise<{ out: string; err: string; code: number }> {
  const program = new Command().exitOverride().enablePositionalOptions();
  for (const register of COMMANDS) register(program);
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((t) => ((out += String(t)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((t) => ((err += String(t)), true));
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'hq', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, code };
}

describe('hq members', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-members-cli-'));
  const db = path.join(dir, 'hq.sqlite');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('imports, lists, adjusts and shows a member', async () => {
    const csv = path.join(dir, 'm.csv');
    fs.writeFileSync(csv, 'id,type,name,points\nM1,business,Acme,50\nM2,personal,Li,0\n');
    expect(await hq(['members', 'import', csv, '--db', db])).toMatchObject({ code: 0, out: `imported ${csv}: 2 created, 0 updated, 0 unchanged; 1 balance(s) set (+50 points)\n` });
    expect(await hq(['members', 'adjust', 'M1', '--points', '-20', '--reason', 'returned goods', '--db', db])).toMatchObject({ code: 0, out: 'M1: -20 points (hq#2, returned goods)\n' });
    const list = await hq(['members', 'list', '--db', db, '--json']);
    expect(JSON.parse(list.out)).toEqual([
      { id: 'M1', type: 'business', name: 'Acme', balance: 30, conflicts: 0 },
      { id: 'M2', type: 'personal', name: 'Li', balance: 0, conflicts: 0 },
    ]);
    const show = await hq(['members', 'show', 'M1', '--db', db]);
    expect(show.out.split('\n').slice(0, 2)).toEqual(['M1  business  Acme', 'balance 30 (earned 0, redeemed 0, adjusted 30)']);
    expect(show.out).toContain('hq#2  adjust     -20  returned goods');
  });

  it('refuses a bad amount and an unknown member with exit 2', async () => {
    expect(await hq(['members', 'adjust', 'M1', '--points', '1.5', '--reason', 'x', '--db', db])).toMatchObject({ code: 2, err: expect.stringContaining('bad --points') });
    expect(await hq(['members', 'adjust', 'NOPE', '--points', '5', '--reason', 'x', '--db', db])).toMatchObject({ code: 2, err: 'hq members adjust: unknown member NOPE\n' });
    expect(JSON.parse((await hq(['members', 'list', '--db', db, '--json'])).out)[0]).toMatchObject({ id: 'M1', balance: 30 });
  });
});
