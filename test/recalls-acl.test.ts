/**
 * The generated Mosquitto ACL (hq/broker-acl.ts) on a real Mosquitto running the shipped configuration: a kiosk reads
 * its own store's retained recall list (`kiosk/v1/{store}/_all/recalls`) and writes only its own `recalls/reported` —
 * not another store's list, not another kiosk's report, and never the list itself.
 */
import { recallsReportedTopic, recallsTopic } from '../protocol/recalls/recall-list';
import { startAclBroker, type AclBroker } from './support/acl-broker';

describe('Mosquitto ACL: recall lists and reports', () => {
  let acl: AclBroker;
  beforeAll(async () => {
    acl = await startAclBroker([
      { store: 's1', device: 'lane-1' },
      { store: 's1', device: 'lane-2' },
      { store: 's2', device: 'lane-1' },
    ]);
  });
  afterAll(() => acl?.close());

  it("a kiosk reads its store's recall list, not another store's", async () => {
    const me = await acl.login('s1/lane-1');
    expect(await acl.readable(me, recallsTopic('s1'))).toBe(true);
    expect(await acl.readable(me, recallsTopic('s2'))).toBe(false);
  });

  it('a kiosk writes its own recalls/reported only, and never a list', async () => {
    const me = await acl.login('s1/lane-1');
    expect(await acl.delivered(me, recallsReportedTopic('s1', 'lane-1'))).toBe(true);
    expect(await acl.delivered(me, recallsReportedTopic('s1', 'lane-2'))).toBe(false);
    expect(await acl.delivered(me, recallsReportedTopic('s2', 'lane-1'))).toBe(false);
    expect(await acl.delivered(me, recallsTopic('s1'))).toBe(false);
  });
});
