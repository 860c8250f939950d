import { engineFixture, line, type Fixture } from '../../test/support/engine-fixture';
import { KioskError } from '../../kernel/errors';
import { Checkout } from './checkout';
import type { PaymentProvider } from './provider';

/** A card provider whose `prepare` / `pay` behave as told; counts what reached `pay`. */
function card(behaviour: 'prepare_fails' | 'busy' | 'declines'): PaymentProvider {
  return {
    method: 'card',
    async prepare() {
      if (behaviour === 'prepare_fails') throw new KioskError('DEVICE_OFFLINE', 'terminal offline');
      return { lastTraceNumber: null };
    },
    async pay() {
      if (behaviour === 'busy') throw new KioskError('DEVICE_BUSY', 'terminal still finishing the previous transaction');
      return { outcome: 'declined', reason: 'declined by the authorisation host (code 5)' };
    },
    async lookup() {
      return { outcome: 'unknown' };
    },
  };
}

describe('a decline says whether the attempt reached the provider (the screen tells "declined" from "nothing was charged")', () => {
  let f: Fixture;
  afterEach(() => f.close());

  async function declinedEvent(behaviour: 'prepare_fails' | 'busy' | 'declines') {
    f = await engineFixture();
    const checkout = new Checkout(f.engine, f.clock, { currency: 'CNY', timeoutMs: 10_000 }, [card(behaviour)]);
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 500) });
    o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
    o = await checkout.pay(o.id, 'card');
    expect(o.state).toBe('awaiting_payment');
    const row = await f.db.read.get<{ payload: string }>(`SELECT payload FROM journal WHERE type = 'payment_declined' ORDER BY seq DESC LIMIT 1`);
    return (JSON.parse(row!.payload) as { event: { notSent?: boolean; reason: string } }).event;
  }

  it('prepare failed (terminal not ready): notSent', async () => {
    expect(await declinedEvent('prepare_fails')).toMatchObject({ notSent: true, reason: expect.stringMatching(/not ready/) });
  });

  it('refused before sending (busy): notSent', async () => {
    expect(await declinedEvent('busy')).toMatchObject({ notSent: true });
  });

  it('declined by the terminal: no notSent', async () => {
    const ev = await declinedEvent('declines');
    expect(ev.notSent).toBeUndefined();
    expect(ev.reason).toMatch(/authorisation host/);
  });
});
