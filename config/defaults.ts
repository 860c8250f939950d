import * as fs from 'node:fs';
import { defaultBarcodeRules } from '../runtime/barcodes/rules';
import type { KioskConfig } from './schema';
import { starterPriceBookPath, starterPromotionsPath } from './paths';

/** A configuration that runs out of the box: one simulated lane in a CNY store. */
export function defaultConfig(): KioskConfig {
  const promotions = fs.existsSync(starterPromotionsPath())
    ? (JSON.parse(fs.readFileSync(starterPromotionsPath(), 'utf8')) as KioskConfig['promotions'])
    : [];
  return {
    device: { storeId: 'store-001', deviceId: 'lane-01', name: 'Self-checkout 1' },
    dataDir: './kiosk-data',
    currency: { code: 'CNY', numeric: '156', minorUnits: 2 },
    tax: { mode: 'inclusive', rate: 0.13, classes: { reduced: 0.09, zero: 0 } },
    locales: { default: 'zh-CN', available: ['zh-CN', 'en'] },
    timeouts: { idlePromptMs: 90_000, idleCancelMs: 30_000, paymentMs: 120_000 },
    attendant: { pins: [], badgePattern: '^ATT\\d{4,8}$', maxPinAttempts: 5, lockoutMs: 300_000 },
    loyalty: { enabled: true, points: 1, per: 100 },
    barcodes: {
      inStore: defaultBarcodeRules.inStore,
      memberCards: defaultBarcodeRules.memberCards,
      paymentCodes: defaultBarcodeRules.paymentCodes,
      eightDigitPreference: defaultBarcodeRules.eightDigitPreference,
    },
    promotions,
    pricebook: { starter: starterPriceBookPath() },
    devices: {},
  };
}
