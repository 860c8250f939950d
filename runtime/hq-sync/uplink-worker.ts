/**
 * The HQ uplink worker thread: the kiosk's one MQTT connection (mqtt.js) and the outbox drain (OutboxPublisher) run
 * here, on an event loop of their own and at a lower CPU priority, so draining a backlog (encoding, socket writes,
 * PUBACKs, acks, batch reads) never delays a scan on the lane's thread. The worker reads the outbox and journal on a
 * read-only connection of its own; every write (deleting acknowledged rows) is asked of the lane's thread, which
 * owns the writer queue and puts the lane's own transactions first. Started by RemoteMqttClient (remote-mqtt-client.ts);
 * the messages are in uplink-messages.ts.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import mqtt, { type IClientSubscribeOptions } from 'mqtt';
import { SystemClock } from '../../kernel/clock';
import { KioskDb } from '../../kernel/sqlite/database';
import { applyProtocolFallback } from '../../kernel/mqtt-protocol-fallback';
import { applyReconnectBackoff } from '../../kernel/reconnect-backoff';
import { lowerThreadPriority } from '../../kernel/thread-priority';
import { OutboxPublisher } from './outbox-publisher';
import type { ConnectionEvent, FromWorker, ToWorker, UplinkInit } from './uplink-messages';

/**
 * Runs the uplink on `port` (the worker's parentPort, or one end of a MessageChannel when it runs on the lane's own
 * thread: uplink-thread.ts `inline`). Rejects when it cannot start (e.g. the database cannot be opened).
 */
export async function runUplink(port: MessagePort, init: UplinkInit): Promise<void> {
  lowerThreadPriority(init.nice);
  const send = (m: FromWorker) => port.postMessage(m);
  // writeCache off: mqtt-packet would otherwise build 65 536 number Buffers at the first packet (~5 MiB, ~50 ms).
  // reconnectOnConnackError: a refused CONNACK (not authorized, until the broker's password file or ACL is put right)
  // is retried on the reconnect schedule like any lost connection; mqtt.js would otherwise never connect again
  // until the kiosk restarts.
  const client = mqtt.connect(init.brokerUrl, { ...init.mqtt, manualConnect: true, writeCache: false, reconnectOnConnackError: true });
  client.setMaxListeners(16);
  const state = () => ({ connected: client.connected, disconnecting: client.disconnecting, disconnected: client.disconnected });
  for (const name of ['connect', 'close', 'offline', 'reconnect', 'end', 'disconnect'] as ConnectionEvent[]) {
    client.on(name as 'connect', () => send({ t: 'event', name, ...state() }));
  }
  // a broker that speaks only MQTT 3.1.1 (Aedes, older brokers): go back to 3.1.1 and keep syncing; the refusal
  // that made it so is told once, as the fallback, not also as a link error
  let refusal: Error | null = null;
  applyProtocolFallback(client, ({ cause, error }) => {
    refusal = error ?? null;
    send({ t: 'protocolFallback', cause });
  });
  client.on('error', (e: Error & { code?: string | number }) => {
    if (e !== refusal) send({ t: 'error', message: e.message || String(e), code: e.code ?? null });
  });
  // a broker restart must not bring every lane back in the same second: jittered, capped, doubling waits
  if (init.reconnect) applyReconnectBackoff(client, init.reconnect);

  // the drain reads on its own read-only connection; deletes go to the lane's thread
  const db = await KioskDb.openReadOnly(init.dbFile);
  let nextDelete = 1;
  const deletes = new Map<number, { resolve: (n: number) => void; reject: (e: Error) => void }>();
  let atLane = false;
  const drain = new OutboxPublisher({
    db,
    reader: db.read,
    deleteAcked: (upTo, limit) =>
      new Promise<number>((resolve, reject) => {
        const id = nextDelete++;
        deletes.set(id, { resolve, reject });
        send({ t: 'drain.delete', id, upTo, limit });
      }),
    client,
    storeId: init.storeId,
    deviceId: init.deviceId,
    clock: new SystemClock(),
    window: Math.max(init.drain.atLane.window, init.drain.between.window),
    windowNow: () => (atLane ? init.drain.atLane : init.drain.between).window,
    pauseMs: () => (atLane ? init.drain.atLane : init.drain.between).pauseMs,
    deleteEveryMs: init.drain.deleteEveryMs,
    slice: init.drain.slice,
    ...(init.drain.ackTimeoutMs !== undefined ? { ackTimeoutMs: init.drain.ackTimeoutMs } : {}),
    ...(init.drain.batch !== undefined ? { batch: init.drain.batch } : {}),
  });
  // PUBACKed seqs go to the lane's thread once per turn, not one message each
  let published: number[] = [];
  drain.on('published', (seq) => {
    if (published.length === 0) setImmediate(() => {
      send({ t: 'drain.published', seqs: published });
      published = [];
    });
    published.push(seq);
  });
  drain.on('acked', (seq) => send({ t: 'drain.acked', seq }));
  drain.on('ackRefused', (refusal) => send({ t: 'drain.ackRefused', refusal }));
  drain.on('error', (e) => send({ t: 'drain.error', message: e.message }));

  // HQ's acks are the drain's own business: the lane's thread is not woken for them
  client.on('message', (topic, payload, packet) => {
    if (topic === drain.ackTopic) return;
    send({ t: 'message', topic, payload, qos: packet.qos, retain: packet.retain });
  });

  let connectCalled = false;
  const reply = (id: number) => (err?: Error | null) => send({ t: 'reply', id, error: err ? err.message || String(err) : null });
  port.on('message', (m: ToWorker) => {
    switch (m.t) {
      case 'connect':
        // once: a second connect() would open a second socket under the same client id, and the broker would make
        // the two take the session from each other in turn (a replacement worker may be asked twice)
        if (!connectCalled) client.connect();
        connectCalled = true;
        break;
      case 'publish':
        client.publish(m.topic, typeof m.payload === 'string' ? m.payload : Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength), m.opts, reply(m.id));
        break;
      case 'subscribe':
        if (m.opts) client.subscribe(m.topic as string | string[], m.opts, reply(m.id));
        else client.subscribe(m.topic as Record<string, IClientSubscribeOptions>, reply(m.id));
        break;
      case 'unsubscribe':
        client.unsubscribe(m.topic, reply(m.id));
        break;
      case 'end':
        void drain
          .stop()
          .then(() => client.endAsync(m.force))
          .then(() => db.close())
          .then(() => reply(m.id)(null), (e: Error) => reply(m.id)(e));
        break;
      case 'reconnect':
        client.reconnect();
        break;
      case 'destroySocket':
        client.stream?.destroy();
        break;
      case 'option':
        if (m.key === 'will') client.options.will = m.value as typeof client.options.will;
        else client.options.reconnectPeriod = m.value as number;
        break;
      case 'drain.start':
        drain.start();
        break;
      case 'drain.notify':
        drain.notify();
        break;
      case 'drain.resendFrom':
        drain.resendFrom(m.seq);
        break;
      case 'drain.republish':
        drain.republishUnacked();
        break;
      case 'drain.stop':
        void drain.stop().then(() => reply(m.id)(null), (e: Error) => reply(m.id)(e));
        break;
      case 'drain.shopper':
        if (atLane !== m.atLane) {
          atLane = m.atLane;
          drain.notify(); // a shopper left: the window opens now
        }
        break;
      case 'drain.deleted': {
        const d = deletes.get(m.id);
        deletes.delete(m.id);
        if (m.error === null) d?.resolve(m.changes);
        else d?.reject(new Error(m.error));
        break;
      }
    }
  });
  send({ t: 'ready' });
}

if (parentPort) {
  const port = parentPort;
  runUplink(port, workerData as UplinkInit).catch((e: unknown) => {
    // the lane's thread logs it and starts the worker again (remote-mqtt-client.ts)
    port.postMessage({ t: 'error', message: `uplink worker failed to start: ${(e as Error).message ?? String(e)}`, code: 'UPLINK_START' } satisfies FromWorker);
    process.exitCode = 1;
    port.close();
  });
}
