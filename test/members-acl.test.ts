/**
 * The generated Mosquitto ACL (hq/broker-acl.ts) on a real Mosquitto running the shipped configuration: a kiosk
 * reads its own store's retained member snapshot (`kiosk/v1/{store}/_all/members`) and writes only its own
 * `members/reported` — not another store's snapshot, not another kiosk's report, and never the snapshot itself.
 */
import { membersReportedTopic, membersTopic } from '../protocol/members/member-snapshot';
import { startAclBroker, type AclBroker } from './support/acl-broker';

const DEVICES = [
  { store: 's1', device: 'lane-1' },
  { store: 's1', device: 'lane-2' },
  { store: 's2', device: 'lane-1' },
];

describe('Mosquitto ACL: member snapshots and reports', () => {
  let broker: AclBroker;
  beforeAll(async () => {
    broker = await startAclBroker(DEVICES);
  });
  afterAll(async () => {
    await broker.close();
  });

  it('a kiosk reads its store\'s member snapshot, not another store\'s', async () => {
    const me = await broker.login('s1/lane-1');
    expect(await broker.readable(me, membersTopic('s1'))).toBe(true);
    expect(await broker.readable(me, membersTopic('s2'))).toBe(false);
  });

  it('a kiosk writes its own members/reported only, and never a snapshot', async () => {
    const me = await broker.login('s1/lane-1');
    expect(await broker.delivered(me, membersReportedTopic('s1', 'lane-1'))).toBe(true);
    expect(await broker.delivered(me, membersReportedTopic('s1', 'lane-2'))).toBe(false);
    expect(await broker.delivered(me, membersReportedTopic('s2', 'lane-1'))).toBe(false);
    expect(await broker.delivered(me, membersTopic('s1'))).toBe(false);
  });
});
