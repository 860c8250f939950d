import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach } from '@jest/globals';
import { IngestStore } from '../../hq/ingest/store';
import { Mosquitto } from './mosquitto';
import { tmpDir } from './sync-fixtures';

/* Jest-only (it registers hooks): kept apart from sync-fixtures.ts, which the benchmarks import outside jest. */

export interface BrokerAndStore {
  broker: Mosquitto;
  dir: string;
  store: IngestStore;
}

/**
 * For each test of the calling describe block: a fresh Mosquitto, a temp dir and an HQ ingest store in it, handed to
 * `use`; afterwards the returned cleanups run (last first), then the store, broker and dir go.
 */
export function brokerAndStoreEach(prefix: string, use: (env: BrokerAndStore) => void): (() => Promise<void>)[] {
  const cleanup: (() => Promise<void>)[] = [];
  let env: BrokerAndStore;
  beforeEach(async () => {
    const broker = await Mosquitto.start();
    const dir = tmpDir(prefix);
    env = { broker, dir, store: await IngestStore.open(path.join(dir, 'hq.sqlite')) };
    use(env);
  });
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
    await env.store.close();
    await env.broker.close();
    fs.rmSync(env.dir, { recursive: true, force: true });
  });
  return cleanup;
}
