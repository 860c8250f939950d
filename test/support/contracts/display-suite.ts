import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { CustomerDisplay } from '../../../drivers/contract/display';

/**
 * The behaviour every `CustomerDisplay` must show, as a jest suite: run against the pole display simulator over a
 * real pty pair, and against a real display when the environment names one (then there is no `read`: the checks
 * that need eyes are reduced to "the call succeeds").
 */
export interface DisplayHarness {
  display: CustomerDisplay;
  /** What the display shows now, once the driver's writes have arrived (simulators only). */
  read?: () => Promise<string[]>;
  teardown(): Promise<void>;
}

export function displayContractSuite(name: string, make: () => Promise<DisplayHarness>): void {
  describe(`CustomerDisplay contract: ${name}`, () => {
    // the lifecycle rules are the shared lifecycle suite's (lifecycle-suite.ts, run by drivers/display/lifecycle.test.ts)
    describe('output', () => {
      let h: DisplayHarness;
      const shows = async (expected: string[]) => {
        if (h.read) expect(await h.read()).toEqual(expected);
      };
      beforeEach(async () => {
        h = await make();
        await h.display.open();
        await h.display.claim();
      });
      afterEach(async () => {
        await h.display.close();
        await h.teardown();
      });

      it('has a size and shows only while enabled', async () => {
        expect(h.display.columns).toBeGreaterThan(0);
        expect(h.display.rows).toBeGreaterThan(0);
        await expect(h.display.show(['too early'])).rejects.toMatchObject({ code: 'DEVICE_STATE' });
        await h.display.enable();
        await h.display.show(['Welcome', 'Scan your items']);
        await shows(['Welcome', 'Scan your items']);
        await h.display.disable();
        await expect(h.display.clear()).rejects.toMatchObject({ code: 'DEVICE_STATE' });
      });

      it('truncates long lines at the right edge, never wrapping into the next line', async () => {
        await h.display.enable();
        const cols = h.display.columns;
        const long = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.repeat(8);
        await h.display.show([long, 'second']);
        await shows([long.slice(0, cols), 'second'].slice(0, h.display.rows));
      });

      it('a shorter frame replaces the previous one entirely; missing lines are blank', async () => {
        await h.display.enable();
        await h.display.show(['Milk 1L            1.19', 'Total              1.19']);
        await h.display.show(['Bread']);
        await shows(['Bread', ...Array(h.display.rows - 1).fill('')]);
      });

      it('clear() blanks the display', async () => {
        await h.display.enable();
        await h.display.show(['something', 'else']);
        await h.display.clear();
        await shows(Array(h.display.rows).fill(''));
      });

      it('characters the display cannot show become "?"', async () => {
        await h.display.enable();
        await h.display.show(['OK \u2713 done', 'Smile \u{1F600}!']);
        await shows(['OK ? done', 'Smile ?!']);
      });

      it('checkHealth external passes while enabled; interactive asks a person', async () => {
        await h.display.enable();
        expect(await h.display.checkHealth('external')).toMatchObject({ ok: true });
        const asked: string[] = [];
        const yes = await h.display.checkHealth('interactive', {
          prompt: async (text) => {
            asked.push(text);
            return true;
          },
        });
        expect(yes).toMatchObject({ level: 'interactive', ok: true });
        expect(asked[0]).toMatch(/display/i);
        expect(await h.display.checkHealth('interactive', { prompt: async () => false })).toMatchObject({ ok: false });
      });

      it('after close(), commands reject and close() still succeeds', async () => {
        await h.display.enable();
        await h.display.close();
        await expect(h.display.show(['x'])).rejects.toMatchObject({ code: 'DEVICE_STATE' });
        await h.display.close();
      });
    });
  });
}
