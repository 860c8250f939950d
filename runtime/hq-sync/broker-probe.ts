import mqtt from 'mqtt';
import type { Clock } from '../../kernel/clock';

export type ProbeResult = { ok: true } | { ok: false; error: string };

export interface ProbeOptions {
  username?: string;
  password?: string;
  cert?: Buffer;
  key?: Buffer;
  ca?: Buffer;
  clientId?: string;
}

/**
 * Connects once to an MQTT broker and disconnects: `{ok: true}` on CONNACK, otherwise the error (refused,
 * not authorized, TLS, or no answer within `timeoutMs` on `clock`). Never retries, never throws.
 */
export function probeBroker(url: string, opts: ProbeOptions, clock: Clock, timeoutMs = 5000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false;
    let client: mqtt.MqttClient;
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      clock.clearTimeout(timer);
      client?.end(true);
      resolve(r);
    };
    const timer = clock.setTimeout(() => finish({ ok: false, error: `no answer from ${url} within ${timeoutMs / 1000} s` }), timeoutMs);
    try {
      client = mqtt.connect(url, { ...opts, reconnectPeriod: 0, connectTimeout: timeoutMs, clean: true });
    } catch (e) {
      finish({ ok: false, error: (e as Error).message });
      return;
    }
    client.once('connect', () => finish({ ok: true }));
    client.once('error', (e) => finish({ ok: false, error: e.message || String(e) }));
    client.once('close', () => finish({ ok: false, error: `connection to ${url} closed before the broker accepted it` }));
  });
}
