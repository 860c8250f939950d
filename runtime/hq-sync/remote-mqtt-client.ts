import { EventEmitter } from 'node:events';
import type { IClientOptions, IClientPublishOptions, IClientSubscribeOptions, MqttClient } from 'mqtt';
import { KioskError } from '../../kernel/errors';
import { mqtt311Options } from '../../kernel/mqtt-protocol-fallback';
import type { UplinkThread } from './uplink-thread';
import type { FromWorker } from './uplink-messages';

type Callback = (err?: Error) => void;
type SubscribeTopic = string | string[] | Record<string, IClientSubscribeOptions>;

/**
 * The lane thread's view of the MQTT connection that lives in the HQ uplink worker (uplink-worker.ts): the part of
 * mqtt.js's MqttClient the kiosk uses — `connect`, `publish(Async)`, `subscribe`, `unsubscribe(Async)`, `end(Async)`,
 * `reconnect`, `connected` / `disconnecting` / `disconnected`, `options.will` and `options.reconnectPeriod`, and the
 * events `connect`, `close`, `offline`, `reconnect`, `end`, `disconnect`, `error` and `message` (payload a Buffer,
 * packet with `topic`, `qos`, `retain`). HQ's acks never come here: the worker's drain takes them. Its own event
 * `protocolFallback` ({cause}) tells that the broker does not speak MQTT 5 and the link went back to 3.1.1
 * (`options.protocolVersion` becomes 4, and a replacement worker starts at 3.1.1).
 *
 * When the worker dies, pending calls fail, `close` is emitted (the lane shows HQ as down), and the replacement worker
 * gets the connection's state again (options, connect). Use `asMqttClient()` where a module is typed for mqtt.js.
 */
export class RemoteMqttClient extends EventEmitter {
  connected = false;
  disconnecting = false;
  disconnected = true;
  /** What the kiosk reads and sets of mqtt.js's options; setting `will` or `reconnectPeriod` reaches the worker. */
  readonly options: Pick<IClientOptions, 'clientId' | 'protocolVersion'> & { will?: IClientOptions['will']; reconnectPeriod?: number };
  /** Drops the TCP/TLS connection as a network failure would (what `client.stream.destroy()` does in mqtt.js). */
  readonly stream = { destroy: () => this.thread.send({ t: 'destroySocket' }) };
  private readonly pending = new Map<number, Callback>();
  private connectAsked = false;
  private ended = false;
  /** The end request itself is being tracked (the one call allowed after `ended`). */
  private ending = false;

  constructor(
    private readonly thread: UplinkThread,
    opts: IClientOptions,
  ) {
    super();
    const send = (key: 'will' | 'reconnectPeriod', value: unknown) => {
      thread.update((init) => ({ ...init, mqtt: { ...init.mqtt, [key]: value } }));
      thread.send({ t: 'option', key, value });
    };
    let will = opts.will;
    let reconnectPeriod = opts.reconnectPeriod;
    this.options = {
      clientId: opts.clientId,
      protocolVersion: opts.protocolVersion,
      get will() {
        return will;
      },
      set will(v) {
        will = v;
        send('will', v);
      },
      get reconnectPeriod() {
        return reconnectPeriod;
      },
      set reconnectPeriod(v) {
        reconnectPeriod = v;
        send('reconnectPeriod', v);
      },
    };
    thread.on('message', this.onWorker);
    thread.on('died', this.onDied);
    thread.on('restarted', this.onRestarted);
  }

  /** This client where a module is typed for mqtt.js's MqttClient (it uses only what is listed above). */
  asMqttClient(): MqttClient {
    return this as unknown as MqttClient;
  }

  connect(): this {
    this.connectAsked = true;
    this.thread.send({ t: 'connect' });
    return this;
  }

  publish(topic: string, payload: string | Buffer, opts?: IClientPublishOptions | Callback, cb?: Callback): this {
    const callback = typeof opts === 'function' ? opts : cb;
    const options = typeof opts === 'function' || !opts ? {} : opts;
    this.thread.send({ t: 'publish', id: this.track(callback), topic, payload, opts: options });
    return this;
  }

  publishAsync(topic: string, payload: string | Buffer, opts?: IClientPublishOptions): Promise<void> {
    return new Promise((resolve, reject) => this.publish(topic, payload, opts ?? {}, (err) => (err ? reject(err) : resolve())));
  }

  subscribe(topic: SubscribeTopic, opts?: IClientSubscribeOptions | Callback, cb?: Callback): this {
    const callback = typeof opts === 'function' ? opts : cb;
    const options = typeof opts === 'function' || !opts ? null : opts;
    this.thread.send({ t: 'subscribe', id: this.track(callback), topic, opts: options });
    return this;
  }

  subscribeAsync(topic: SubscribeTopic, opts?: IClientSubscribeOptions): Promise<void> {
    return new Promise((resolve, reject) => this.subscribe(topic, opts ?? { qos: 0 }, (err) => (err ? reject(err) : resolve())));
  }

  unsubscribe(topic: string | string[], cb?: Callback): this {
    this.thread.send({ t: 'unsubscribe', id: this.track(cb), topic });
    return this;
  }

  unsubscribeAsync(topic: string | string[]): Promise<void> {
    return new Promise((resolve, reject) => this.unsubscribe(topic, (err) => (err ? reject(err) : resolve())));
  }

  reconnect(): this {
    this.thread.send({ t: 'reconnect' });
    return this;
  }

  /** Ends the connection (the drain first) and then the worker thread. */
  async endAsync(force = false): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.disconnecting = true;
    this.ending = true;
    await new Promise<void>((resolve) => this.thread.send({ t: 'end', id: this.track(() => resolve()), force }));
    this.ending = false;
    this.thread.off('message', this.onWorker);
    this.thread.off('died', this.onDied);
    this.thread.off('restarted', this.onRestarted);
    await this.thread.stop();
    this.failPending(new KioskError('HQ_LINK_DOWN', 'the HQ link was stopped'));
    if (this.connected) {
      this.connected = false;
      this.emit('close');
    }
    this.disconnected = true;
  }

  end(force?: boolean, cb?: () => void): this {
    void this.endAsync(force ?? false).then(() => cb?.());
    return this;
  }

  private track(cb: Callback | undefined): number {
    const id = this.thread.id();
    if (!cb) return id;
    if (this.ended && !this.ending) {
      // asked after the end: never sent, fails at once
      queueMicrotask(() => cb(new KioskError('HQ_LINK_DOWN', 'the HQ link was stopped')));
    } else this.pending.set(id, cb);
    return id;
  }

  private failPending(e: Error): void {
    const cbs = [...this.pending.values()];
    this.pending.clear();
    for (const cb of cbs) cb(e);
  }

  private readonly onWorker = (m: FromWorker): void => {
    switch (m.t) {
      case 'event':
        this.connected = m.connected;
        this.disconnecting = m.disconnecting;
        this.disconnected = m.disconnected;
        // after endAsync() the lane's side hears of no new connection (a 'connect' that crossed the end request)
        if (!this.ended || m.name !== 'connect') this.emit(m.name);
        break;
      case 'error': {
        const e = new Error(m.message) as Error & { code?: string | number };
        if (m.code !== null) e.code = m.code;
        if (this.listenerCount('error') > 0) this.emit('error', e);
        break;
      }
      case 'message': {
        const payload = Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
        this.emit('message', m.topic, payload, { cmd: 'publish', topic: m.topic, payload, qos: m.qos, retain: m.retain, dup: false });
        break;
      }
      case 'protocolFallback':
        this.options.protocolVersion = 4;
        this.thread.update((init) => ({ ...init, mqtt: mqtt311Options(init.mqtt) }));
        this.emit('protocolFallback', { cause: m.cause });
        break;
      case 'reply': {
        const cb = this.pending.get(m.id);
        this.pending.delete(m.id);
        // a request the end cut short failed because the link stopped, not because of the broker
        cb?.(m.error === null ? undefined : this.ended ? new KioskError('HQ_LINK_DOWN', `the HQ link was stopped (${m.error})`) : new Error(m.error));
        break;
      }
      default:
        break; // the drain's messages: RemoteOutboxPublisher
    }
  };

  private readonly onDied = (e: Error): void => {
    this.failPending(new KioskError('HQ_LINK_DOWN', `the HQ uplink worker died: ${e.message}`));
    if (this.listenerCount('error') > 0) this.emit('error', new KioskError('HQ_LINK_DOWN', `the HQ uplink worker died (${e.message}); starting it again`));
    const was = this.connected;
    this.connected = false;
    this.disconnected = true;
    if (was) this.emit('close');
  };

  private readonly onRestarted = (): void => {
    if (this.connectAsked && !this.ended) this.thread.send({ t: 'connect' });
  };
}
