/*
 * The parts of the kiosk's HQ link wired onto one MQTT connection and one outbox drain, whatever carries them:
 * device/hq-link.ts gives them the uplink worker's connection (RemoteMqttClient) and drain (RemoteOutboxPublisher);
 * bench/fleet/fleet-kiosk.ts gives them an in-process mqtt.js client and OutboxPublisher (a thousand worker threads
 * would not fit on one machine). Everything the kiosk does with HQ beyond the connection itself is here, once:
 * presence (birth, will, telemetry with the lane's state), the drain's pace at the lane and what its refusals mean,
 * resend requests and HQ ingest births, signed config bundles (applied between orders) with `config/reported`, signed
 * commands with `cmd/result` (all handlers, HQ channel refunds included), price books with `pricebook/reported`,
 * members, recalls and over-the-air releases.
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Committed } from '../runtime/orders/engine';
import { CLOSED_STATES } from '../runtime/orders/states';
import { PricebookReceiver, type PricebookStatus } from '../runtime/pricebook/sync/receiver';
import { subscribePricebook, type PricebookSubscription } from '../runtime/pricebook/sync/subscribe';
import type { OutboxDrain } from '../runtime/hq-sync/remote-outbox-publisher';
import { MembersReceiver } from '../runtime/members/snapshot-receiver';
import { subscribeMembers, type MembersSubscription } from '../runtime/members/subscribe';
import { startRecalls } from './hq-recalls';
import { startReleases } from './releases/hq-releases';
import { PresencePublisher, stateWill } from '../runtime/hq-sync/presence';
import { subscribeResend } from '../runtime/hq-sync/resend-subscription';
import { subscribeIngestState } from '../runtime/hq-sync/ingest-state-subscription';
import { HqRefundRecorder } from '../runtime/payments/hq-refund-record';
import { kioskClientId } from '../runtime/hq-sync/client-id';
import { CommandRunner } from '../runtime/hq-control/commands';
import { commandHandlers } from '../runtime/hq-control/command-handlers';
import { configVersionInForce, type ConfigReport, type ConfigReported } from '../protocol/control/config-bundle';
import { taxRates } from '../config/load';
import { verifyEnvelope } from '../protocol/signed-envelope';
import type { brokerCredentials } from '../runtime/trust/identity';
import { commandResultTopic, commandTopic, configReportedTopic, configTopicsFor } from '../protocol/control/topics';
import { pricebookReportedTopic, type PricebookReported } from '../protocol/pricebook/topics';
import { laneServiceState, paymentsInDoubt, peripheralsTelemetry } from '../runtime/hq-sync/telemetry-extras';
import type { DeviceClass } from '../drivers/contract';
import { failpoint } from '../kernel/failpoints';
import { KioskError } from '../kernel/errors';
import { withTimeout } from '../kernel/async';
import type { Kiosk } from './kiosk';
import type { Logger } from './logger';

/** The software name and version the kiosk reports to HQ (birth, will; also the boot fault shell's state). */
export const SOFTWARE = 'kiosk-runtime/0.1.0';
/** How long one step of the HQ link's stop may take before it is logged and left behind (close()). */
export const STOP_STEP_MS = 10_000;

/**
 * The outbox drain's pace: while a shopper is at the lane it keeps 16 in flight and pauses 10 ms after each 8
 * publishes (the broker and HQ may share the lane's CPU); between shoppers it drains at full speed.
 */
export const KIOSK_DRAIN = { deleteEveryMs: 1000, slice: 8, atLane: { window: 16, pauseMs: 10 }, between: { window: 256, pauseMs: 0 } } as const;

export type BrokerCredentials = ReturnType<typeof brokerCredentials>;

/** The kiosk's MQTT options towards HQ (the client id, session, will, protocol version, credentials). */
export function hqMqttOptions(k: Kiosk, o: { credentials: BrokerCredentials; embedded: boolean }): IClientOptions {
  const store = k.config.device.storeId;
  const device = k.config.device.deviceId;
  return {
    // the broker username (STORE/DEVICE): the shipped broker ties client id to username, so a session is the kiosk's own
    clientId: kioskClientId(store, device, o.credentials),
    clean: false, // commands sent while the kiosk was away are queued for it
    // the embedded Aedes broker speaks MQTT 3.1.1 only
    protocolVersion: o.embedded ? 4 : (k.config.hq.protocolVersion as 4 | 5),
    // the first period only: the uplink sets each wait by hq.reconnect's full-jitter backoff (after a broker
    // restart the lanes come back spread out, not all in the same second)
    reconnectPeriod: k.config.hq.reconnect.baseMs,
    connectTimeout: 10_000,
    will: stateWill(store, device), // presence.start() sets it to the full offline state before the first connect
    // MQTT 5 ends a session at disconnect unless it asks for an expiry: keep it (30 days) as 3.1.1's clean:false does
    ...(!o.embedded && k.config.hq.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 30 * 86_400 } } : {}),
    ...o.credentials,
  };
}

/** The outbox drain the parts use: OutboxDrain, whose window and pace follow the lane (KIOSK_DRAIN). */
export interface HqLinkDrain extends OutboxDrain {
  /** A shopper is at the lane (an order is open): the drain keeps a small window and pauses between slices. */
  shopperAtLane(atLane: boolean): void;
}

export interface HqLinkPartsOptions {
  /** The connection, not connected yet (every listener is attached first; the caller connects afterwards). */
  client: MqttClient;
  publisher: HqLinkDrain;
  /** For the log only. */
  brokerUrl: string;
  log?: Logger;
  /** The kiosk's sealing public key (PEM), sent in the birth; null when not provisioned. */
  sealKey?: string | null;
  /** The broker credentials (their CA and client certificate also serve HQ's HTTPS release downloads). */
  credentials?: BrokerCredentials;
  /** Over-the-air releases: a supervisor's restart instead of exit 75, an extra CA for HQ's HTTPS (tests). */
  releases?: { restart?: () => void; ca?: Buffer };
}

export interface HqLinkParts {
  presence: PresencePublisher;
  commands: CommandRunner;
  pricebooks: PricebookReceiver;
  /**
   * Stops every part (each step bounded by STOP_STEP_MS), ends the connection (no reconnect after it) and takes the
   * listeners off the client, the engine, the lane and the faults. The session's subscriptions stay at the broker.
   */
  close(): Promise<void>;
}

/**
 * Wires the HQ link's parts onto `client` and `publisher` and starts the drain and presence. The client must not be
 * connected yet: on a session resume the broker delivers what was queued for the kiosk (commands, acks, resend
 * requests, bundles) right after CONNACK, and mqtt.js PUBACKs a message that finds no 'message' listener (it would be
 * gone). Connect it when this resolves.
 */
export async function wireHqLinkParts(k: Kiosk, o: HqLinkPartsOptions): Promise<HqLinkParts> {
  const { clock, db, engine } = k;
  const store = k.config.device.storeId;
  const device = k.config.device.deviceId;
  const { client, publisher, brokerUrl, log } = o;
  const sealKey = o.sealKey ?? null;
  const credentials: BrokerCredentials = o.credentials ?? {};
  // each part of the link (presence, config, commands, price book, members, recalls, resend) listens for
  // 'connect' and 'message' on this one client: more than Node's default warning threshold of 10, and no leak
  client.setMaxListeners(32);
  k.connectivity.hq = false; // until the first connect
  // once close() began, a request the end cuts short is no news (HQ_LINK_DOWN): not logged as a warning
  let stopping = false;
  const cutByStop = (e: Error) => stopping && e instanceof KioskError && e.code === 'HQ_LINK_DOWN';
  const onError = (e: Error) => log?.warn({ err: e.message, ...(e instanceof KioskError ? { code: e.code } : {}) }, 'hq link error');
  const onConnect = () => {
    k.connectivity.hq = true;
    log?.info({ broker: brokerUrl }, 'hq link up');
  };
  const onClose = () => (k.connectivity.hq = false);
  client.on('error', onError);
  client.on('connect', onConnect);
  client.on('close', onClose);

  // the drain's window and pace follow the lane: small while a shopper is at it
  publisher.shopperAtLane((await engine.openOrder()) !== null);
  const onShopper = (c: Committed) => publisher.shopperAtLane(!CLOSED_STATES.includes(c.order.state));
  engine.on('committed', onShopper);
  publisher.on('error', (e) => log?.warn({ err: e.message }, 'outbox publisher'));
  // an ack that is not bound to this kiosk's journal (forged, foreign, or HQ ahead of a database that went back)
  publisher.on('ackRefused', (r) => log?.warn({ ackSeq: r.seq, reason: r.reason, detail: r.detail }, 'hq ack refused'));
  // HQ acknowledged more than this kiosk's journal holds: the database is behind HQ (lost or restored): stop selling
  // before journal or receipt numbers HQ already holds are issued again (way back: `kiosk storage accept`)
  publisher.on('ackRefused', (r) => {
    if (r.reason === 'ahead') k.faults.set('data', `database is behind HQ: HQ acknowledged journal entry ${r.seq}, which this kiosk's journal does not have (${r.detail}); restore the database from a backup, or see \`kiosk storage accept\``);
  });
  let published = 0;
  publisher.on('published', () => {
    if (++published === 100) failpoint('sync.mid-publish');
  });
  const onCommitted = () => publisher.notify();
  engine.on('committed', onCommitted);
  const unsubscribeResend = subscribeResend(client, publisher, store, device, (e) => cutByStop(e) || log?.warn({ err: e.message }, 'resend request refused'));
  subscribeIngestState(client, publisher, { clock }, (e) => cutByStop(e) || log?.warn({ err: e.message }, 'hq ingest birth')); // stops with the client's end

  const presence = new PresencePublisher({
    client,
    storeId: store,
    deviceId: device,
    clock,
    software: SOFTWARE,
    versions: () => ({ configVersion: configVersion, pricebookVersion }),
    backlog: () => publisher.backlog(),
    devices: () => k.hardware?.supervisor.condition() ?? null,
    extras: async () => {
      const sup = k.hardware?.supervisor;
      return {
        lane: laneState(),
        ...(sup ? { peripherals: peripheralsTelemetry(Object.keys(sup.devices) as DeviceClass[], (cls) => sup.status(cls)) } : {}),
        paymentsInDoubt: await paymentsInDoubt(db),
      };
    },
    diskPath: k.config.dataDir,
    telemetryIntervalMs: k.config.hq.telemetryMs,
    // HQ seals the payment channels' secrets to this key (made at provisioning, or at boot: device/live-config.ts)
    sealKey: () => sealKey,
  });
  // the versions in force (a refused later offer does not take them away)
  // the lane as HQ's fleet page shows it; telemetry goes out at once when it changes (lock, unlock, a fault)
  function laneState() {
    return laneServiceState(k.condition(), k.lane.closed);
  }
  let lastLane = JSON.stringify(laneState());
  const onLaneChange = () => {
    const now = JSON.stringify(laneState());
    if (now === lastLane) return;
    lastLane = now;
    presence.telemetryNow();
  };
  k.lane.on('closedChanged', onLaneChange);
  k.faults.on('change', onLaneChange);
  k.hardware?.supervisor.on('condition', onLaneChange);
  const configVersionOf = (reports: ConfigReport[]) => configVersionInForce(reports);
  // known before the first connect: the first birth and the will carry them
  let configVersion: string | null = configVersionOf(await k.bundles.reported());
  let pricebookVersion: string | null = await k.catalog.version();

  // ---- signed config: offered as it arrives, applied between orders, reported (retained)
  const reportConfig = async () => {
    const reports = await k.bundles.reported();
    configVersion = configVersionOf(reports);
    const reported: ConfigReported = { v: 1, levels: reports };
    client.publish(configReportedTopic(store, device), JSON.stringify(reported), { qos: 1, retain: true });
  };
  const configTopics = configTopicsFor(store, device);
  const onMessage = (topic: string, payload: Buffer) => {
    if (configTopics.includes(topic)) {
      if (payload.length === 0) return; // a cleared retained bundle
      void k.bundles
        .offer(topic, payload)
        .then(async (r) => {
          log?.info({ topic, ok: r.ok, ...(r.ok ? { applied: r.applied } : { reason: r.reason, detail: r.detail }) }, 'config bundle');
          await reportConfig();
          if (r.ok && r.applied) presence.birth();
        })
        .catch((e: unknown) => log?.error({ err: String(e) }, 'config bundle failed'));
    } else if (topic === commandTopic(store, device)) {
      void commands
        .offer(topic, payload)
        .then((result) => client.publish(commandResultTopic(store, device), JSON.stringify(result), { qos: 1 }))
        .catch((e: unknown) => log?.error({ err: String(e) }, 'command failed'));
    }
  };
  const onClosed = (c: Committed) => {
    if (!CLOSED_STATES.includes(c.order.state)) return;
    void k.bundles
      .notifyIdle()
      .then(async (applied) => {
        if (applied) {
          await reportConfig();
          presence.birth();
        }
      })
      .catch((e: unknown) => log?.error({ err: String(e) }, 'applying config failed'));
  };
  engine.on('committed', onClosed);

  // ---- signed commands, each executed at most once
  const handlers = commandHandlers({
    db,
    lane: k.lane,
    clock,
    identity: { store, device },
    currency: { code: k.config.currency.code, minorUnits: k.config.currency.minorUnits },
    businessDay: () => ({ timeZone: k.liveConfig.timezone, dayStartHour: k.liveConfig.reports.dayStartHour }),
    hardware: k.hardware && { printer: k.hardware.devices.printer, terminal: k.hardware.devices.terminal, doctor: () => k.hardware!.doctor() },
    journalChanged: () => publisher.notify(),
    resendFrom: (fromSeq) => publisher.resendFrom(fromSeq),
    rebirth: () => {
      presence.birth();
      return presence.stateMessage();
    },
    // what the shopper and the light now show: lock turns the lane closed (red light, "Lane closed" screen)
    laneState: () => ({ ...laneState(), light: k.condition().light }),
    software: SOFTWARE,
    returns: k.returns,
    // HQ's channel refunds (hq_refund): journaled on the order, so the lane cannot pay the same money back again
    hqRefunds: new HqRefundRecorder(k.engine, k.refunds),
  });
  const commands = new CommandRunner({ db, trust: k.trust, clock, identity: { store, device }, handlers });

  // ---- price books: manifest signed by HQ, chunks checked against it, applied in one transaction when complete;
  // each outcome is reported retained on `pricebook/reported` (what `hq pricebook push --wait` waits for)
  const reportPricebook = async (st: PricebookStatus) => {
    const m: PricebookReported = {
      v: 1,
      version: st.version === '' ? null : st.version,
      ...(st.version === '' && st.claimedVersion ? { claimedVersion: st.claimedVersion } : {}),
      status: st.status === 'receiving' ? 'downloading' : st.status,
      ...(st.reason ? { reason: st.reason } : {}),
      ...(st.detail ? { detail: st.detail } : {}),
      ts: clock.now(),
      ...(st.status === 'applied' ? { items: await k.catalog.count() } : {}),
      ...(st.status === 'receiving' ? { received: st.received, total: st.total } : {}),
    };
    client.publish(pricebookReportedTopic(store, device), JSON.stringify(m), { qos: 1, retain: true });
  };
  // ---- price books: manifest signed by HQ, chunks checked against it, applied in one transaction when complete
  const pricebooks = new PricebookReceiver({
    db,
    clock,
    deviceId: device,
    // a book with an item of a tax class this kiosk does not have could not be priced at the lane: refused
    taxClasses: () => Object.keys(taxRates(k.liveConfig)),
    verifyManifest: (raw) => {
      const r = verifyEnvelope(raw, k.trust, clock.now(), {
        kind: 'pricebook',
        scope: (s) =>
          (s.kind === 'device' && s.store === store && s.device === device) || (s.kind === 'store' && s.store === store)
            ? null
            : 'the price book is not addressed to this kiosk',
      });
      return r.ok ? { ok: true, manifest: r.envelope.body, issuedAt: Date.parse(r.envelope.issuedAt) } : { ok: false, reason: r.reason, detail: r.detail };
    },
    onReport: (r) => {
      if (r.type === 'status' && r.status.status === 'applied') {
        pricebookVersion = r.status.version;
        publisher.notify(); // the import's journal entry
        presence.birth();
      }
      if (r.type === 'status') void reportPricebook(r.status).catch((e: unknown) => log?.warn({ err: String(e) }, 'price book report failed'));
      log?.info({ pricebook: r }, 'price book');
    },
  });
  await pricebooks.resume();
  // a reconnect re-publishes nothing: the report is retained at the broker (QoS 1, queued while disconnected)

  client.on('message', onMessage);
  const subscribe = () => {
    client.subscribe([...configTopics, commandTopic(store, device)], { qos: 1 }, (err) => err && !cutByStop(err) && log?.warn({ err: err.message }, 'subscribe failed'));
  };
  client.on('connect', subscribe);
  const onFirstConnect = () => void reportConfig().catch(() => undefined);
  const pbSub: PricebookSubscription = await subscribePricebook(client, { store, device }, pricebooks, {
    onError: (e) => log?.warn({ err: String(e) }, 'price book message'),
  });
  // ---- members: HQ's signed snapshot of the store's members (types, points), stored in one transaction, reported
  const members = new MembersReceiver({ db, trust: k.trust, clock, identity: { store, device } });
  const membersSub: MembersSubscription = subscribeMembers(client, { store, device }, members, {
    onReport: (r) => (r.status === 'applied' ? log?.info({ members: r }, 'member snapshot') : log?.warn({ members: r }, 'member snapshot refused')),
    onError: (e) => log?.warn({ err: String(e) }, 'member snapshot message'),
  });
  // ---- recalls: HQ's signed recall list of the store, stored in one transaction, reported (device/hq-recalls.ts)
  const recallsSub = startRecalls(client, { db, trust: k.trust, clock, store, device, ...(log ? { log } : {}) });
  // ---- over-the-air releases (updates.enabled): signed offers, download, switch between orders, health check, rollback
  const releases = k.config.updates.enabled
    ? startReleases(k, {
        client,
        store,
        device,
        ...(o.releases?.ca ? { ca: o.releases.ca } : 'ca' in credentials && credentials.ca ? { ca: credentials.ca } : {}),
        ...('cert' in credentials && credentials.cert && credentials.key ? { clientCert: { cert: credentials.cert, key: credentials.key } } : {}),
        ...(o.releases?.restart ? { restart: o.releases.restart } : {}),
        ...(log ? { log } : {}),
      })
    : null;
  publisher.start();
  presence.start();
  client.once('connect', onFirstConnect);

  return {
    presence,
    commands,
    pricebooks,
    async close() {
      stopping = true;
      /**
       * One step of the stop, given STOP_STEP_MS: a step that hangs (a broker that never answers, a bug) is logged by
       * name and the stop goes on, so a stopping kiosk never hangs on its HQ link. Its errors are no news here.
       */
      const late = new Error('late');
      const bounded = (step: string, p: Promise<unknown>): Promise<void> =>
        withTimeout(clock, p, STOP_STEP_MS, () => late).then(
          () => undefined,
          (e: unknown) => void (e === late && log?.warn({ step, ms: STOP_STEP_MS }, 'hq link: a step of the stop did not finish in time; going on')),
        );
      engine.off('committed', onShopper);
      engine.off('committed', onCommitted);
      engine.off('committed', onClosed);
      k.lane.off('closedChanged', onLaneChange);
      k.faults.off('change', onLaneChange);
      k.hardware?.supervisor.off('condition', onLaneChange);
      unsubscribeResend();
      // the session's subscriptions stay at the broker: what HQ sends while the kiosk is stopped waits for it
      await bounded('price-book subscription', pbSub.close({ keepSubscriptions: true }));
      await bounded('members subscription', membersSub.close({ keepSubscriptions: true }));
      await bounded('recalls subscription', recallsSub.close({ keepSubscriptions: true }));
      if (releases) await bounded('releases', releases.close({ keepSubscriptions: true }));
      await bounded('presence', presence.stop());
      await bounded('outbox drain', publisher.stop());
      // a client made with `manualConnect` forgets it is ending once end() completes while it is not connected, and its
      // socket's later 'close' schedules a reconnect: a stopped kiosk would connect again (node_modules/mqtt
      // build/lib/client.js, end() → closeStores resets `disconnecting` when `manualConnect`). No reconnect after this.
      client.options.reconnectPeriod = 0;
      // forced when disconnected: a queued (un)subscribe would make a graceful end wait for a broker that is not there
      await bounded('connection', client.endAsync(!client.connected));
      client.off('message', onMessage);
      client.off('connect', subscribe);
      client.off('connect', onFirstConnect);
      client.off('connect', onConnect);
      client.off('close', onClose); // its 'error' listener stays: an error after the end must not throw
    },
  };
}
