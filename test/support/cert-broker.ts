import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { mosquittoAcl, type AclDevice } from '../../hq/broker-acl';
import { caFiles } from '../../hq/ca/ca-index';
import { certsListenerConfig, freePort, Mosquitto, waitForListener } from './mosquitto';

/**
 * A real Mosquitto running the shipped configuration (password listeners for kiosks and HQ) plus the shipped
 * certificate listener (deploy/mosquitto/mosquitto-certs.conf) with the files of the CA in `caDir` (hq/ca), installed
 * as its header says: ca.crt, server.crt, crl.pem 0644 and server.key 0640 group mosquitto (the broker reads them
 * as the mosquitto user). The ACL is `hq broker acl`'s for `devices`; HQ logs in as `hq` / `pw-hq` on its listener,
 * the `passwordDevices` with password `pw-STORE/DEVICE` on the kiosks' password listener.
 */
export interface CertBroker {
  broker: Mosquitto;
  /** mqtts:// URL of the certificate listener, and the password listeners'. */
  certUrl: string;
  url: string;
  hqUrl: string;
  /** Copies the CA's crl.pem to the broker and sends SIGHUP (`systemctl reload mosquitto`). */
  installCrl(): void;
  /** An HQ client on HQ's listener (ended by close()). */
  hq(): Promise<MqttClient>;
  /** A client with a certificate on the certificate listener (ended by close()); rejects when refused. */
  connectCert(o: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer } & IClientOptions): Promise<MqttClient>;
  close(): Promise<void>;
}

function mosquittoGid(): number | null {
  const line = fs
    .readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('mosquitto:'));
  return line ? Number(line.split(':')[2]) : null;
}

export async function startCertBroker(o: { caDir: string; devices: AclDevice[]; passwordDevices?: AclDevice[] }): Promise<CertBroker> {
  const dir = fs.mkdtempSync('/tmp/kiosk-certs-');
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, 'certs'), { mode: 0o755 });
  const ca = caFiles(o.caDir);
  const files: Record<string, string> = {
    'kiosk.passwd': path.join(dir, 'kiosk.passwd'),
    'hq.passwd': path.join(dir, 'hq.passwd'),
    'kiosk.acl': path.join(dir, 'kiosk.acl'),
    'certs/ca.crt': path.join(dir, 'certs', 'ca.crt'),
    'certs/server.crt': path.join(dir, 'certs', 'server.crt'),
    'certs/server.key': path.join(dir, 'certs', 'server.key'),
    'certs/crl.pem': path.join(dir, 'certs', 'crl.pem'),
  };
  fs.writeFileSync(files['kiosk.passwd'], '');
  fs.writeFileSync(files['hq.passwd'], '');
  execFileSync('mosquitto_passwd', ['-b', files['hq.passwd'], 'hq', 'pw-hq']);
  for (const d of o.passwordDevices ?? []) execFileSync('mosquitto_passwd', ['-b', files['kiosk.passwd'], `${d.store}/${d.device}`, `pw-${d.store}/${d.device}`]);
  fs.writeFileSync(files['kiosk.acl'], mosquittoAcl([...o.devices, ...(o.passwordDevices ?? [])]));
  for (const f of ['kiosk.passwd', 'hq.passwd', 'kiosk.acl']) fs.chmodSync(files[f], 0o644);
  const install = (from: string, to: string, mode: number) => {
    fs.copyFileSync(from, to);
    fs.chmodSync(to, mode);
  };
  install(ca.cert, files['certs/ca.crt'], 0o644);
  install(ca.serverCert, files['certs/server.crt'], 0o644);
  install(ca.crl, files['certs/crl.pem'], 0o644);
  const gid = mosquittoGid();
  install(ca.serverKey, files['certs/server.key'], gid === null ? 0o644 : 0o640);
  if (gid !== null) fs.chownSync(files['certs/server.key'], 0, gid);

  const certPort = await freePort();
  const broker = await Mosquitto.start({ shipped: { hqPort: await freePort(), files }, extraConfig: certsListenerConfig(certPort, files) });
  await waitForListener(certPort);
  const clients: MqttClient[] = [];
  const certUrl = `mqtts://127.0.0.1:${certPort}`;
  return {
    broker,
    certUrl,
    url: broker.url,
    hqUrl: broker.hqUrl,
    installCrl() {
      install(ca.crl, files['certs/crl.pem'], 0o644);
      broker.reload();
    },
    async hq() {
      const c = await mqtt.connectAsync(broker.hqUrl, { username: 'hq', password: 'pw-hq', clientId: `hq-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0 });
      clients.push(c);
      return c;
    },
    async connectCert({ cert, key, ca: caPem, ...extra }) {
      const c = await mqtt.connectAsync(certUrl, {
        cert,
        key,
        ca: caPem ?? fs.readFileSync(ca.cert),
        protocolVersion: 5,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...extra,
      }, false); // a refused handshake may end in a close without an error: that rejects too
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await broker.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
