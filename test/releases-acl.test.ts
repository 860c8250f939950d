/**
 * The generated Mosquitto ACL (hq/broker-acl.ts) on a real Mosquitto running the shipped configuration: a kiosk reads
 * its own retained release offer (`kiosk/v1/{store}/{device}/release`) and writes only its own `release/reported` —
 * not another kiosk's offer or report, and never an offer.
 */
import { releaseOfferTopic, releaseReportedTopic } from '../protocol/releases/topics';
import { startAclBroker, type AclBroker } from './support/acl-broker';

describe('Mosquitto ACL: release offers and reports', () => {
  let acl: AclBroker;
  beforeAll(async () => {
    acl = await startAclBroker([
      { store: 's1', device: 'lane-1' },
      { store: 's1', device: 'lane-2' },
      { store: 's2', device: 'lane-1' },
    ]);
  });
  afterAll(() => acl?.close());

  it('a kiosk reads its own offer, not another kiosk\'s', async () => {
    const me = await acl.login('s1/lane-1');
    expect(await acl.readable(me, releaseOfferTopic('s1', 'lane-1'))).toBe(true);
    expect(await acl.readable(me, releaseOfferTopic('s1', 'lane-2'))).toBe(false);
    expect(await acl.readable(me, releaseOfferTopic('s2', 'lane-1'))).toBe(false);
  });

  it('a kiosk writes its own release/reported only, and never an offer', async () => {
    const me = await acl.login('s1/lane-1');
    expect(await acl.delivered(me, releaseReportedTopic('s1', 'lane-1'))).toBe(true);
    expect(await acl.delivered(me, releaseReportedTopic('s1', 'lane-2'))).toBe(false);
    expect(await acl.delivered(me, releaseReportedTopic('s2', 'lane-1'))).toBe(false);
    expect(await acl.delivered(me, releaseOfferTopic('s1', 'lane-1'))).toBe(false);
  });
});
