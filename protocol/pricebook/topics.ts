import { assertTopicId, underRoot } from '../topics';

/**
 * MQTT topics of price-book sync (root and id rules: ../topics.ts). A book is published under one scope, a whole
 * store (`_all`) or one device; a device-level manifest wins over the store-level one:
 *
 *   kiosk/v1/{store}/{device|_all}/pricebook/manifest          retained, signed manifest
 *   kiosk/v1/{store}/{device|_all}/pricebook/{version}/{index} retained, gzip NDJSON chunk (QoS 1)
 */
export const ALL_DEVICES = '_all';

export type PricebookScope = { store: string } | { store: string; device: string };

/** `kiosk/v1/{store}/{device|_all}/pricebook`; throws TypeError on an invalid id. */
export function pricebookBase(scope: PricebookScope): string {
  assertTopicId('store', scope.store);
  if ('device' in scope) assertTopicId('device', scope.device);
  return underRoot(scope.store, 'device' in scope ? scope.device : ALL_DEVICES, 'pricebook');
}

export const manifestTopic = (base: string): string => `${base}/manifest`;
export const chunkTopic = (base: string, version: string, index: number): string => `${base}/${version}/${index}`;
