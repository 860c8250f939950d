import mqtt from 'mqtt';
import { loadConfig } from '../../config/load';
import { defaultReturnsPolicy } from '../../config/returns-policy';
import { bootKiosk, type Kiosk } from '../../device/kiosk';
import { startHqLink, type HqLink } from '../../device/hq-link';
import { stateTopic } from '../../protocol/topics';
import { TrustStore } from '../../runtime/trust/trust-store';
import { waitFor } from './wait';

/**
 * A real kiosk (bootKiosk: engine, SQLite journal in `dataDir`, cash sales confirmed) that trusts `hqPublicPem`, whose
 * returns only HQ may approve, linked to the broker at `brokerUrl` (MQTT 5) — resolved once its retained state says
 * it is online, i.e. connected and subscribed to its commands. The test file mocks `device/embedded-hq` (the kiosk is
 * given a broker, so the embedded Aedes HQ is never started).
 */
export async function startHqLinkedKiosk(o: { dataDir: string; store: string; device: string; brokerUrl: string; hqPublicPem: string; now: number }): Promise<{ k: Kiosk; link: HqLink }> {
  TrustStore.open(o.dataDir).install([o.hqPublicPem], { replace: true, now: o.now });
  const config = loadConfig({
    env: {},
    overrides: { dataDir: o.dataDir, device: { storeId: o.store, deviceId: o.device }, hq: { broker: o.brokerUrl, protocolVersion: 5 }, returns: { ...defaultReturnsPolicy(), approval: 'hq' } },
  });
  const k = await bootKiosk(config, { confirmCash: async () => true });
  const link = await startHqLink(k, {});
  try {
    const watch = await mqtt.connectAsync(o.brokerUrl, { reconnectPeriod: 0 });
    let online = false;
    watch.on('message', (_t, p) => {
      online = (JSON.parse(p.toString()) as { online?: boolean }).online === true;
    });
    await watch.subscribeAsync(stateTopic(o.store, o.device), { qos: 1 });
    await waitFor('the kiosk online', () => online, 60_000);
    await watch.endAsync();
  } catch (e) {
    // the caller never gets them to close
    await link.close();
    await k.close();
    throw e;
  }
  return { k, link };
}
