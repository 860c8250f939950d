import type { KioskConfig } from '../config/schema';
import type { ReceiptHeader } from '../protocol/receipts/text-receipt';

/** The store, lane, currency and locale printed at the top of this kiosk's receipts. */
export const receiptHeader = (config: KioskConfig): ReceiptHeader => ({
  storeName: config.device.name,
  storeId: config.device.storeId,
  deviceId: config.device.deviceId,
  currency: config.currency.code,
  minorUnits: config.currency.minorUnits,
  locale: config.locales.default,
  timeZone: config.timezone,
});
