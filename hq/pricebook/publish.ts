import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { PricebookManifest } from '../../protocol/pricebook/manifest';
import { chunkTopic, manifestTopic } from '../../protocol/pricebook/topics';
import { chunkFileName } from './chunker';

/**
 * Publishes a chunked price book, retained and QoS 1: the signed manifest first (so a kiosk online now knows the
 * hashes before the chunks arrive), then each chunk from `dir` (written by the chunker's dirSink), one at a time so
 * memory stays at one chunk. `base` is `kiosk/v1/{store}/{device|_all}/pricebook`.
 */
export async function publishPricebook(
  client: MqttClient,
  base: string,
  manifest: PricebookManifest,
  signedManifest: Buffer,
  dir: string,
  /** After each chunk's PUBACK: chunks published so far. */
  onChunk?: (published: number) => void,
): Promise<void> {
  await client.publishAsync(manifestTopic(base), signedManifest, { qos: 1, retain: true });
  let published = 0;
  for (const c of manifest.chunks) {
    const gz = await readFile(join(dir, chunkFileName(c.index)));
    await client.publishAsync(chunkTopic(base, manifest.version, c.index), gz, { qos: 1, retain: true });
    onChunk?.(++published);
  }
}
