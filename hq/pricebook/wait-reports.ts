import type { MqttClient } from 'mqtt';
import type { Clock } from '../../kernel/clock';
import { boundedJsonParse } from '../../kernel/json/bounded-json';
import { assertTopicId, levelsUnderRoot, underRoot } from '../../protocol/topics';
import { pricebookReportedTopic, readPricebookReported, type PricebookReported } from '../../protocol/pricebook/topics';

/** One kiosk's answer to a pushed price book: its report, or `timeout`. */
export interface KioskPricebookOutcome {
  store: string;
  device: string;
  status: 'applied' | 'rejected' | 'timeout';
  reason?: string;
  detail?: string;
  items?: number;
}

/**
 * The devices of `store` HQ knows from their retained `kiosk/v1/{store}/+/state` (an empty retained state is a
 * cleared one: left out). A second subscription is the barrier: the broker sends a subscription's retained messages
 * before it answers the next SUBSCRIBE on the same connection, so once that is acknowledged they are all here.
 */
export async function knownDevices(client: MqttClient, store: string): Promise<string[]> {
  assertTopicId('store', store);
  const filter = underRoot(store, '+', 'state');
  const found = new Set<string>();
  const onMessage = (topic: string, payload: Buffer) => {
    const levels = levelsUnderRoot(topic);
    if (!levels || levels.length !== 3 || levels[0] !== store || levels[2] !== 'state') return;
    if (payload.length === 0) found.delete(levels[1]);
    else found.add(levels[1]);
  };
  client.on('message', onMessage);
  try {
    await client.subscribeAsync(filter, { qos: 1 });
    const barrier = underRoot(store, '_all', 'hq-barrier', `${process.pid}-${Date.now()}`);
    await client.subscribeAsync(barrier, { qos: 0 });
    await client.unsubscribeAsync([filter, barrier]);
  } finally {
    client.off('message', onMessage);
  }
  return [...found].sort();
}

/**
 * Collects each device's `pricebook/reported` for `version` (retained, so subscribing after the push still sees an
 * outcome already reported): `start()` subscribes before the push; `wait()` resolves when every device applied or
 * refused it, or at `timeoutMs` with the rest as `timeout`. `onOutcome` sees each final outcome as it arrives.
 */
export function pricebookReportWaiter(
  client: MqttClient,
  opts: { store: string; devices: string[]; version: string; clock: Clock; timeoutMs: number; onOutcome?: (o: KioskPricebookOutcome) => void; onProgress?: (r: PricebookReported & { device: string }) => void },
): { start(): Promise<void>; wait(): Promise<KioskPricebookOutcome[]> } {
  const topics = new Map(opts.devices.map((d) => [pricebookReportedTopic(opts.store, d), d]));
  const outcomes = new Map<string, KioskPricebookOutcome>();
  let done: (() => void) | null = null;
  const onMessage = (topic: string, payload: Buffer) => {
    const device = topics.get(topic);
    if (device === undefined || outcomes.has(device) || payload.length === 0) return;
    let r: PricebookReported | null;
    try {
      r = readPricebookReported(boundedJsonParse(payload, { maxBytes: 16 * 1024 }));
    } catch {
      return;
    }
    if (!r) return;
    // a refusal of a manifest the kiosk could not believe (bad signature, unknown key …) names the version it claimed
    const unverified = r.version === null && r.status === 'rejected' && r.claimedVersion === opts.version;
    if (r.version !== opts.version && !unverified) return;
    if (r.status === 'downloading') return opts.onProgress?.({ ...r, device });
    const o: KioskPricebookOutcome = {
      store: opts.store,
      device,
      status: r.status,
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      ...(r.detail !== undefined || unverified ? { detail: `${r.detail ?? ''}${unverified ? ' (the refused manifest claimed this version; it could not be verified)' : ''}`.trim() } : {}),
      ...(r.items !== undefined ? { items: r.items } : {}),
    };
    outcomes.set(device, o);
    opts.onOutcome?.(o);
    if (outcomes.size === topics.size) done?.();
  };
  return {
    async start() {
      client.on('message', onMessage);
      if (topics.size > 0) await client.subscribeAsync([...topics.keys()], { qos: 1 });
    },
    async wait() {
      try {
        if (outcomes.size < topics.size) {
          await new Promise<void>((resolve) => {
            const timer = opts.clock.setTimeout(resolve, opts.timeoutMs);
            done = () => {
              opts.clock.clearTimeout(timer);
              resolve();
            };
          });
        }
      } finally {
        client.off('message', onMessage);
      }
      return opts.devices.map((device) => {
        const o = outcomes.get(device);
        if (o) return o;
        const t: KioskPricebookOutcome = { store: opts.store, device, status: 'timeout', detail: `no report for ${opts.version} within ${opts.timeoutMs / 1000} s` };
        opts.onOutcome?.(t);
        return t;
      });
    },
  };
}
