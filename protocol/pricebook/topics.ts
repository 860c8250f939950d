/**
 * MQTT topics of price-book sync. A book is published under one scope, a whole store (`_all`) or one device;
 * a device-level manifest wins over the store-level one:
 *
 *   kiosk/v1/{store}/{device|_all}/pricebook/manifest          retained, signed manifest
 *   kiosk/v1/{store}/{device|_all}/pricebook/{version}/{index} retained, gzip NDJSON chunk (QoS 1)
 */
export const ALL_DEVICES = '_all';

export type PricebookScope = { store: string } | { store: string; device: string };

/** `kiosk/v1/{store}/{device|_all}/pricebook` */
export function pricebookBase(scope: PricebookScope): string {
  const level = 'device' in scope ? scope.device : ALL_DEVICES;
  for (const part of [scope.store, level]) {
    if (part === '' || /[+#/]/.test(part)) throw new RangeError(`invalid topic level ${JSON.stringify(part)}`);
  }
  return `kiosk/v1/${scope.store}/${level}/pricebook`;
}

export const manifestTopic = (base: string): string => `${base}/manifest`;
export const chunkTopic = (base: string, version: string, index: number): string => `${base}/${version}/${index}`;
