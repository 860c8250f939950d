/**
 * The generated Mosquitto ACL (hq/broker-acl.ts) on a real Mosquitto running the shipped configuration: a kiosk
 * reads its own store's retained member snapshot (`kiosk/v1/{store}/_all/members`) and writes only its own
 * `members/reported` — not another store's snapshot, not another kiosk's report, and never the snapshot itself.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { mosquittoAcl } from '../hq/broker-acl';
import { membersReportedTopic, membersTopic } from '../protocol/members/member-snapshot';
import { freePort, Mosquitto } from './support/mosquitto';

const DEVICES = [
  { store: 's1', device: 'lane-1' },
  { store: 's1', device: 'lane-2' },
  { store: 's2', device: 'lane-1' },
];

describe('Mosquitto ACL: member snapshots and reports', () => {
  let broker: Mosquitto;
  let dir: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync('/tmp/kiosk-members-acl-');
    fs.chmodSync(dir, 0o755);
    const files = { 'kiosk.passwd': path.join(dir, 'kiosk.passwd'), 'hq.passwd': path.join(dir, 'hq.passwd'), 'kiosk.acl': path.join(dir, 'kiosk.acl') };
    fs.writeFileSync(files['kiosk.passwd'], '');
    fs.writeFileSync(files['hq.passwd'], '');
    execFileSync('mosquitto_passwd', ['-b', files['hq.passwd'], 'hq', 'pw-hq']);
    for (const user of DEVICES.map((d) => `${d.store}/${d.device}`)) execFileSync('mosquitto_passwd', ['-b', files['kiosk.passwd'], user, `pw-${user}`]);
    fs.writeFileSync(files['kiosk.acl'], mosquittoAcl(DEVICES));
    for (const f of Object.values(files)) fs.chmodSync(f, 0o644);
    broker = await Mosquitto.start({ shipped: { hqPort: await freePort(), files } });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function login(user: string): Promise<MqttClient> {
    const c = await mqtt.connectAsync(user === 'hq' ? broker.hqUrl : broker.url, { username: user, password: `pw-${user}`, protocolVersion: 5, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  }

  /** Whether `topic` published (retained) by `from` reaches HQ. */
  async function delivered(from: MqttClient, topic: string): Promise<boolean> {
    const hq = await login('hq');
    const body = `probe-${Math.random()}`;
    let got = false;
    hq.on('message', (t, p) => {
      if (t === topic && p.toString() === body) got = true;
    });
    await hq.subscribeAsync(topic, { qos: 1 });
    await from.publishAsync(topic, body, { qos: 1, retain: true }).catch(() => undefined); // v5 may answer "not authorized"
    await new Promise((r) => setTimeout(r, 300));
    return got;
  }

  /** Whether `to` receives a retained message HQ put on `topic`. */
  async function readable(to: MqttClient, topic: string): Promise<boolean> {
    const hq = await login('hq');
    const body = `retained-${Math.random()}`;
    await hq.publishAsync(topic, body, { qos: 1, retain: true });
    let got = false;
    to.on('message', (t, p) => {
      if (t === topic && p.toString() === body) got = true;
    });
    await to.subscribeAsync(topic, { qos: 1 }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    return got;
  }

  it('a kiosk reads its store\'s member snapshot, not another store\'s', async () => {
    const me = await login('s1/lane-1');
    expect(await readable(me, membersTopic('s1'))).toBe(true);
    expect(await readable(me, membersTopic('s2'))).toBe(false);
  });

  it('a kiosk writes its own members/reported only, and never a snapshot', async () => {
    const me = await login('s1/lane-1');
    expect(await delivered(me, membersReportedTopic('s1', 'lane-1'))).toBe(true);
    expect(await delivered(me, membersReportedTopic('s1', 'lane-2'))).toBe(false);
    expect(await delivered(me, membersReportedTopic('s2', 'lane-1'))).toBe(false);
    expect(await delivered(me, membersTopic('s1'))).toBe(false);
  });
});
