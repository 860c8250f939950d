import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SimulatedClock } from '../kernel/clock';
import { SqlAuditLog } from '../hq/audit/audit-log';
import { FleetView } from '../hq/ingest/fleet';
import { IngestStore } from '../hq/ingest/store';
import { writeFleet } from '../hq/fleet/fleet-table';
import { addTag, selectKiosks, tagsInScope } from '../hq/fleet/tags';
import { hq } from './support/console-server';
import { tmpDir } from './support/sync-fixtures';

/** `hq fleet tag add|remove|list` as a child process (dist/hq/cli.js) on a real SQLite console store. */
const ACTOR = `cli:${os.userInfo().username}`;
const T0 = Date.UTC(2026, 11, 6, 9, 0);

let dir: string;
let db: string;
beforeAll(async () => {
  dir = tmpDir('hq-fleet-tag-');
  db = path.join(dir, 'hq.sqlite');
  const store = await IngestStore.open(db);
  const view = new FleetView();
  for (const [s, d] of [['S1', 'K1'], ['S1', 'K2'], ['S2', 'K3']]) view.apply(`kiosk/v1/${s}/${d}/state`, JSON.stringify({ v: 1, online: true, ts: T0 }), T0);
  await writeFleet(store.db, view.entriesList());
  await addTag(store.db, 'S2', 'K3', 'pilot', 'admin1', T0); // tagged from the console
  await store.close();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function withStore<T>(fn: (s: IngestStore) => Promise<T>): Promise<T> {
  const s = await IngestStore.open(db);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

describe('hq fleet tag', () => {
  it('adds and removes tags in the registry the console selects batches from, audited as cli:<os user>', async () => {
    expect(hq(['fleet', 'tag', 'add', '--db', db, '--store', 'S1', '--device', 'K1', '--tag', 'entrance'])).toMatchObject({ code: 0, stdout: 'S1/K1 tagged entrance\n', stderr: '' });
    expect(hq(['fleet', 'tag', 'add', '--db', db, '--store', 'S1', '--device', 'K2', '--tag', 'entrance'])).toMatchObject({ code: 0 });
    // again: nothing changes, nothing audited
    expect(hq(['fleet', 'tag', 'add', '--db', db, '--store', 'S1', '--device', 'K1', '--tag', 'entrance'])).toMatchObject({ code: 0, stdout: 'S1/K1 already tagged entrance\n' });
    expect(hq(['fleet', 'tag', 'remove', '--db', db, '--store', 'S1', '--device', 'K2', '--tag', 'entrance'])).toMatchObject({ code: 0, stdout: 'S1/K2 untagged entrance\n' });
    expect(hq(['fleet', 'tag', 'remove', '--db', db, '--store', 'S1', '--device', 'K2', '--tag', 'entrance'])).toMatchObject({ code: 0, stdout: 'S1/K2 was not tagged entrance\n' });

    await withStore(async (s) => {
      // the console's batch selection sees the CLI's tag
      expect(await selectKiosks(s.db, { all: true }, { tag: 'entrance' })).toEqual([{ storeId: 'S1', deviceId: 'K1' }]);
      const log = await new SqlAuditLog(s.db, new SimulatedClock()).list({ limit: 100 });
      expect(log.map((e) => [e.actor, e.action, e.target, e.detail])).toEqual([
        [ACTOR, 'kiosk.untag', 'S1/K2', expect.stringContaining('entrance')],
        [ACTOR, 'kiosk.tag', 'S1/K2', expect.stringContaining('entrance')],
        [ACTOR, 'kiosk.tag', 'S1/K1', expect.stringContaining('entrance')],
      ]);
    });

    const all = hq(['fleet', 'tag', 'list', '--db', db]);
    expect(all).toMatchObject({ code: 0, stdout: 'S1/K1  entrance\nS2/K3  pilot\n' });
    expect(hq(['fleet', 'tag', 'list', '--db', db, '--tag', 'pilot', '--json'])).toMatchObject({ code: 0, stdout: '[{"store":"S2","device":"K3","tags":["pilot"]}]\n' });
    expect(hq(['fleet', 'tag', 'list', '--db', db, '--store', 'S9'])).toMatchObject({ code: 0, stdout: 'no tagged kiosk\n' });
  }, 60_000);

  it('refuses a malformed tag, an unknown kiosk or a missing option with one line and exit 2, changing nothing', async () => {
    const bad = hq(['fleet', 'tag', 'add', '--db', db, '--store', 'S1', '--device', 'K1', '--tag', 'Bad Tag']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^hq fleet tag add: bad tag "Bad Tag"/);
    const unknown = hq(['fleet', 'tag', 'add', '--db', db, '--store', 'S1', '--device', 'K9', '--tag', 'x']);
    expect(unknown).toMatchObject({ code: 2, stderr: 'hq fleet tag add: unknown kiosk S1/K9: HQ has never heard from it\n' });
    expect(hq(['fleet', 'tag', 'remove', '--db', db, '--store', 'S1', '--tag', 'x']).code).toBe(2);
    await withStore(async (s) => {
      const tags = await tagsInScope(s.db, { all: true });
      expect(tags.get('S1/K9')).toBeUndefined();
      expect([...tags.values()].flat()).not.toContain('x');
    });
  }, 60_000);
});
