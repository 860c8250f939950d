import mqtt, { type MqttClient } from 'mqtt';
import { SimulatedClock } from '../../kernel/clock';
import { INGEST_STATE_TOPIC, encodeIngestState } from '../../protocol/sync/ingest-state';
import { Mosquitto } from '../../test/support/mosquitto';
import { waitFor } from '../../test/support/sync-fixtures';
import { subscribeIngestState } from './ingest-state-subscription';

const settle = () => new Promise((r) => setTimeout(r, 250));

/** The kiosk side of HQ ingest's birth against a real Mosquitto; time on a simulated clock, the spread fixed. */
describe('subscribeIngestState', () => {
  let broker: Mosquitto;
  let hq: MqttClient;
  let kiosk: MqttClient;
  beforeAll(async () => {
    broker = await Mosquitto.start({ persistence: false });
  });
  afterAll(() => broker.close());
  beforeEach(async () => {
    hq = await mqtt.connectAsync(broker.url, { clientId: `hq-${Date.now()}` });
  });
  afterEach(async () => {
    await kiosk?.endAsync(true);
    await hq.publishAsync(INGEST_STATE_TOPIC, '', { qos: 1, retain: true }); // clear the retained birth
    await hq.endAsync(true);
  });
  const birth = (id: string) => hq.publishAsync(INGEST_STATE_TOPIC, encodeIngestState({ at: Date.now(), id }), { qos: 1, retain: true });

  it('acts once per new id after the spread, coalesces births in the window, skips the retained one at connect, ignores junk', async () => {
    await birth('before'); // retained: the kiosk gets it right at its connect
    const clock = new SimulatedClock();
    let republished = 0;
    const errors: Error[] = [];
    kiosk = mqtt.connect(broker.url, { clientId: `kiosk-${Date.now()}`, manualConnect: true });
    const received: string[] = [];
    kiosk.on('message', (t) => t === INGEST_STATE_TOPIC && received.push(t));
    const stop = subscribeIngestState(kiosk, { republishUnacked: () => void republished++ }, { clock, spreadMs: 2000, random: () => 0.5 }, (e) => errors.push(e));
    kiosk.connect();
    await waitFor(() => received.length === 1, 10_000, 'the retained birth');
    clock.advance(5000);
    expect(republished).toBe(0); // the publisher re-publishes on its connect already

    await birth('w1');
    await waitFor(() => received.length === 2);
    clock.advance(999);
    expect(republished).toBe(0); // waits its share of the spread (0.5 × 2000)
    await birth('w2'); // a second worker within the window
    await waitFor(() => received.length === 3);
    clock.advance(1);
    expect(republished).toBe(1);
    clock.advance(5000);
    expect(republished).toBe(1); // both births, one re-publish

    await birth('w1'); // an id it acted on
    for (const junk of ['{"v":1', '{"v":2,"online":true,"at":1,"id":"x"}', JSON.stringify({ v: 1, online: true, at: 1, id: 'x'.repeat(600) }), '[]']) {
      await hq.publishAsync(INGEST_STATE_TOPIC, junk, { qos: 1 });
    }
    await hq.publishAsync(INGEST_STATE_TOPIC, JSON.stringify({ v: 1, online: false, at: 1, id: 'gone' }), { qos: 1 });
    await waitFor(() => received.length === 9);
    clock.advance(5000);
    expect(republished).toBe(1);

    await birth('w3');
    await waitFor(() => received.length === 10);
    clock.advance(1000);
    expect(republished).toBe(2);

    await birth('w4'); // pending when stopped: never runs
    await waitFor(() => received.length === 11);
    stop();
    await birth('w5');
    await settle();
    clock.advance(5000);
    expect(republished).toBe(2);
    expect(errors).toEqual([]);
  });

  it('after a reconnect (a clean session: the subscription was lost) a new birth is still acted on', async () => {
    const clock = new SimulatedClock();
    let republished = 0;
    kiosk = mqtt.connect(broker.url, { clientId: `kiosk-r-${Date.now()}`, clean: true, reconnectPeriod: 100 });
    subscribeIngestState(kiosk, { republishUnacked: () => void republished++ }, { clock, spreadMs: 0 });
    await waitFor(() => kiosk.connected);
    kiosk.stream.destroy(); // a network failure
    await waitFor(() => !kiosk.connected);
    await waitFor(() => kiosk.connected, 10_000, 'the reconnect');
    await settle();
    await birth('after-reconnect');
    await waitFor(() => (clock.advance(0), republished === 1), 10_000, 'the re-publish');
  });
});
