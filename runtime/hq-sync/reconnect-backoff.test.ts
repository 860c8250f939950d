/**
 * Full-jitter capped exponential backoff: the delay's properties (fast-check), and an mqtt.js client with the policy on
 * a real Mosquitto that is stopped and started again — its reconnect attempts are spaced by the policy's delays, grow
 * to the cap, start over after a CONNACK, and stop when the owner sets `reconnectPeriod` to 0.
 */
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import mqtt, { type MqttClient } from 'mqtt';
import { Mosquitto } from '../../test/support/mosquitto';
import { waitFor } from '../../test/support/wait';
import { applyReconnectBackoff, fullJitterDelay, type BackoffPolicy } from './reconnect-backoff';

jest.setTimeout(60_000);

const policyArb = fc
  .record({ baseMs: fc.integer({ min: 1, max: 1_000_000 }), extra: fc.oneof(fc.integer({ min: 0, max: 1_000_000_000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 1_000_000 })) })
  .map(({ baseMs, extra }): BackoffPolicy => ({ baseMs, capMs: baseMs + extra }));
/** Attempt numbers from small to absurd: 2^attempt overflows a double from 1024 on. */
const attemptArb = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 5000 }), fc.constantFrom(1023, 1024, 1075, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, Infinity));
/** What Math.random returns: [0, 1). */
const unitArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('fullJitterDelay', () => {
  it('is a whole number of ms in [0, min(cap, base · 2^attempt)], never NaN, for any attempt', () => {
    fc.assert(
      fc.property(policyArb, attemptArb, unitArb, (policy, attempt, r) => {
        const d = fullJitterDelay(policy, attempt, () => r);
        const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
        expect(Number.isNaN(d)).toBe(false);
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(ceiling);
      }),
      { numRuns: 2000 },
    );
  });

  it('stays in range when the random source misbehaves (NaN, negative, ≥ 1)', () => {
    fc.assert(
      fc.property(policyArb, attemptArb, fc.oneof(fc.double(), fc.constantFrom(NaN, -1, 1, 2, Infinity, -Infinity)), (policy, attempt, r) => {
        const d = fullJitterDelay(policy, attempt, () => r);
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.min(policy.capMs, policy.baseMs * 2 ** attempt));
      }),
    );
  });

  it('is monotone in the random draw and reaches the ceiling: full jitter, not a fraction of it', () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 0, max: 80 }), unitArb, unitArb, (policy, attempt, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(fullJitterDelay(policy, attempt, () => lo)).toBeLessThanOrEqual(fullJitterDelay(policy, attempt, () => hi));
        const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
        expect(fullJitterDelay(policy, attempt, () => 0)).toBe(0);
        expect(fullJitterDelay(policy, attempt, () => 1 - Number.EPSILON)).toBeGreaterThanOrEqual(ceiling - 1);
      }),
    );
  });

  it('spreads uniformly over the window with Math.random (a thousand lanes do not come back together)', () => {
    const policy = { baseMs: 1000, capMs: 60_000 };
    const samples = Array.from({ length: 20_000 }, () => fullJitterDelay(policy, 3, Math.random)); // window [0, 8 s]
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(mean).toBeGreaterThan(3800);
    expect(mean).toBeLessThan(4200);
    // every second of the window gets its share (expected 2 500 per bucket)
    const buckets = Array.from({ length: 8 }, (_, i) => samples.filter((d) => d >= i * 1000 && d < (i + 1) * 1000).length);
    for (const n of buckets) expect(n).toBeGreaterThan(2100);
    expect(Math.max(...samples)).toBeLessThanOrEqual(8000);
  });
});

describe('applyReconnectBackoff on a real Mosquitto', () => {
  let broker: Mosquitto;
  const clients: MqttClient[] = [];
  beforeEach(async () => {
    broker = await Mosquitto.start({ persistence: false });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true);
    await broker.close();
  });

  /** A client with the policy; records when each connection closed and each reconnect attempt started. */
  function client(policy: BackoffPolicy, random: () => number) {
    const c = mqtt.connect(broker.url, { clientId: `backoff-${process.pid}-${clients.length}`, reconnectPeriod: 5000, connectTimeout: 5000 });
    clients.push(c);
    c.on('error', () => undefined);
    applyReconnectBackoff(c, policy, random);
    const log: { ev: 'close' | 'reconnect' | 'connect'; t: number; period: number }[] = [];
    for (const ev of ['close', 'reconnect', 'connect'] as const) c.on(ev as 'close', () => log.push({ ev, t: performance.now(), period: c.options.reconnectPeriod ?? -1 }));
    return { c, log };
  }

  /** The waits between each `close` and the `reconnect` attempt that followed it, and the period in force then. */
  function waits(log: { ev: string; t: number; period: number }[]): { waited: number; period: number }[] {
    const out: { waited: number; period: number }[] = [];
    let closed: { t: number; period: number } | null = null;
    for (const e of log) {
      if (e.ev === 'close') closed = e;
      if (e.ev === 'reconnect' && closed) {
        out.push({ waited: e.t - closed.t, period: closed.period });
        closed = null;
      }
    }
    return out;
  }

  it('spaces the attempts by the policy, doubling to the cap, and starts over after a CONNACK', async () => {
    const policy = { baseMs: 100, capMs: 800 };
    // a fixed draw of 0.9: the delays show the window itself (90, 180, 360, 720, then the cap: 720…)
    const { c, log } = client(policy, () => 0.9);
    await waitFor('the first connect', () => c.connected);
    await broker.stop();
    await waitFor('six reconnect attempts', () => log.filter((e) => e.ev === 'reconnect').length >= 6, 20_000);
    const down = waits(log).slice(0, 6);
    const expected = [0, 1, 2, 3, 4, 5].map((n) => fullJitterDelay(policy, n, () => 0.9));
    expect(expected).toEqual([90, 180, 360, 720, 720, 720]);
    expect(down.map((w) => w.period)).toEqual(expected);
    for (const [i, w] of down.entries()) {
      expect(w.waited).toBeGreaterThanOrEqual(expected[i] - 5); // timers may fire a ms early on rounding, never a wait short
      expect(w.waited).toBeLessThan(expected[i] + 400); // a loaded machine's timer lag, far below the next step
    }

    // back up: connected again; the next outage starts from attempt 0 (≤ base), not where the last one ended
    await broker.start();
    await waitFor('the reconnect', () => c.connected, 20_000);
    const before = log.length;
    await broker.stop();
    await waitFor('two attempts after the second outage', () => log.slice(before).filter((e) => e.ev === 'reconnect').length >= 2, 20_000);
    expect(waits(log.slice(before)).slice(0, 2).map((w) => w.period)).toEqual([90, 180]);
  });

  it('draws each wait afresh from the injected random source', async () => {
    const policy = { baseMs: 200, capMs: 5000 };
    const draws = [0.5, 0.1, 0.95, 0.3];
    let i = 0;
    const { c, log } = client(policy, () => draws[i++ % draws.length]);
    await waitFor('the first connect', () => c.connected);
    await broker.stop();
    await waitFor('four reconnect attempts', () => log.filter((e) => e.ev === 'reconnect').length >= 4, 20_000);
    const periods = waits(log).slice(0, 4).map((w) => w.period);
    expect(periods).toEqual(draws.map((r, n) => fullJitterDelay(policy, n, () => r)));
    expect(periods).toEqual([100, 40, 760, 480]);
  });

  it("leaves reconnecting off once the owner sets reconnectPeriod to 0 (a stopping kiosk's link)", async () => {
    const { c, log } = client({ baseMs: 50, capMs: 100 }, () => 0.5);
    await waitFor('the first connect', () => c.connected);
    await broker.stop();
    await waitFor('an attempt', () => log.some((e) => e.ev === 'reconnect'), 10_000);
    c.options.reconnectPeriod = 0;
    // a wait armed before the switch may still run one attempt; it fails, and then nothing is armed
    await new Promise((r) => setTimeout(r, 500));
    expect(log[log.length - 1].ev).toBe('close');
    const attempts = log.filter((e) => e.ev === 'reconnect').length;
    await broker.start();
    await new Promise((r) => setTimeout(r, 1000)); // ten times the cap
    expect(log.filter((e) => e.ev === 'reconnect').length).toBe(attempts);
    expect(c.connected).toBe(false);
    expect(c.options.reconnectPeriod).toBe(0);
  });
});
