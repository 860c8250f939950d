import { assertTopicId, underRoot } from '../topics';

/**
 * MQTT topics of over-the-air releases (root and id rules: ../topics.ts):
 *
 *   kiosk/v1/{store}/{device}/release            HQ → kiosk, retained, QoS 1: the signed offer (envelope kind `release`)
 *   kiosk/v1/{store}/{device}/release/reported   kiosk → HQ, retained, QoS 1: ./release-offer.ts ReleaseReported
 *
 * Retained, so a kiosk that was offline finds its latest offer when it connects, and HQ (any instance, after a
 * restart) finds every kiosk's latest step.
 */
function deviceLevels(store: string, device: string): [string, string] {
  assertTopicId('store', store);
  assertTopicId('device', device);
  return [store, device];
}

export const releaseOfferTopic = (store: string, device: string): string => underRoot(...deviceLevels(store, device), 'release');
export const releaseReportedTopic = (store: string, device: string): string => underRoot(...deviceLevels(store, device), 'release', 'reported');
