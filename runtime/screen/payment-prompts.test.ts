/**
 * Payment prompts reach the shopper's screen as prompt codes: a kiosk booted without devices as the lane composes it
 * (device/screen.ts wires the kiosk's `payments` events to the screen), a cash payment held open so the order stays
 * in `payment_pending`, and prompts emitted as the card terminal adapter and the QR provider emit them.
 */
import * as fs from 'node:fs';
import type { PromptCode, ScreenView } from '../../protocol/screen';
import { loadConfig } from '../../config/load';
import { bootKiosk, type Kiosk } from '../../device/kiosk';
import { startScreen, type RunningScreen } from '../../device/screen';
import { tempDir } from '../../test/support/engine-fixture';
import { viewWhen as sharedViewWhen } from '../../test/support/screen-view';
import { waitFor } from '../../test/support/wait';
import { SimulatedClock } from '../../kernel/clock';
import type { ScreenSession } from './screen-session';

const START = Date.UTC(2026, 2, 2, 10, 0, 0);
/** Only a guard against hanging: nothing is timed. */
const GUARD_MS = 10_000;

/** Every prompt code (a new one must be added here and to screen-ui/i18n.ts, which does not compile without it). */
const ALL: Record<PromptCode, true> = {
  insert_card: true,
  enter_pin: true,
  pin_incorrect: true,
  follow_terminal: true,
  processing: true,
  please_wait: true,
  remove_card: true,
  try_again: true,
  card_not_accepted: true,
  scan_payment_code: true,
  scan_merchant_qr: true,
  confirm_in_app: true,
  wallet_not_accepted: true,
  payment_code_unknown: true,
  other: true,
};
const CODES = Object.keys(ALL) as PromptCode[];

let dir: string;
let kiosk: Kiosk;
let screen: RunningScreen;
let session: ScreenSession;
let release: ((received: boolean) => void) | null = null;
const errors: unknown[] = [];

beforeEach(async () => {
  dir = tempDir('kiosk-payment-prompts-');
  const config = loadConfig({ env: {}, overrides: { dataDir: dir, screen: { port: 0 } } });
  // the attendant confirms the cash only when the test says so: the payment stays pending until then
  const confirmCash = () => new Promise<boolean>((resolve) => (release = resolve));
  kiosk = await bootKiosk(config, { clock: new SimulatedClock(START), confirmCash, onBackgroundError: (e) => errors.push(e) });
  screen = await startScreen(kiosk, { port: 0, onError: (e) => errors.push(e) });
  session = screen.session;
});

afterEach(async () => {
  // a cash payment still held: the attendant says "not received", and the run ends before the kiosk closes
  if (release) {
    release(false);
    release = null;
    await waitFor('the payment run to end', async () => (await kiosk.engine.openOrder())?.state !== 'payment_pending');
  }
  await screen.close();
  await kiosk.close();
  fs.rmSync(dir, { recursive: true, force: true });
  expect(errors.splice(0)).toEqual([]);
});

const viewWhen = (pred: (v: ScreenView) => boolean, what: string): Promise<ScreenView> => sharedViewWhen(session, pred, what, GUARD_MS);

/** One item, checkout, pay cash: the screen on `paying` with no prompt yet. */
async function paying(): Promise<string> {
  const [item] = await kiosk.catalog.sample('plain', 1);
  const r = await kiosk.lane.scan(item.barcodes[0]);
  if (!r.ok || r.action !== 'item_added') throw new Error(JSON.stringify(r));
  await session.command({ kind: 'checkout' });
  await session.command({ kind: 'pay', method: 'cash' });
  const v = await viewWhen((x) => x.screen === 'paying', 'the paying screen');
  expect(v.paying).toEqual({ method: 'cash', prompt: null, qrSvg: null });
  await waitFor('the cash provider to ask the attendant', () => release !== null);
  return r.order.id;
}

describe('payment prompts on the screen', () => {
  it('each prompt code a provider emits arrives on the screen as that code; the technician text never reaches the view', async () => {
    await paying();
    for (const code of CODES) {
      const text = `technician text for ${code} (terminal status 0x4b)`;
      kiosk.payments.emit('prompt', { method: 'card', code, text });
      const v = session.view();
      expect(v.paying).toEqual({ method: 'cash', prompt: code, qrSvg: null });
      expect(JSON.stringify(v)).not.toContain('technician text');
    }
  });

  it('the QR provider’s prompts arrive as codes, whatever their text says', async () => {
    await paying();
    // the old screen guessed the code from English words ("confirm", "scan the code"): the words no longer matter
    kiosk.payments.emit('prompt', { method: 'qr', code: 'confirm_in_app', text: 'please scan the code' });
    expect(session.view().paying?.prompt).toBe('confirm_in_app');
    kiosk.payments.emit('prompt', { method: 'qr_merchant', code: 'scan_merchant_qr', text: 'please confirm' });
    expect(session.view().paying?.prompt).toBe('scan_merchant_qr');
  });

  it('a prompt outside a running payment changes nothing; the prompt ends with the payment', async () => {
    const [item] = await kiosk.catalog.sample('plain', 1);
    await kiosk.lane.scan(item.barcodes[0]);
    const before = session.view();
    kiosk.payments.emit('prompt', { method: 'card', code: 'insert_card', text: 'Insert card' });
    expect(session.view()).toMatchObject({ screen: before.screen, paying: null });
    await kiosk.engine.dispatch((await kiosk.engine.openOrder())!.id, { type: 'order_cancelled', reason: 'test', attendantId: 'att-1' });

    const id = await paying();
    kiosk.payments.emit('prompt', { method: 'card', code: 'remove_card', text: 'Please remove card' });
    expect(session.view().paying?.prompt).toBe('remove_card');
    release!(true);
    release = null;
    const v = await viewWhen((x) => x.screen === 'receipt_choice', 'the receipt choice');
    expect(v.paying).toBeNull();
    expect((await kiosk.engine.get(id)).state).toBe('completed');
    kiosk.payments.emit('prompt', { method: 'card', code: 'enter_pin', text: 'late' });
    expect(session.view().paying).toBeNull();
  });
});
