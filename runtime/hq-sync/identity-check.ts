import mqtt from 'mqtt';
import type { Clock } from '../../kernel/clock';
import type { ProbeOptions } from './broker-probe';
import { parseAck, parseState, type AckMessage } from '../../protocol/sync/messages';
import { ackTopic, stateTopic } from '../../protocol/topics';

/** What the broker holds for a kiosk identity before this kiosk ever used it. */
export type IdentityCheck =
  /** Nothing retained: no HQ ack and no presence for this identity. */
  | { status: 'unknown' }
  /** HQ has acknowledged entries of this identity (`ack`), and/or a kiosk has announced itself with it (`state`). */
  | { status: 'known'; ack: AckMessage | null; state: { online: boolean; ts: number | null } | null }
  /** The broker could not be asked (offline, refused, no answer in time). */
  | { status: 'unchecked'; error: string };

/**
 * Asks the broker, as the kiosk would connect (same credentials), what it retains for `store/device`: HQ's ack
 * (the highest seq HQ stored for that identity, with its hash) and the identity's presence `state`. One clean
 * connection, never retried, never throws: `unchecked` with the reason after `timeoutMs` on `clock`. Retained
 * messages come right after the SUBACK; it waits `settleMs` more for them.
 */
export function checkIdentityAtHq(
  url: string,
  opts: ProbeOptions,
  ids: { store: string; device: string },
  clock: Clock,
  { timeoutMs = 3000, settleMs = 500 }: { timeoutMs?: number; settleMs?: number } = {},
): Promise<IdentityCheck> {
  const topics = { ack: ackTopic(ids.store, ids.device), state: stateTopic(ids.store, ids.device) };
  return new Promise((resolve) => {
    let done = false;
    let client: mqtt.MqttClient | undefined;
    let ack: AckMessage | null = null;
    let state: { online: boolean; ts: number | null } | null = null;
    let seen = 0;
    let settle: ReturnType<Clock['setTimeout']> | null = null;
    const finish = (r: IdentityCheck) => {
      if (done) return;
      done = true;
      clock.clearTimeout(timer);
      if (settle) clock.clearTimeout(settle);
      client?.end(true);
      resolve(r);
    };
    const answer = () => finish(ack || state ? { status: 'known', ack, state } : { status: 'unknown' });
    const timer = clock.setTimeout(() => finish({ status: 'unchecked', error: `no answer from ${url} within ${timeoutMs / 1000} s` }), timeoutMs);
    try {
      client = mqtt.connect(url, { ...opts, reconnectPeriod: 0, connectTimeout: timeoutMs, clean: true });
    } catch (e) {
      finish({ status: 'unchecked', error: (e as Error).message });
      return;
    }
    client.on('message', (topic, payload, packet) => {
      if (!packet.retain || payload.length === 0) return;
      try {
        if (topic === topics.ack && !ack) {
          ack = parseAck(payload);
          seen++;
        } else if (topic === topics.state && !state) {
          const s = parseState(payload);
          state = { online: s.online, ts: typeof s.ts === 'number' ? s.ts : null };
          seen++;
        }
      } catch {
        // a malformed retained message tells nothing about the identity
      }
      if (seen === 2) answer();
    });
    client.once('connect', () => {
      client!.subscribe([topics.ack, topics.state], { qos: 1 }, (err) => {
        if (err) finish({ status: 'unchecked', error: err.message });
        else settle = clock.setTimeout(answer, settleMs);
      });
    });
    client.once('error', (e) => finish({ status: 'unchecked', error: e.message || String(e) }));
    client.once('close', () => finish({ status: 'unchecked', error: `connection to ${url} closed before the broker answered` }));
  });
}
