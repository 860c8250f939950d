import type { MqttClient, Packet } from 'mqtt';

/**
 * Reconnects spread out in time ("full jitter", AWS Architecture Blog, "Exponential Backoff And Jitter"): the wait before
 * reconnect attempt `n` (0 = the first after the link dropped) is uniform in [0, min(capMs, baseMs · 2^n)]. When a broker
 * restarts, a thousand lanes then come back spread over the window instead of all in the same second, and a broker that
 * stays down is asked at most about once per `capMs` by each client.
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

/** The ceiling min(capMs, baseMs · 2^attempt), finite for any attempt (a negative or fractional attempt counts as 0 / rounded down). */
export function backoffCeiling(policy: BackoffPolicy, attempt: number): number {
  // a cap beyond what a timer takes is no cap; NaN counts as 0
  const cap = Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, policy.capMs || 0));
  const base = Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, policy.baseMs || 0));
  if (base === 0) return 0;
  // 2^1100 is Infinity: base · Infinity is Infinity and the min is the cap (no NaN, however large the attempt)
  const n = Number.isNaN(attempt) ? 0 : Math.min(1100, Math.max(0, Math.floor(attempt)));
  return Math.min(cap, base * 2 ** n);
}

/**
 * The wait in whole milliseconds before attempt `attempt`: random(0, min(capMs, baseMs · 2^attempt)). `random` returns
 * [0, 1) like Math.random (injected: tests replay it); a value outside that range is clamped, NaN counts as 0.
 */
export function fullJitterDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const ceiling = backoffCeiling(policy, attempt);
  const r = random();
  const u = Number.isNaN(r) ? 0 : Math.min(1, Math.max(0, r));
  return Math.min(ceiling, Math.floor(u * (ceiling + 1)));
}

/** Node's timers take at most 2^31 − 1 ms; a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Reconnect attempts since the last accepted CONNACK; shared by several clients in turn when one link outlives them. */
export interface BackoffCounter {
  attempts: number;
}

/**
 * Makes an mqtt.js v5 client wait `fullJitterDelay(policy, n, random)` before its n-th reconnect attempt since the last
 * CONNACK, instead of its fixed `reconnectPeriod`. Returns a function that detaches it (the client keeps the last period).
 * `counter` holds the attempt count: pass one object to the successive clients of one link (e.g. the boot-fault shell,
 * which lets its connection go before every boot attempt) so the count outlives each of them.
 *
 * How mqtt.js schedules (node_modules/mqtt build/lib/client.js 5.x): on every `close` of the connection its own listener
 * (`_setupReconnect`) reads `options.reconnectPeriod` and arms a timer unless one is armed; the timer's `_reconnect`
 * emits `reconnect` and calls `connect()`, which clears the timer — so the period is read afresh after each failed
 * attempt. With `reconnectOnConnackError`, a refused CONNACK arms the timer at once, before that connection's `close`.
 * The period is therefore drawn once per failed attempt at whichever comes first: a refused CONNACK (`packetreceive`)
 * or the `close` (this listener runs before mqtt.js's own: `prependListener`). A period of 0 means the owner switched
 * reconnecting off (e.g. a kiosk stopping its link): it is left alone. The period set is at least 1 ms (0 would switch
 * reconnecting off) and at most 2^31 − 1 ms (a Node timer's limit).
 */
export function applyReconnectBackoff(client: MqttClient, policy: BackoffPolicy, random: () => number = Math.random, counter: BackoffCounter = { attempts: 0 }): () => void {
  let drawn = false;
  const arm = () => {
    if (client.options.reconnectPeriod === 0 || drawn) return;
    drawn = true;
    client.options.reconnectPeriod = Math.min(MAX_TIMER_MS, Math.max(1, fullJitterDelay(policy, counter.attempts, random)));
  };
  const onPacket = (p: Packet) => {
    // MQTT 5 names it reasonCode, 3.1.1 returnCode; 0 is accepted
    if (p.cmd === 'connack' && ((p.reasonCode ?? p.returnCode ?? 0) as number) > 0) arm();
  };
  const onReconnect = () => {
    counter.attempts++;
    drawn = false;
  };
  const onConnect = () => {
    counter.attempts = 0;
    drawn = false;
  };
  client.on('packetreceive', onPacket);
  client.prependListener('close', arm);
  client.on('reconnect', onReconnect);
  client.on('connect', onConnect);
  return () => {
    client.off('packetreceive', onPacket);
    client.off('close', arm);
    client.off('reconnect', onReconnect);
    client.off('connect', onConnect);
  };
}
