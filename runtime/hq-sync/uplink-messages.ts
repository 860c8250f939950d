import type { IClientOptions, IClientPublishOptions, IClientSubscribeOptions } from 'mqtt';
import type { BackoffPolicy } from '../../kernel/reconnect-backoff';
import type { AckRefusal } from './outbox-publisher';

/**
 * The messages between the lane's thread and the HQ uplink worker (runtime/hq-sync/uplink-worker.ts): the worker owns
 * the MQTT connection and the outbox drain; the lane's thread sees the connection through RemoteMqttClient and the
 * drain through RemoteOutboxPublisher. Everything here crosses `postMessage` (structured clone: no functions).
 */

/** What the worker is started with (`workerData`). */
export interface UplinkInit {
  brokerUrl: string;
  /** mqtt.js options without functions (TLS material as Buffers). `manualConnect` is set by the worker. */
  mqtt: IClientOptions;
  /**
   * Reconnect with full-jitter capped exponential backoff (kernel/reconnect-backoff.ts) instead of the fixed
   * `mqtt.reconnectPeriod`; absent: the fixed period. An `mqtt.reconnectPeriod` of 0 still means no reconnecting.
   */
  reconnect?: BackoffPolicy;
  /** The kiosk's database: the worker reads the outbox and the journal on a read-only connection of its own. */
  dbFile: string;
  storeId: string;
  deviceId: string;
  /** OutboxPublisher options (the window and the pause follow `shopper` messages). */
  drain: {
    deleteEveryMs: number;
    /** Window and pause while a shopper is at the lane, and between shoppers. */
    atLane: { window: number; pauseMs: number };
    between: { window: number; pauseMs: number };
    slice: number;
    ackTimeoutMs?: number;
    batch?: number;
  };
  /** The worker thread's CPU priority (Linux nice, 0–19): the lane's thread goes first when the CPU is short. */
  nice: number;
}

export type ToWorker =
  | { t: 'connect' }
  | { t: 'publish'; id: number; topic: string; payload: string | Uint8Array; opts: IClientPublishOptions }
  | { t: 'subscribe'; id: number; topic: string | string[] | Record<string, IClientSubscribeOptions>; opts: IClientSubscribeOptions | null }
  | { t: 'unsubscribe'; id: number; topic: string | string[] }
  | { t: 'end'; id: number; force: boolean }
  | { t: 'reconnect' }
  /** Drops the socket as a network failure would (tests, `kiosk` fault drills). */
  | { t: 'destroySocket' }
  | { t: 'option'; key: 'will' | 'reconnectPeriod'; value: unknown }
  | { t: 'drain.start' }
  | { t: 'drain.notify' }
  | { t: 'drain.resendFrom'; seq: number }
  | { t: 'drain.republish' }
  | { t: 'drain.stop'; id: number }
  | { t: 'drain.shopper'; atLane: boolean }
  | { t: 'drain.deleted'; id: number; changes: number; error: string | null };

export type ConnectionEvent = 'connect' | 'close' | 'offline' | 'reconnect' | 'end' | 'disconnect';

export type FromWorker =
  | { t: 'ready' }
  | { t: 'event'; name: ConnectionEvent; connected: boolean; disconnecting: boolean; disconnected: boolean }
  | { t: 'error'; message: string; code: string | number | null }
  /** The broker does not speak MQTT 5: the connection went back to 3.1.1 for good (kernel/mqtt-protocol-fallback.ts). */
  | { t: 'protocolFallback'; cause: string }
  | { t: 'message'; topic: string; payload: Uint8Array; qos: number; retain: boolean }
  | { t: 'reply'; id: number; error: string | null }
  | { t: 'drain.published'; seqs: number[] }
  | { t: 'drain.acked'; seq: number }
  | { t: 'drain.ackRefused'; refusal: AckRefusal }
  | { t: 'drain.error'; message: string }
  /** Delete acknowledged outbox rows `seq <= upTo`, at most `limit` of them, on the lane's writer (background). */
  | { t: 'drain.delete'; id: number; upTo: number; limit: number };
