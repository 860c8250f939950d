import type { IngestAlert } from '../hq/ingest/ingest';
import type { PricebookReceiver } from '../runtime/pricebook/sync/receiver';
import { RemoteMqttClient } from '../runtime/hq-sync/remote-mqtt-client';
import { RemoteOutboxPublisher, type OutboxDrain } from '../runtime/hq-sync/remote-outbox-publisher';
import { UplinkThread } from '../runtime/hq-sync/uplink-thread';
import type { PresencePublisher } from '../runtime/hq-sync/presence';
import type { CommandRunner } from '../runtime/hq-control/commands';
import { brokerCredentials, readIdentity } from '../runtime/trust/identity';
import { readSealPublicKey } from '../runtime/trust/seal-key';
import { BULK_NICE } from '../kernel/thread-priority';
import { startEmbeddedHq, type EmbeddedHq } from './embedded-hq';
import { hqMqttOptions, KIOSK_DRAIN, wireHqLinkParts } from './hq-link-parts';
import type { Kiosk } from './kiosk';
import type { Logger } from './logger';

export { SOFTWARE, STOP_STEP_MS } from './hq-link-parts';

export interface HqLink {
  /** The MQTT connection, which lives in the HQ uplink worker thread (runtime/hq-sync/uplink-worker.ts). */
  client: RemoteMqttClient;
  /** The outbox drain, which runs in the same worker. */
  publisher: OutboxDrain;
  presence: PresencePublisher;
  commands: CommandRunner;
  pricebooks: PricebookReceiver;
  /** The in-process broker + HQ ingest when no broker is configured or provisioned. */
  embedded: EmbeddedHq | null;
  brokerUrl: string;
  close(): Promise<void>;
}

/**
 * The kiosk's side of HQ (see README "HQ over MQTT"): sales from the outbox (exactly once in effect), presence,
 * signed config bundles (applied between orders) with `config/reported`, signed commands with `cmd/result`, and
 * price books. Everything is local first: the link may be down for days and the lane sells on.
 *
 * This file makes the connection (the broker: provisioned, configured or embedded; the uplink worker thread); the
 * parts on it are wired by device/hq-link-parts.ts, which bench/fleet's simulated kiosks use too.
 */
export async function startHqLink(
  k: Kiosk,
  opts: { log?: Logger; /** Over-the-air releases: a supervisor's restart instead of exit 75, an extra CA for HQ's HTTPS (tests). */ releases?: { restart?: () => void; ca?: Buffer } } = {},
): Promise<HqLink> {
  const { clock, db } = k;
  const store = k.config.device.storeId;
  const device = k.config.device.deviceId;
  const log = opts.log;
  const identity = readIdentity(k.config.dataDir);
  const sealKey = identity ? readSealPublicKey(k.config.dataDir) : null;
  const configured = identity?.broker.url ?? k.config.hq.broker;
  const embedded = configured ? null : await startEmbeddedHq({
        dataDir: k.config.dataDir,
        port: k.config.hq.embeddedPort,
        clock,
        onPortTaken: (port) => log?.warn({ port }, 'embedded broker: port taken, using a free one'),
      });
  // the embedded HQ is this process: its alerts (a quarantined chain) go to the kiosk's own log
  const onAlert = (a: IngestAlert) => log?.error({ alert: a.kind, store: a.storeId, device: a.deviceId, fromSeq: a.fromSeq, toSeq: a.toSeq, reason: a.reason }, a.message);
  embedded?.ingest.on('alert', onAlert);
  const brokerUrl = configured ?? embedded!.url;
  const credentials = identity ? brokerCredentials(k.config.dataDir, identity.broker.auth) : {};
  const options = hqMqttOptions(k, { credentials, embedded: embedded !== null });
  // The MQTT connection and the outbox drain run in a worker thread (at a lower CPU priority, with a read-only
  // connection of its own): a backlog's encoding, socket writes, PUBACKs, acks and batch reads never wait in front
  // of a scan on this thread. Not with the embedded HQ: its broker and ingest run on this thread anyway, so the same
  // uplink runs here too (inline), without a worker's ~20 MiB. Deletes of acknowledged rows come back here, to the writer queue, as background work.
  // The drain's pace follows the lane (KIOSK_DRAIN).
  const thread = new UplinkThread({
    brokerUrl,
    mqtt: options,
    reconnect: { baseMs: k.config.hq.reconnect.baseMs, capMs: k.config.hq.reconnect.capMs },
    dbFile: db.file,
    storeId: store,
    deviceId: device,
    drain: { deleteEveryMs: KIOSK_DRAIN.deleteEveryMs, slice: KIOSK_DRAIN.slice, atLane: { ...KIOSK_DRAIN.atLane }, between: { ...KIOSK_DRAIN.between } },
    nice: BULK_NICE,
  }, 2000, embedded !== null);
  // not connected yet: every listener is attached first and connect() is called at the end. On a session resume the
  // broker delivers what was queued for the kiosk (commands, acks, resend requests, bundles) right after CONNACK;
  // mqtt.js PUBACKs a message that finds no 'message' listener, and it would be gone (test/hq-link.test.ts: messages
  // HQ queues while the kiosk is stopped). The worker forwards every message it gets; they wait in order until here.
  const client = new RemoteMqttClient(thread, options);
  // a broker that speaks only MQTT 3.1.1 (hq.protocolVersion 5 meeting Aedes, an older broker): the link goes on in 3.1.1
  const onFallback = ({ cause }: { cause: string }) =>
    log?.warn({ broker: brokerUrl, cause }, 'hq link: the broker does not speak MQTT 5; using MQTT 3.1.1 (no session expiry: clean:false keeps the session)');
  client.once('protocolFallback', onFallback);

  const publisher = new RemoteOutboxPublisher(thread, db);
  const parts = await wireHqLinkParts(k, {
    client: client.asMqttClient(),
    publisher,
    brokerUrl,
    ...(log ? { log } : {}),
    sealKey,
    credentials,
    ...(opts.releases ? { releases: opts.releases } : {}),
  });
  // every handler is in place: only now may the broker deliver the session's queued messages
  client.connect();

  return {
    client,
    publisher,
    presence: parts.presence,
    commands: parts.commands,
    pricebooks: parts.pricebooks,
    embedded,
    brokerUrl,
    async close() {
      embedded?.ingest.off('alert', onAlert);
      await parts.close();
      client.off('protocolFallback', onFallback);
      await embedded?.close();
    },
  };
}
