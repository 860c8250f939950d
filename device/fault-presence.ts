import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { KioskConfig } from '../config/schema';
import type { Clock, TimerHandle } from '../kernel/clock';
import { applyReconnectBackoff, fullJitterDelay, type BackoffCounter, type BackoffPolicy } from '../kernel/reconnect-backoff';
import type { BootFault } from '../runtime/db/boot-check';
import type { LaneCondition } from '../runtime/supervision/lane-condition';
import { kioskClientId } from '../runtime/hq-sync/client-id';
import type { StateMessage } from '../protocol/sync/messages';
import { stateWill } from '../runtime/hq-sync/presence';
import { stateTopic } from '../protocol/topics';
import { brokerCredentials, readIdentity } from '../runtime/trust/identity';
import type { Logger } from './logger';

const END_WAIT_MS = 3000;
/** Node's timers take at most 2^31 − 1 ms; a period of 0 would switch mqtt.js's reconnecting off. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The retained `state` of a kiosk in the fault shell: a birth (online) with the boot fault (HQ's fleet health shows it) and the lane's condition. */
export interface FaultStateMessage extends StateMessage {
  /** The lane condition, as the running kiosk reports it in telemetry `devices` (inService false, reasons, light). */
  condition: LaneCondition;
  fault: { code: string; reason: string };
}

/** HQ's view of a kiosk that cannot boot: connected while the shell holds it, disconnected before each boot attempt. */
export interface FaultPresence {
  /** Connects (if not connected) and publishes the retained state for this fault. Never throws. */
  announce(fault: BootFault, condition: LaneCondition): Promise<void>;
  /** Ends the connection cleanly (no will): the booting kiosk's own link takes over with the same client id. */
  disconnect(): Promise<void>;
  /** At stop: the retained offline state, then a clean disconnect. */
  stop(): Promise<void>;
}

/**
 * Tells HQ why the kiosk is out of service while it cannot boot (issue 11, point 3): only when a broker is
 * configured or provisioned (identity.json, `hq.broker`) — the embedded default's HQ store lives on the broken data
 * dir. It logs in as the kiosk would (credentials, client id, persistent session, the same session expiry) with
 * the offline state as will, and publishes the retained state message HQ's fleet view reads. Queued messages of
 * the kiosk's session (commands, acks, resend requests) are never acknowledged here: the broker keeps them in
 * flight and delivers them again to the booted kiosk's link (mqtt.js would PUBACK a message nobody handles).
 * Returns null when there is no broker to tell.
 *
 * Reconnects follow the HQ link's full-jitter capped exponential backoff (`hq.reconnect`, kernel/reconnect-backoff.ts):
 * the wait before the n-th attempt since the last accepted CONNACK is random(0, min(capMs, baseMs · 2^n)), so the
 * broken lanes of a fleet do not hammer a restarting broker in lockstep. A refused CONNACK (not authorized, until
 * the broker's password file or ACL is put right) is retried on the same schedule (`reconnectOnConnackError`). The
 * count of attempts outlives the shell's connection, which is let go before every boot attempt: a new connection
 * after one that was not up waits its turn (on the injected clock) instead of connecting at once.
 * `random` ([0, 1), like Math.random) is injected for tests.
 */
export function faultPresence(config: KioskConfig, deps: { clock: Clock; log: Logger; software: string; random?: () => number }): FaultPresence | null {
  const { clock, log } = deps;
  const random = deps.random ?? Math.random;
  const store = config.device.storeId;
  const device = config.device.deviceId;
  let url: string | null | undefined;
  let credentials: ReturnType<typeof brokerCredentials> = {};
  try {
    const identity = readIdentity(config.dataDir);
    url = identity?.broker.url ?? config.hq.broker;
    if (identity) credentials = brokerCredentials(config.dataDir, identity.broker.auth);
  } catch (e) {
    log.warn({ err: e instanceof Error ? e.message : String(e) }, 'fault shell: identity not readable, HQ not told');
    return null;
  }
  if (!url) return null;
  const brokerUrl = url;
  const v5 = config.hq.protocolVersion === 5;
  const offline = (): StateMessage => ({ v: 1, online: false, ts: clock.now(), software: deps.software });
  const policy: BackoffPolicy = { baseMs: config.hq.reconnect.baseMs, capMs: config.hq.reconnect.capMs };
  let client: MqttClient | null = null;
  let last: FaultStateMessage | null = null;
  /** Reconnect attempts since the last accepted CONNACK, across the shell's connections (each one's backoff counts here). */
  const counter: BackoffCounter = { attempts: 0 };
  /** The last connection was not up when it was let go: the next one waits its backoff before its first attempt. */
  let linkDown = false;
  /** A connection's first attempt, while it waits its backoff. */
  let pending: TimerHandle | null = null;
  const wait = () => Math.min(MAX_TIMER_MS, Math.max(1, fullJitterDelay(policy, counter.attempts, random)));

  const connect = (): MqttClient => {
    const options: IClientOptions = {
      clientId: kioskClientId(store, device, credentials),
      clean: false, // the kiosk's persistent session: clean start would discard what HQ queued for it
      protocolVersion: v5 ? 5 : 4,
      reconnectPeriod: policy.baseMs, // the first period only: set afresh at every failed attempt (backoff)
      // a refused login is retried on the backoff like a lost connection: mqtt.js would otherwise stop for good
      reconnectOnConnackError: true,
      connectTimeout: 10_000,
      will: stateWill(store, device, offline()),
      ...(v5 ? { properties: { sessionExpiryInterval: 30 * 86_400 } } : {}),
      ...credentials,
    };
    const c = mqtt.connect(brokerUrl, { ...options, manualConnect: true });
    // never PUBACK what the session delivers (HQ only sends QoS 0/1): nothing here handles it, the booted kiosk will.
    // mqtt.js sends the PUBACK in handleMessage's callback and skips it on an error (handlers/publish.js, QoS 1); the
    // broker keeps the message in flight and sends it again when the session resumes (MQTT 3.1.1 §4.4, MQTT 5 §4.4)
    c.handleMessage = (packet, done) => {
      if (packet.qos > 0) log.info({ topic: packet.topic }, 'fault shell: a queued HQ message is left for the booted kiosk');
      done(packet.qos > 0 ? new Error('held for the booted kiosk') : undefined);
    };
    c.on('error', (e) => log.warn({ err: e.message }, 'fault shell: hq link error'));
    c.on('connect', () => {
      if (last) void publish(c, last);
    });
    applyReconnectBackoff(c, policy, random, counter);
    c.connect();
    return c;
  };
  /** A new connection: at once, or after its backoff when the last one was not up (the broker down or refusing). */
  const start = () => {
    if (!linkDown) {
      client = connect();
      return;
    }
    pending = clock.setTimeout(() => {
      pending = null;
      counter.attempts++; // this first attempt is a reconnect of the shell's link
      client = connect();
    }, wait());
  };
  /** Lets the connection (or its pending first attempt) go; remembers whether it was up. */
  const release = (): MqttClient | null => {
    if (pending) {
      clock.clearTimeout(pending);
      pending = null;
    }
    const c = client;
    client = null;
    if (c) linkDown = !c.connected;
    return c;
  };
  const publish = (c: MqttClient, m: StateMessage) =>
    c.publishAsync(stateTopic(store, device), JSON.stringify(m), { qos: 1, retain: true }).then(
      () => undefined,
      (e: unknown) => log.warn({ err: e instanceof Error ? e.message : String(e) }, 'fault shell: state not published'),
    );

  /** A clean DISCONNECT (no will) once the state's PUBACK is in; with the broker gone it cannot be: forced after a while. */
  const end = async (c: MqttClient) => {
    let timer: TimerHandle | null = null;
    const late = new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, END_WAIT_MS)));
    let ended = false;
    // with manualConnect, mqtt.js forgets it is ending once end() completes while it is not connected, and the socket's
    // later 'close' would arm a reconnect: a ghost of the shell on the kiosk's client id (see device/hq-link.ts stop)
    c.options.reconnectPeriod = 0;
    // forced when not connected: there is nothing to say goodbye on, and a graceful end would wait for it
    await Promise.race([c.endAsync(!c.connected).then(() => (ended = true), () => undefined), late]);
    if (timer) clock.clearTimeout(timer);
    if (!ended) c.stream?.destroy(); // a second end() is a no-op while the first is pending
  };

  return {
    async announce(fault, condition) {
      last = { v: 1, online: true, ts: clock.now(), software: deps.software, condition, fault: { code: fault.code, reason: fault.reason } };
      if (client) {
        if (client.connected) await publish(client, last);
      } else if (!pending) start(); // publishes `last` on connect
    },
    async disconnect() {
      const c = release();
      if (c) await end(c);
    },
    async stop() {
      const c = release();
      if (!c) return;
      if (c.connected) await publish(c, offline());
      await end(c);
    },
  };
}
