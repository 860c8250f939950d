import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { mosquittoAcl } from '../../hq/broker-acl';
import { freePort, Mosquitto } from './mosquitto';

/**
 * A real Mosquitto running the shipped configuration with the generated ACL (hq/broker-acl.ts) for `devices` (user
 * `store/device`, password `pw-<user>`) and HQ (`hq`), and probes of what a login may publish and read.
 */
export interface AclBroker {
  /** The kiosks' listener and HQ's. */
  url: string;
  hqUrl: string;
  /** Logs in: HQ on its own listener, a kiosk on the kiosks' listener (ended by close()). */
  login(user: string, protocolVersion?: 4 | 5, extra?: IClientOptions): Promise<MqttClient>;
  /** A client made otherwise, ended by close(). */
  track(c: MqttClient): MqttClient;
  /** Whether `topic` published (retained unless told otherwise) by `from` reaches HQ. */
  delivered(from: MqttClient, topic: string, opts?: { retain?: boolean }): Promise<boolean>;
  /** Whether `to` receives a retained message HQ put on `topic`. */
  readable(to: MqttClient, topic: string): Promise<boolean>;
  close(): Promise<void>;
}

export async function startAclBroker(devices: { store: string; device: string }[]): Promise<AclBroker> {
  const dir = fs.mkdtempSync('/tmp/kiosk-acl-');
  fs.chmodSync(dir, 0o755);
  const files = { 'kiosk.passwd': path.join(dir, 'kiosk.passwd'), 'hq.passwd': path.join(dir, 'hq.passwd'), 'kiosk.acl': path.join(dir, 'kiosk.acl') };
  fs.writeFileSync(files['kiosk.passwd'], '');
  fs.writeFileSync(files['hq.passwd'], '');
  execFileSync('mosquitto_passwd', ['-b', files['hq.passwd'], 'hq', 'pw-hq']);
  for (const user of devices.map((d) => `${d.store}/${d.device}`)) execFileSync('mosquitto_passwd', ['-b', files['kiosk.passwd'], user, `pw-${user}`]);
  fs.writeFileSync(files['kiosk.acl'], mosquittoAcl(devices));
  for (const f of Object.values(files)) fs.chmodSync(f, 0o644);
  const broker = await Mosquitto.start({ shipped: { hqPort: await freePort(), files } });
  const clients: MqttClient[] = [];
  const login = async (user: string, protocolVersion: 4 | 5 = 5, extra: IClientOptions = {}) => {
    const c = await mqtt.connectAsync(user === 'hq' ? broker.hqUrl : broker.url, { username: user, password: `pw-${user}`, protocolVersion, reconnectPeriod: 0, ...extra });
    clients.push(c);
    return c;
  };
  const settle = () => new Promise((r) => setTimeout(r, 300));
  return {
    url: broker.url,
    hqUrl: broker.hqUrl,
    login,
    track: (c) => (clients.push(c), c),
    async delivered(from, topic, opts = {}) {
      const hq = await login('hq');
      const body = `probe-${Math.random()}`;
      let got = false;
      hq.on('message', (t, p) => void (t === topic && p.toString() === body && (got = true)));
      await hq.subscribeAsync(topic, { qos: 1 });
      await from.publishAsync(topic, body, { qos: 1, retain: opts.retain ?? true }).catch(() => undefined); // v5 may answer "not authorized"
      await settle();
      return got;
    },
    async readable(to, topic) {
      const hq = await login('hq');
      const body = `retained-${Math.random()}`;
      await hq.publishAsync(topic, body, { qos: 1, retain: true });
      let got = false;
      to.on('message', (t, p) => void (t === topic && p.toString() === body && (got = true)));
      await to.subscribeAsync(topic, { qos: 1 }).catch(() => undefined);
      await settle();
      return got;
    },
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await broker.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
