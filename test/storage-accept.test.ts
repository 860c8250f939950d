/**
 * `kiosk storage accept` (runtime/db/storage-accept.ts) refuses what would fork HQ's chain: a database holding
 * another history at the marker's seq (another lane's, or a different start) is not accepted, and nothing is written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { openDatabase } from '../device/kiosk';
import { SimulatedClock } from '../kernel/clock';
import { readMarker } from '../runtime/db/data-marker';
import { acceptDatabase } from '../runtime/db/storage-accept';
import { tempDir } from './support/engine-fixture';

async function made(at: number): Promise<{ dir: string; file: string }> {
  const dir = tempDir('kiosk-accept-');
  const { db, file } = await openDatabase(loadConfig({ env: {}, overrides: { dataDir: dir } }), new SimulatedClock(at));
  await db.close();
  return { dir, file };
}

it('refuses a database whose journal differs at the marker seq, and changes nothing', async () => {
  const mine = await made(Date.UTC(2026, 0, 1));
  const other = await made(Date.UTC(2026, 0, 2)); // same starter price book, another time: another entry 1
  const marker = readMarker(mine.dir);
  fs.copyFileSync(other.file, mine.file);
  const before = fs.readFileSync(mine.file);
  await expect(
    acceptDatabase(mine.dir, mine.file, { clock: new SimulatedClock(), deviceId: 'lane-01', attendantId: 'tech', reason: 'test' }),
  ).rejects.toMatchObject({ code: 'DATA_BEHIND', message: expect.stringMatching(/^refused: .* holds a different history at journal entry 1 .*fork HQ's chain/) });
  expect(fs.readFileSync(mine.file).equals(before)).toBe(true);
  expect(readMarker(mine.dir)).toEqual(marker);
  for (const d of [mine.dir, other.dir]) fs.rmSync(path.resolve(d), { recursive: true, force: true });
});
