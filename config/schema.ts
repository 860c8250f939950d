import { z } from 'zod';
import { bool, minor, num, oneOf, regexSource, str, timeZone } from './fields';
import { feesSchema } from './fees';

const localeId = oneOf(['zh-CN', 'en']);
const localized = z.record(z.string(), z.string({ error: 'expected text' }), { error: 'expected an object of locale → text' });
const id = (what: string) => str({ pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, what: `${what} (letters, digits, . _ -)` });

/** The customer types of protocol/members/customer-type.ts (config/ may not import protocol/; device/live-config.ts type-checks the two agree). */
const customerType = oneOf(['personal', 'business', 'group']);

const promotionBase = {
  id: str({ min: 1, what: 'a promotion id' }).refine((s) => s !== 'points', { error: 'expected a promotion id other than "points" (the discount of redeemed points)' }),
  label: localized,
  skus: z.array(str({ min: 1, what: 'a SKU' }), { error: 'expected a list of SKUs' }).min(1, { error: 'expected at least one SKU' }),
  memberOnly: bool().optional(),
  /** Only for buyers of these customer types; absent = every type. */
  customerTypes: z
    .array(customerType, { error: 'expected a list of customer types ("personal", "business", "group")' })
    .min(1, { error: 'expected at least one customer type (leave customerTypes out for every type)' })
    .optional(),
  validFrom: z.iso.datetime({ offset: true, error: 'expected an ISO date-time' }).optional(),
  validTo: z.iso.datetime({ offset: true, error: 'expected an ISO date-time' }).optional(),
};

export const promotionSchema = z.discriminatedUnion(
  'kind',
  [
    z
      .object({
        ...promotionBase,
        kind: z.literal('percent_off'),
        // the pricing engine counts in hundredths of a percent (runtime/pricing/validate.ts percentToHundredths)
        percent: num({ min: 0.01, max: 100 }).refine((v) => Math.abs(v * 100 - Math.round(v * 100)) <= 1e-6, { error: 'expected a percent with at most 2 decimals' }),
      })
      .strict(),
    z.object({ ...promotionBase, kind: z.literal('amount_off'), amount: minor() }).strict(),
    z
      .object({ ...promotionBase, kind: z.literal('buy_x_pay_y'), buy: num({ min: 2, int: true }), pay: num({ min: 1, int: true }) })
      .strict()
      .refine((p) => p.pay < p.buy, { error: 'expected pay below buy', path: ['pay'] }),
    z.object({ ...promotionBase, kind: z.literal('x_for_price'), quantity: num({ min: 2, int: true }), price: minor() }).strict(),
    z.object({ ...promotionBase, kind: z.literal('member_price'), price: minor() }).strict(),
    /** Member points: lines of these SKUs earn `multiplier` × the member's earn rule (0: no points); prices unchanged. */
    z.object({ ...promotionBase, kind: z.literal('points'), multiplier: num({ min: 0, max: 10, int: true }) }).strict(),
  ],
  { error: 'expected kind to be one of "percent_off", "amount_off", "buy_x_pay_y", "x_for_price", "member_price", "points"' },
);

const inStorePattern = z
  .object({
    prefix: str({ pattern: /^\d{1,4}$/, what: 'a 1-4 digit prefix' }),
    layout: str({ pattern: /^[PIVXC]{13}$/, what: 'a 13-character layout of P, I, V, X, C' }),
    value: oneOf(['price', 'weight']),
  })
  .strict();

const memberCardPattern = z
  .object({ name: str({ min: 1, what: 'a card type name' }), pattern: regexSource('a member card pattern'), requireGtinCheckDigit: bool().optional() })
  .strict();

const paymentCodePattern = z.object({ channel: str({ min: 1, what: 'a payment channel' }), pattern: regexSource('a payment code pattern') }).strict();

const serialPath = str({ min: 1, what: 'a serial port path such as "/dev/ttyUSB0"' });
const baud = num({ min: 1200, max: 921600, int: true });
const usbId = num({ min: 0, max: 0xffff, int: true });
const simulated = z.object({ transport: z.literal('simulated') }).strict();

/** Where each device is. `simulated` (the default) runs the real driver against a byte-level simulator. */
const devicesSchema = z
  .object({
    scanner: z.discriminatedUnion(
      'transport',
      [
        simulated,
        z.object({ transport: z.literal('serial'), path: serialPath, baudRate: baud }).strict(),
        z
          .object({
            transport: z.literal('hid'),
            path: str({ min: 1, what: 'a hidraw path' }).optional(),
            vendorId: usbId.optional(),
            productId: usbId.optional(),
            serialNumber: str({ what: 'a USB serial number' }).optional(),
            mode: oneOf(['pos', 'keyboard']),
            layout: oneOf(['us', 'de', 'be']),
          })
          .strict(),
      ],
      { error: 'expected transport to be one of "simulated", "serial", "hid"' },
    ),
    terminal: z.discriminatedUnion(
      'transport',
      [
        simulated,
        z.object({ transport: z.literal('serial'), path: serialPath, baudRate: baud }).strict(),
        z.object({ transport: z.literal('tcp'), host: str({ min: 1, what: 'a host name or address' }), port: num({ min: 1, max: 65535, int: true }) }).strict(),
      ],
      { error: 'expected transport to be one of "simulated", "serial", "tcp"' },
    ),
    printer: z.discriminatedUnion(
      'transport',
      [
        simulated,
        z.object({ transport: z.literal('serial'), path: serialPath, baudRate: baud }).strict(),
        z.object({ transport: z.literal('usb'), vendorId: usbId, productId: usbId, serialNumber: str({ what: 'a USB serial number' }).optional() }).strict(),
      ],
      { error: 'expected transport to be one of "simulated", "serial", "usb"' },
    ),
    display: z.discriminatedUnion(
      'transport',
      [simulated, z.object({ transport: z.literal('serial'), path: serialPath, baudRate: baud }).strict(), z.object({ transport: z.literal('none') }).strict()],
      { error: 'expected transport to be one of "simulated", "serial", "none"' },
    ),
    light: z.discriminatedUnion(
      'transport',
      [
        simulated,
        z
          .object({
            transport: z.literal('firmata'),
            path: serialPath,
            pins: z.object({ green: num({ min: 0, max: 69, int: true }), yellow: num({ min: 0, max: 69, int: true }), red: num({ min: 0, max: 69, int: true }) }).strict(),
          })
          .strict(),
        z.object({ transport: z.literal('none') }).strict(),
      ],
      { error: 'expected transport to be one of "simulated", "firmata", "none"' },
    ),
    /** Terminal password for ZVT administrative commands (6 digits). */
    terminalPassword: str({ pattern: /^\d{6}$/, what: 'a 6-digit password' }),
    printerColumns: num({ min: 24, max: 64, int: true }),
    printerCjk: bool(),
    /** Devices without which the lane is out of service. */
    required: z.array(oneOf(['scanner', 'terminal', 'printer', 'display', 'light'])),
    /** Loopback control endpoint for the simulators (`kiosk sim …`); 0 = any free port. Off when no device is simulated. */
    simControlPort: num({ min: 0, max: 65535, int: true }),
    /**
     * The cable between a simulated device and its real driver: `in-process` (default; a serialport binding inside
     * the process, needs no system binary) or `pty` (socat pseudo-terminal pairs: real ttys, needs socat).
     */
    simulatedLink: oneOf(['in-process', 'pty']),
    /** What `kiosk devices` recognises. */
    known: z.array(
      z
        .object({
          vendorId: usbId,
          productId: usbId.optional(),
          name: str({ min: 1, what: 'a device name' }),
          deviceClass: oneOf(['scanner', 'terminal', 'printer', 'display', 'light']),
          driver: str({ min: 1, what: 'a driver name' }),
          bus: oneOf(['usb', 'hid', 'serial']).optional(),
        })
        .strict(),
    ),
  })
  .strict();

/** Payment channels beyond the card terminal. */
const paymentsSchema = z
  .object({
    gateway: z.discriminatedUnion(
      'transport',
      [
        simulated,
        z
          .object({
            transport: z.literal('http'),
            url: z.url({ error: 'expected the gateway URL' }),
            appId: str({ min: 1, what: 'the app id the gateway issued' }),
            merchantKeyPath: str({ min: 1, what: 'a PEM file with the merchant private key' }),
            gatewayPublicKeyPath: str({ min: 1, what: "a PEM file with the gateway's public key" }),
          })
          .strict(),
        /** The merchant credentials (app id, keys) come from HQ, sealed to this kiosk's key (`hq channels set`). */
        z.object({ transport: z.literal('hq'), url: z.url({ error: 'expected the gateway URL' }) }).strict(),
        z.object({ transport: z.literal('none') }).strict(),
      ],
      { error: 'expected transport to be one of "simulated", "http", "hq", "none"' },
    ),
    /**
     * WeChat Pay: `api` v2 (the default: XML merchant API, HMAC-SHA256, refunds and reversals with the merchant's client
     * certificate) or v3 (APIv3 JSON, requests signed with the merchant API certificate's key, answers verified with
     * the WeChat Pay public key — runtime/payments/wechat/v3). `simulated` with api v3 runs the v3 simulator.
     */
    wechat: z.discriminatedUnion(
      'transport',
      [
        z.object({ transport: z.literal('simulated'), api: oneOf(['v2', 'v3']).optional() }).strict(),
        z
          .object({
            transport: z.literal('https'),
            api: oneOf(['v2', 'v3']).optional(),
            url: z.url({ error: 'expected the WeChat Pay API base URL, e.g. https://api.mch.weixin.qq.com' }),
            /** Base URL of the `/secapi/*` calls (refund, reverse: mutual TLS); default `url`. v2 only. */
            secapiUrl: z.url({ error: 'expected a URL' }).optional(),
            appId: str({ min: 1, what: 'the appid WeChat issued' }),
            mchId: str({ min: 1, what: 'the merchant id (mch_id)' }),
            /** v2: required ('' stands for absent, which only api v3 allows). */
            apiKeyPath: str({ what: 'a file with the merchant API key' }).default(''),
            clientCertPath: str({ what: "a PEM file with the merchant's API client certificate" }).default(''),
            clientKeyPath: str({ what: "a PEM file with the client certificate's private key" }).default(''),
            /** v3: the merchant API certificate's private key (apiclient_key.pem) and the certificate's serial number. */
            merchantKeyPath: str({ min: 1, what: "a PEM file with the merchant API certificate's private key" }).optional(),
            merchantCertSerial: str({ pattern: /^[0-9A-Fa-f]{1,64}$/, what: "the merchant API certificate's serial number (hex)" }).optional(),
            /** v3: the WeChat Pay public key (微信支付公钥, pub_key.pem) and its id `PUB_KEY_ID_…`. */
            wechatpayPublicKeyPath: str({ min: 1, what: 'a PEM file with the WeChat Pay public key' }).optional(),
            wechatpayPublicKeyId: str({ pattern: /^PUB_KEY_ID_[0-9A-Za-z_]+$/, what: 'the WeChat Pay public key id (PUB_KEY_ID_…)' }).optional(),
            /** v3: notify_url of merchant-presented (Native) orders; WeChat Pay requires one for them. */
            notifyUrl: z.url({ error: 'expected a URL' }).optional(),
            /** CA bundle to trust for the API's server certificate; the system's when absent. */
            caPath: str({ min: 1, what: 'a PEM CA bundle' }).optional(),
          })
          .strict()
          .superRefine((w, ctx) => {
            const need = (field: keyof typeof w, what: string) => {
              if (!w[field]) ctx.addIssue({ code: 'custom', path: [field], message: `expected ${what} (api ${w.api ?? 'v2'})` });
            };
            if (w.api === 'v3') {
              need('merchantKeyPath', "a PEM file with the merchant API certificate's private key");
              need('merchantCertSerial', "the merchant API certificate's serial number");
              need('wechatpayPublicKeyPath', 'a PEM file with the WeChat Pay public key');
              need('wechatpayPublicKeyId', 'the WeChat Pay public key id (PUB_KEY_ID_…)');
            } else {
              need('apiKeyPath', 'a file with the merchant API key');
              need('clientCertPath', "a PEM file with the merchant's API client certificate");
              need('clientKeyPath', "a PEM file with the client certificate's private key");
            }
          }),
        /** The merchant credentials (appid, mch_id, API key, client certificate) come from HQ, sealed to this kiosk's key. */
        z
          .object({
            transport: z.literal('hq'),
            url: z.url({ error: 'expected the WeChat Pay API base URL' }),
            secapiUrl: z.url({ error: 'expected a URL' }).optional(),
            caPath: str({ min: 1, what: 'a PEM CA bundle' }).optional(),
          })
          .strict(),
        z.object({ transport: z.literal('none') }).strict(),
      ],
      { error: 'expected transport to be one of "simulated", "https", "hq", "none"' },
    ),
    /** UnionPay QR through the acquirer's ACP API (requests signed with the merchant's certificate). */
    unionpay: z.discriminatedUnion(
      'transport',
      [
        simulated,
        z
          .object({
            transport: z.literal('https'),
            url: z.url({ error: "expected the acquirer's API base URL" }),
            merId: str({ min: 1, what: 'the merchant id (merId)' }),
            signKeyPath: str({ min: 1, what: "a PEM file with the merchant's signing private key" }),
            signCertPath: str({ min: 1, what: "a PEM file with the merchant's signing certificate" }),
            rootCertPath: str({ min: 1, what: "a PEM file with UnionPay's root certificate (verifies the answers)" }),
            caPath: str({ min: 1, what: 'a PEM CA bundle' }).optional(),
          })
          .strict(),
        /** The merchant credentials (merId, signing key and certificate) come from HQ, sealed to this kiosk's key. */
        z
          .object({
            transport: z.literal('hq'),
            url: z.url({ error: "expected the acquirer's API base URL" }),
            rootCertPath: str({ min: 1, what: "a PEM file with UnionPay's root certificate (verifies the answers)" }),
            caPath: str({ min: 1, what: 'a PEM CA bundle' }).optional(),
          })
          .strict(),
        z.object({ transport: z.literal('none') }).strict(),
      ],
      { error: 'expected transport to be one of "simulated", "https", "hq", "none"' },
    ),
    /** The wallet whose code the kiosk shows for merchant-presented QR (`qr_merchant`); default the first one configured. */
    merchantQr: oneOf(['alipay', 'wechat', 'unionpay']).optional(),
    /** How often a waiting QR payment is queried. */
    qrPollMs: num({ min: 50, int: true }),
    /** How long the shopper has to confirm in their app before the trade is cancelled. */
    qrWaitDeadlineMs: num({ min: 1000, int: true }),
    /** Merchant fee rates (basis points) per wallet channel and card scheme, for HQ's reconciliation (config/fees.ts). */
    fees: feesSchema.optional(),
    /**
     * Card payments while both HQ and the QR gateway are unreachable (the acquirer may be too): the most one payment
     * may be, and how many / how much may stand unconfirmed by the terminal's end-of-day. Minor units.
     */
    offline: z
      .object({
        maxAmount: num({ min: 0, int: true }),
        maxCount: num({ min: 0, int: true }),
        maxTotal: num({ min: 0, int: true }),
      })
      .strict(),
  })
  .strict();

export const configSchema = z
  .object({
    device: z
      .object({
        storeId: id('a store id'),
        deviceId: id('a device id'),
        name: str({ what: 'a display name' }),
      })
      .strict(),
    dataDir: str({ min: 1, what: 'a directory path' }),
    /** The store's IANA time zone (receipts, the Z report's business day, times the CLI shows). Default: the system's. */
    timezone: timeZone(),
    currency: z
      .object({
        code: str({ pattern: /^[A-Z]{3}$/, what: 'an ISO 4217 code such as "CNY"' }),
        numeric: str({ pattern: /^\d{3}$/, what: 'an ISO 4217 numeric code such as "156"' }),
        minorUnits: num({ min: 0, max: 4, int: true }),
      })
      .strict(),
    tax: z
      .object({
        mode: oneOf(['inclusive', 'exclusive']),
        /** The rate of the `standard` tax class. */
        rate: num({ min: 0, max: 1 }),
        /** Further tax classes: id → rate. */
        classes: z.record(id('a tax class id'), num({ min: 0, max: 1 }), { error: 'expected an object of class → rate' }),
      })
      .strict(),
    locales: z
      .object({
        default: localeId,
        available: z.array(localeId, { error: 'expected a list of locales' }).min(1, { error: 'expected at least one locale' }),
      })
      .strict()
      .refine((l) => l.available.includes(l.default), { error: 'expected default to be one of the available locales', path: ['default'] }),
    timeouts: z
      .object({
        /** Shopper inactivity before the "are you still there?" prompt. */
        idlePromptMs: num({ min: 1000, int: true }),
        /** Time the prompt stays up before the order is cancelled. */
        idleCancelMs: num({ min: 1000, int: true }),
        /** No answer from a payment provider after this → outcome unknown. */
        paymentMs: num({ min: 1000, int: true }),
        /** A kiosk that could not boot for a storage or data fault (out of service) tries again this often. */
        bootRetryMs: num({ min: 100, int: true }),
      })
      .strict(),
    attendant: z
      .object({
        /** scrypt hashes of attendant PINs: "scrypt$N$r$p$saltB64$hashB64" with an attendant id. */
        pins: z.array(z.object({ attendantId: id('an attendant id'), hash: str({ pattern: /^scrypt\$/, what: 'an scrypt hash' }) }).strict()),
        /**
         * Enrolled badges: scrypt hashes of badge codes (`kiosk attendant hash-badge`) with the attendant id. Only these
         * open attendant mode; none by default. At most 200; hashes sharing one salt cost one scrypt per scan.
         */
        badges: z.array(z.object({ attendantId: id('an attendant id'), hash: str({ pattern: /^scrypt\$/, what: 'an scrypt hash' }) }).strict()).max(200),
        /** Which scans are tried as badges (a pre-filter: an unenrolled badge-shaped code opens nothing). */
        badgePattern: regexSource('a badge barcode pattern'),
        /** Attendant mode closes after this long without an attendant command. */
        idleTimeoutMs: num({ min: 1000, max: 3_600_000, int: true }),
        maxPinAttempts: num({ min: 1, max: 20, int: true }),
        lockoutMs: num({ min: 0, int: true }),
      })
      .strict(),
    /**
     * After-sales returns (`kiosk orders return`, HQ's signed `return` command). Optional: absent, the default of
     * config/defaults.ts applies (config/returns-policy.ts `returnsPolicyOf`).
     */
    returns: z
      .object({
        /** A return is accepted until this many days (× 24 h) after the order's completion (0: never). */
        days: num({ min: 0, max: 3650, int: true }),
        /** The reasons a return may give: id → label per locale. */
        reasons: z
          .array(z.object({ id: id('a return reason id'), label: z.object({ 'zh-CN': str({ min: 1, what: 'a label' }), en: str({ min: 1, what: 'a label' }) }).strict() }).strict())
          .min(1, { error: 'expected at least one return reason' })
          .max(50),
        /** Who approves a return: any attendant, a supervisor (an attendant id in `supervisors`), or HQ only. */
        approval: oneOf(['attendant', 'supervisor', 'hq']),
        /** Attendant ids that count as supervisors (attendants have no roles of their own). */
        supervisors: z.array(id('an attendant id')).max(200),
        /** Money goes back only the way it came (no cash for a card payment). Only `true` is supported today. */
        originalMethodOnly: z.literal(true, { error: 'expected true (refunds to another method are not supported)' }),
      })
      .strict()
      .optional(),
    /**
     * Dates a GS1 2D code carries (runtime/lane/item-checks.ts): the date AIs whose date before the store's today
     * (`timezone`) refuses the item at the lane and calls the attendant — "15" best before, "16" sell by, "17" use by /
     * expiry. Optional: absent, config/expiry-policy.ts's default (all three) applies; `[]` turns the check off.
     */
    expiry: z
      .object({
        refuse: z.array(oneOf(['15', '16', '17'])).max(3),
      })
      .strict()
      .optional(),
    loyalty: z
      .object({
        enabled: bool(),
        /** Points earned per full `per` minor units paid. */
        points: num({ min: 0, int: true }),
        per: num({ min: 1, int: true }),
        /** The earn rule of a customer type (protocol/members/customer-type.ts); a type not listed earns by points/per. */
        byType: z
          .object({
            business: z.object({ points: num({ min: 0, int: true }), per: num({ min: 1, int: true }) }).strict().optional(),
            group: z.object({ points: num({ min: 0, int: true }), per: num({ min: 1, int: true }) }).strict().optional(),
          })
          .strict()
          .optional(),
        /** Points redemption: `points` points are worth `value` minor units off an order. Absent: redemption is off. */
        redeem: z.object({ points: num({ min: 1, int: true }), value: num({ min: 1, int: true }) }).strict().optional(),
      })
      .strict(),
    barcodes: z
      .object({
        inStore: z.array(inStorePattern),
        memberCards: z.array(memberCardPattern),
        paymentCodes: z.array(paymentCodePattern),
        eightDigitPreference: oneOf(['ean8', 'upce']),
      })
      .strict(),
    // ids are unique: the pricing engine (runtime/pricing/validate.ts) refuses a list with a repeated one at every pricing
    promotions: z.array(promotionSchema).superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((p, i) => {
        if (seen.has(p.id)) ctx.addIssue({ code: 'custom', message: `expected a promotion id not used before (duplicate "${p.id}")`, path: [i, 'id'] });
        seen.add(p.id);
      });
    }),
    reports: z
      .object({
        /** The hour (local, 0–23) at which the business day starts: 4 → the Z report of D covers D 04:00 to D+1 04:00. */
        dayStartHour: num({ min: 0, max: 23, int: true }),
      })
      .strict(),
    pricebook: z
      .object({
        /** Loaded on first start when the price book is empty. */
        starter: str({ what: 'a file path' }).nullable(),
      })
      .strict(),
    devices: devicesSchema,
    payments: paymentsSchema,
    /** The link to HQ. Without a broker (and no `kiosk provision`), an embedded broker and HQ ingest run in-process. */
    hq: z
      .object({
        broker: str({ pattern: /^mqtts?:\/\/\S+$/, what: 'an mqtt:// or mqtts:// URL' }).nullable(),
        /** Port of the embedded broker on 127.0.0.1 (0: any free port). */
        embeddedPort: num({ min: 0, max: 65535, int: true }),
        /** MQTT protocol version: 4 = 3.1.1, 5 = 5.0. */
        protocolVersion: num({ min: 4, max: 5, int: true }),
        telemetryMs: num({ min: 1000, int: true }),
        /** Reconnect backoff (full jitter): the wait before the n-th attempt is random(0, min(capMs, baseMs · 2^n)). */
        reconnect: z
          .object({ baseMs: num({ min: 1, max: 3_600_000, int: true }), capMs: num({ min: 1, max: 86_400_000, int: true }) })
          .strict()
          .refine((r) => r.capMs >= r.baseMs, { error: 'expected capMs ≥ baseMs', path: ['capMs'] }),
      })
      .strict(),
    /** The shopper's touchscreen, served on 127.0.0.1 (0: any free port). */
    screen: z
      .object({
        port: num({ min: 0, max: 65535, int: true }),
        /** The store's look on the shopper's screen. */
        branding: z
          .object({
            /** Shown in the header; null: `device.name`. */
            storeName: str({ min: 1, what: 'a store name' }).nullable(),
            /** An SVG or PNG file (≤ 512 KiB); a relative path is read from the data dir. Null: no logo. */
            logo: str({ pattern: /\.(svg|png)$/i, what: 'a path to an .svg or .png file' }).nullable(),
            /** Buttons such as Pay and Start (CSS hex colour, e.g. "#0a7d32"). */
            primaryColor: str({ pattern: /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, what: 'a CSS hex colour such as "#0a7d32"' }),
            /** Highlights: the header line, the last scanned item, the progress strip. */
            accentColor: str({ pattern: /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, what: 'a CSS hex colour such as "#ffd400"' }),
          })
          .strict(),
      })
      .strict(),
    /** `/healthz` and `/metrics` (Prometheus) on 127.0.0.1:port (0: any free port). */
    health: z
      .object({
        enabled: bool(),
        port: num({ min: 0, max: 65535, int: true }),
      })
      .strict(),
    /** Over-the-air releases offered by HQ (runtime/releases/): installed side by side under `root`. */
    updates: z
      .object({
        enabled: bool(),
        /** Holds `releases/<version>/`, the `current` link and the updater's state (`updates/`). */
        root: str({ min: 1, what: 'a directory path' }),
        /** The download's rate limit (token bucket), bytes per second. */
        maxBytesPerSecond: num({ min: 1024, int: true }),
        /** After a switch, the new release must pass its health check within this time, else it is rolled back. */
        healthWindowMs: num({ min: 1000, int: true }),
      })
      .strict(),
  })
  .strict();

/**
 * The version of this configuration schema. A release offer names the lowest one it reads (`minConfigSchema`);
 * raise it when a release needs config keys older kiosks do not have.
 */
export const CONFIG_SCHEMA_VERSION = 1;

export type KioskConfig = z.infer<typeof configSchema>;
