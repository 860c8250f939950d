import * as fs from 'node:fs';
import { defaultBarcodeRules } from './barcode-rules';
import type { KioskConfig } from './schema';
import { starterPriceBookPath, starterPromotionsPath } from './paths';
import { systemTimeZone } from '../kernel/local-time';
import { defaultReturnsPolicy } from './returns-policy';
import { defaultExpiryPolicy } from './expiry-policy';

/** Devices `kiosk devices` recognises out of the box (vendor/product ids as the USB descriptors give them). */
const KNOWN_DEVICES: KioskConfig['devices']['known'] = [
  { vendorId: 0x0c2e, name: 'Honeywell scanner', deviceClass: 'scanner', driver: 'hid-scanner', bus: 'hid' },
  { vendorId: 0x05e0, name: 'Zebra/Symbol scanner', deviceClass: 'scanner', driver: 'hid-scanner', bus: 'hid' },
  { vendorId: 0x1eab, name: 'Newland scanner', deviceClass: 'scanner', driver: 'hid-scanner', bus: 'hid' },
  { vendorId: 0x0c2e, name: 'Honeywell scanner (serial)', deviceClass: 'scanner', driver: 'serial-scanner', bus: 'serial' },
  { vendorId: 0x04b8, productId: 0x0202, name: 'Epson TM receipt printer', deviceClass: 'printer', driver: 'escpos-usb', bus: 'usb' },
  { vendorId: 0x04b8, name: 'Epson printer or display', deviceClass: 'printer', driver: 'escpos-usb', bus: 'usb' },
  { vendorId: 0x0519, name: 'Star Micronics printer', deviceClass: 'printer', driver: 'escpos-usb', bus: 'usb' },
  { vendorId: 0x0fe6, productId: 0x811e, name: 'Generic 80 mm ESC/POS printer', deviceClass: 'printer', driver: 'escpos-usb', bus: 'usb' },
  { vendorId: 0x11ca, name: 'VeriFone/Ingenico terminal (serial)', deviceClass: 'terminal', driver: 'zvt-serial', bus: 'serial' },
  { vendorId: 0x079b, name: 'Ingenico terminal (serial)', deviceClass: 'terminal', driver: 'zvt-serial', bus: 'serial' },
  { vendorId: 0x2341, name: 'Arduino (Firmata lane light)', deviceClass: 'light', driver: 'firmata-light', bus: 'serial' },
  { vendorId: 0x1a86, productId: 0x7523, name: 'CH340 USB-serial (pole display)', deviceClass: 'display', driver: 'pole-display', bus: 'serial' },
  { vendorId: 0x0403, productId: 0x6001, name: 'FTDI USB-serial (pole display)', deviceClass: 'display', driver: 'pole-display', bus: 'serial' },
];

/** A configuration that runs out of the box: one simulated lane in a CNY store. */
export function defaultConfig(): KioskConfig {
  const promotions = fs.existsSync(starterPromotionsPath())
    ? (JSON.parse(fs.readFileSync(starterPromotionsPath(), 'utf8')) as KioskConfig['promotions'])
    : [];
  return {
    device: { storeId: 'store-001', deviceId: 'lane-01', name: 'Self-checkout 1' },
    dataDir: './kiosk-data',
    timezone: systemTimeZone(),
    currency: { code: 'CNY', numeric: '156', minorUnits: 2 },
    tax: { mode: 'inclusive', rate: 0.13, classes: { reduced: 0.09, zero: 0 } },
    locales: { default: 'zh-CN', available: ['zh-CN', 'en'] },
    timeouts: { idlePromptMs: 90_000, idleCancelMs: 30_000, paymentMs: 120_000, bootRetryMs: 30_000 },
    attendant: { pins: [], badges: [], badgePattern: '^ATT\\d{4,8}$', idleTimeoutMs: 60_000, maxPinAttempts: 5, lockoutMs: 300_000 },
    returns: defaultReturnsPolicy(),
    expiry: defaultExpiryPolicy(),
    loyalty: { enabled: true, points: 1, per: 100 },
    barcodes: {
      inStore: defaultBarcodeRules.inStore,
      memberCards: defaultBarcodeRules.memberCards,
      paymentCodes: defaultBarcodeRules.paymentCodes,
      eightDigitPreference: defaultBarcodeRules.eightDigitPreference,
    },
    promotions,
    hq: { broker: null, embeddedPort: 1883, protocolVersion: 5, telemetryMs: 60_000, reconnect: { baseMs: 1000, capMs: 60_000 } },
    screen: { port: 8080, branding: { storeName: null, logo: null, primaryColor: '#0a7d32', accentColor: '#ffd400' } },
    health: { enabled: true, port: 9464 },
    updates: { enabled: false, root: '/opt/kiosk', maxBytesPerSecond: 1_000_000, healthWindowMs: 120_000 },
    payments: { gateway: { transport: 'simulated' }, wechat: { transport: 'simulated' }, unionpay: { transport: 'simulated' }, qrPollMs: 500, qrWaitDeadlineMs: 60_000, offline: { maxAmount: 50_000, maxCount: 20, maxTotal: 300_000 } },
    reports: { dayStartHour: 0 },
    pricebook: { starter: starterPriceBookPath() },
    devices: {
      scanner: { transport: 'simulated' },
      terminal: { transport: 'simulated' },
      printer: { transport: 'simulated' },
      display: { transport: 'simulated' },
      light: { transport: 'simulated' },
      terminalPassword: '000000',
      printerColumns: 42,
      printerCjk: true,
      required: ['scanner', 'terminal', 'printer'],
      simControlPort: 0,
      simulatedLink: 'in-process',
      known: KNOWN_DEVICES,
    },
  };
}
