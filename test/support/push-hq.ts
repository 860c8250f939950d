import { createPrivateKey } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { IngestStore } from '../../hq/ingest/store';
import { generateHqKeyPair } from '../../hq/signing';
import { watchFleet } from './batch-push-kiosk';
import { consoleFixture } from './console-fixture';

/** HQ's side of a batch-push test (see {@link startPushHq}). */
export interface PushHq {
  fx: Awaited<ReturnType<typeof consoleFixture>>;
  keys: ReturnType<typeof generateHqKeyPair>;
  /** The console's own connection to the broker. */
  hq: MqttClient;
  /** Stops the fleet watch, ends the console's connection and closes the console (the store and broker stay the caller's). */
  close(): Promise<void>;
}

/**
 * HQ's side of a batch-push test on a real broker: the console on `store` (its clock at `now`) signing with a new
 * HQ key pair and publishing over its own connection (`clientId`), and the kiosks' fleet reports written to
 * `store`'s fleet table as the ingest does (./batch-push-kiosk.ts `watchFleet`).
 */
export async function startPushHq(o: { brokerUrl: string; store: IngestStore; now: number; clientId: string }): Promise<PushHq> {
  const fx = await consoleFixture(o.store, {}, o.now);
  const keys = generateHqKeyPair();
  let hq: MqttClient | undefined;
  let watch: { stop(): Promise<void> };
  try {
    hq = await mqtt.connectAsync(o.brokerUrl, { reconnectPeriod: 0, clientId: o.clientId });
    fx.ctx.mqtt = hq;
    fx.ctx.hqKey = createPrivateKey(keys.privatePem);
    watch = await watchFleet(o.brokerUrl, o.store, fx.clock);
  } catch (e) {
    // the caller never gets them to close
    await hq?.endAsync();
    await fx.app.close();
    throw e;
  }
  const client = hq;
  return {
    fx,
    keys,
    hq: client,
    close: async () => {
      await watch.stop();
      await client.endAsync();
      await fx.app.close();
    },
  };
}
