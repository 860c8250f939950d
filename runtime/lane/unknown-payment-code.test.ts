/**
 * A code that matches no wallet's payment-code rule (here 18 digits starting 99), shown while a QR payment waits for
 * the shopper's code, on a kiosk booted as the lane composes it (real SQLite, lane, simulated scanner, the wallets'
 * simulators in the data dir): the shopper is told it is no payment code the kiosk knows (a prompt code, in zh-CN and
 * en on the screen), the payment keeps waiting and takes the next, real code; the unknown code is a possible bearer
 * token of a wallet the kiosk does not know, so its digits reach no outcome detail, log line, journal or data file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../config/load';
import { bootKiosk, type Kiosk } from '../../device/kiosk';
import { DEMO_PAYMENT_CODES } from '../../device/commands/demo';
import { SystemClock } from '../../kernel/clock';
import type { PromptCode } from '../../protocol/screen';
import { PROMPTS } from '../../screen-ui/i18n';
import { captureLog } from '../../test/support/capture-log';
import { tempDir } from '../../test/support/engine-fixture';
import { scanOnSimulator } from '../../test/support/sim-scan';
import { waitFor } from '../../test/support/wait';

jest.setTimeout(60_000);

const UNKNOWN = '990123456789012345'; // 18 digits, 99: no wallet's prefix
const MIDDLE = UNKNOWN.slice(4, -4); // what a masked copy hides

let dir: string;
let kiosk: Kiosk;
let logged: ReturnType<typeof captureLog>;
const prompts: PromptCode[] = [];

beforeAll(async () => {
  dir = tempDir('kiosk-unknown-payment-code-');
  logged = captureLog();
  const config = loadConfig({ env: {}, overrides: { dataDir: dir, payments: { qrPollMs: 50 } } });
  kiosk = await bootKiosk(config, { devices: true, clock: new SystemClock(), log: logged.log, confirmCash: async () => true });
  kiosk.payments.on('prompt', (p) => prompts.push(p.code));
});

afterAll(async () => {
  await kiosk.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Every file of the data dir (database, WAL, ledgers, keys), as text. */
function dataDirText(d: string): string {
  return fs
    .readdirSync(d, { withFileTypes: true })
    .map((e) => (e.isDirectory() ? dataDirText(path.join(d, e.name)) : fs.readFileSync(path.join(d, e.name)).toString('latin1')))
    .join('\n');
}

it('outside a payment the code is a bad barcode, and its detail masks the digits', async () => {
  const r = await kiosk.lane.scan(UNKNOWN);
  expect(r).toMatchObject({ ok: false, code: 'BAD_BARCODE' });
  if (!r.ok) expect(r.detail).not.toContain(MIDDLE);
});

it('while a QR payment waits: "not a payment code we know", the payment waits on and takes the next real code; the digits are written nowhere', async () => {
  const [item] = await kiosk.catalog.sample('plain', 1);
  const added = await scanOnSimulator(kiosk, item.barcodes[0]);
  if (!added.ok || added.action !== 'item_added') throw new Error(`scan: ${JSON.stringify(added)}`);
  const orderId = added.order.id;
  await kiosk.engine.dispatch(orderId, { type: 'checkout_started' });
  const paying = kiosk.checkout.pay(orderId, 'qr');
  await waitFor('the kiosk to ask for the payment code', () => kiosk.hardware!.paymentCodes.waiting);

  const unknown = await scanOnSimulator(kiosk, UNKNOWN);
  expect(unknown).toEqual({ ok: true, action: 'payment_code', channel: '', masked: `9901${'*'.repeat(10)}2345`, code: '' });
  await waitFor('the prompt for an unknown code', () => prompts.includes('payment_code_unknown'));
  expect(prompts).not.toContain('wallet_not_accepted');
  expect(PROMPTS.payment_code_unknown['zh-CN']).toContain('支付宝、微信支付或云闪付');
  expect(PROMPTS.payment_code_unknown.en).toMatch(/not a payment code we know.*Alipay, WeChat Pay or UnionPay/);
  // nothing was sent: the attempt still waits for a code
  expect(kiosk.hardware!.paymentCodes.waiting).toBe(true);
  expect((await kiosk.engine.get(orderId)).payments).toEqual([expect.objectContaining({ method: 'qr', status: 'pending', sent: false })]);

  await kiosk.hardware!.sim.scanner!.scan(DEMO_PAYMENT_CODES.wechat);
  const paid = await paying;
  expect(paid.state).toBe('paid');
  expect(paid.payments[0]).toMatchObject({ status: 'approved', context: { channel: 'wechat' } });

  await kiosk.engine.dispatch(orderId, { type: 'order_completed' });
  const journal = await kiosk.db.read.all<{ body: string }>('SELECT * FROM journal');
  expect(journal.length).toBeGreaterThan(0);
  expect(JSON.stringify(journal)).not.toContain(MIDDLE);
  expect(logged.lines.length).toBeGreaterThan(0);
  expect(JSON.stringify(logged.lines)).not.toContain(MIDDLE);
  expect(dataDirText(dir)).not.toContain(MIDDLE);
});
