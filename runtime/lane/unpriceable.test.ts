/**
 * An item the price book has but the lane cannot price (its tax class was removed from the config after the import,
 * or its row fails the pricing checks): the lane logs ITEM_UNPRICEABLE with the SKU and the reason, calls the
 * attendant (the order waits with a help request) and the shopper's screen says the item needs an attendant —
 * no more "Please try again" with nothing logged. A kiosk booted as the lane composes it (real SQLite, engine,
 * lane, screen session), no devices.
 */
import * as fs from 'node:fs';
import type { ScreenView } from '../../protocol/screen';
import { loadConfig } from '../../config/load';
import { bootKiosk, type Kiosk } from '../../device/kiosk';
import { startScreen, type RunningScreen } from '../../device/screen';
import { tempDir } from '../../test/support/engine-fixture';
import { captureLog } from '../../test/support/capture-log';
import { viewWhen as sharedViewWhen } from '../../test/support/screen-view';
import { SimulatedClock } from '../../kernel/clock';
import { SHOPPER_MESSAGES } from './messages';

let dir: string;
let kiosk: Kiosk;
let screen: RunningScreen;
let logged: ReturnType<typeof captureLog>;
const errors: unknown[] = [];

beforeEach(async () => {
  dir = tempDir('kiosk-unpriceable-');
  const config = loadConfig({ env: {}, overrides: { dataDir: dir, screen: { port: 0 } } });
  logged = captureLog();
  kiosk = await bootKiosk(config, { clock: new SimulatedClock(Date.UTC(2026, 2, 2, 10)), log: logged.log, confirmCash: async () => true, onBackgroundError: (e) => errors.push(e) });
  screen = await startScreen(kiosk, { port: 0, onError: (e) => errors.push(e) });
});

afterEach(async () => {
  await screen.close();
  await kiosk.close();
  fs.rmSync(dir, { recursive: true, force: true });
  expect(errors.splice(0)).toEqual([]);
});

async function scan(code: string) {
  const outcome = await kiosk.lane.scan(code);
  screen.session.scanned(outcome, code);
  return outcome;
}

describe('an item that cannot be priced at the lane', () => {
  it('is logged with its SKU and reason, calls the attendant, and the screen says it needs an attendant', async () => {
    const [ok, broken] = await kiosk.catalog.sample('plain', 2);
    // the tax class was removed from the config after the import
    await kiosk.db.transaction((tx) => tx.run("UPDATE items SET tax_class = 'luxury' WHERE sku = ?", [broken.sku]));
    expect(await scan(ok.barcodes[0])).toMatchObject({ ok: true, action: 'item_added' });

    const outcome = await scan(broken.barcodes[0]);
    expect(outcome).toMatchObject({ ok: false, code: 'ITEM_UNPRICEABLE', message: SHOPPER_MESSAGES.ITEM_UNPRICEABLE });
    expect(!outcome.ok && outcome.detail).toMatch(new RegExp(`item ${broken.sku} cannot be priced: unknown tax class "luxury"`));
    const warn = logged.lines.filter((l) => l.code === 'ITEM_UNPRICEABLE');
    expect(warn).toEqual([expect.objectContaining({ level: 40, sku: broken.sku, taxClass: 'luxury', reason: 'unknown tax class "luxury"', attendantCalled: true })]);

    // nothing was added; the order waits for the attendant with a help request
    const open = (await kiosk.engine.openOrder())!;
    expect(open.state).toBe('needs_attendant');
    expect(open.pending).toEqual([{ kind: 'help' }]);
    expect(open.lines.map((l) => l.sku)).toEqual([ok.sku]);

    const v: ScreenView = await sharedViewWhen(screen.session, (x) => x.screen === 'attendant_wait', 'the attendant wait screen', 10_000);
    expect(v.message).toEqual({ code: 'ITEM_UNPRICEABLE', text: SHOPPER_MESSAGES.ITEM_UNPRICEABLE });
    expect(v.message!.text.en).toMatch(/needs an attendant/);

    // scanned again while waiting: no second help request stacked, logged again
    await scan(broken.barcodes[0]);
    expect((await kiosk.engine.openOrder())!.pending).toEqual([{ kind: 'help' }]);
  });

  it('a first scan of such an item (no order yet) opens an order that waits for the attendant', async () => {
    const [broken] = await kiosk.catalog.sample('plain', 1);
    await kiosk.db.transaction((tx) => tx.run("UPDATE items SET tax_class = 'gone' WHERE sku = ?", [broken.sku]));
    const outcome = await scan(broken.barcodes[0]);
    expect(outcome).toMatchObject({ ok: false, code: 'ITEM_UNPRICEABLE' });
    const open = (await kiosk.engine.openOrder())!;
    expect(open).toMatchObject({ state: 'needs_attendant', pending: [{ kind: 'help' }], lines: [] });
    expect(logged.lines.filter((l) => l.code === 'ITEM_UNPRICEABLE')).toEqual([expect.objectContaining({ sku: broken.sku, attendantCalled: true })]);
  });
});
