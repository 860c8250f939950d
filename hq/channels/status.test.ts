import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from '../../test/support/sync-fixtures';
import { IngestStore } from '../ingest/store';
import { kioskChannelStatus } from './status';

/** What /channels shows per kiosk, from the delivery HQ recorded and the kiosk's own `config/reported`. */
it('waiting for its key, delivered, applied, failed with the kiosk\'s reason, nothing delivered', async () => {
  const dir = tmpDir('hq-channel-status-');
  const store = await IngestStore.open(path.join(dir, 'hq.sqlite'));
  const reported = (device: Record<string, unknown>) => JSON.stringify({ v: 1, levels: [{ v: 1, level: 'fleet', version: 1, status: 'applied', inForce: 1 }, { v: 1, level: 'device', ...device }] });
  await store.db.transaction(async (tx) => {
    const kiosks: [string, string | null, [number, string, number | null] | null][] = [
      ['K1', null, [7, 'waiting_key', null]],
      ['K2', reported({ version: 4, status: 'applied', inForce: 3 }), [7, 'sent', 5]], // an older device config in force: not yet
      ['K3', reported({ version: 5, status: 'applied', inForce: 5 }), [7, 'sent', 5]],
      ['K4', reported({ version: 5, status: 'rejected', reason: 'invalid_body', detail: 'sealed: cannot be opened by S1/K4: …', inForce: 4 }), [7, 'sent', 5]],
      ['K5', null, null],
    ];
    for (const [d, rep, delivery] of kiosks) {
      await tx.run('INSERT INTO fleet (store_id, device_id, config_reported, last_seen) VALUES (?, ?, ?, 1)', ['S1', d, rep]);
      if (delivery) await tx.run('INSERT INTO channel_deliveries (store_id, device_id, version, status, config_version, key_fingerprint, at) VALUES (?, ?, ?, ?, ?, ?, 1)', ['S1', d, delivery[0], delivery[1], delivery[2], delivery[1] === 'sent' ? 'ab'.repeat(8) : null]);
    }
  });
  const status = await kioskChannelStatus(store.db.read);
  expect(status.map((s) => [s.device, s.status, s.configVersion, s.reason])).toEqual([
    ['K1', 'waiting_key', null, null],
    ['K2', 'delivered', 5, null],
    ['K3', 'applied', 5, null],
    ['K4', 'failed', 5, 'invalid_body: sealed: cannot be opened by S1/K4: …'],
    ['K5', 'none', null, null],
  ]);
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
