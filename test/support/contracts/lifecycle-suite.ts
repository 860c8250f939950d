import type { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Device, DeviceStatus, HealthLevel, LifecycleState } from '../../../drivers/contract/device';

/**
 * The one lifecycle contract (drivers/contract/device.ts), as a jest suite every device class runs against its
 * simulator over real parts (pty pair, TCP loopback, injected USB/HID link): the order of calls, idempotency, going
 * down always allowed, going up out of order rejects `DEVICE_STATE`, status online/offline debounced on unplug and
 * back on replug, commands while offline reject `DEVICE_OFFLINE`, `checkHealth` never throws and reports the level
 * it was asked for, `close()` always succeeds. Class-specific behaviour (scan delivery, paper out, ...) stays in the
 * class's own suite.
 *
 *   lifecycleSuite('PoleDisplay ↔ simulator on a pty pair', async () => ({ device, unplug, replug, command, teardown }));
 */

/** What the lifecycle rules need of a device (any device class). */
export type LifecycleDevice = Pick<Device, 'info' | 'status' | 'open' | 'claim' | 'enable' | 'disable' | 'release' | 'close' | 'checkHealth'>;

export interface LifecycleHarness {
  /** A fresh driver, still closed. */
  device: LifecycleDevice;
  /** The device disappears (cable pulled, board gone, socket refused). */
  unplug(): Promise<void>;
  /** It comes back. */
  replug(): Promise<void>;
  /**
   * One command of the class that talks to the device (show a line, print, set the light, a status enquiry).
   * Input-only devices (scanners) have none: for them the suite checks the external health check instead.
   */
  command?: () => Promise<unknown>;
  /** The lowest lifecycle state `command` works in. Default `enabled`. */
  commandNeeds?: Extract<LifecycleState, 'claimed' | 'enabled'>;
  /** Frees the simulator (the suite closes the device first). */
  teardown(): Promise<void>;
}

export interface LifecycleSuiteOptions {
  /** Longest wait for a status change after unplug / replug (a bound, not a measurement). Default 10 000 ms. */
  waitMs?: number;
  /** After offline is reported, how long to watch that no further status event comes while reconnects fail. Default 400 ms. */
  quietMs?: number;
}

const LEVELS: readonly HealthLevel[] = ['internal', 'external', 'interactive'];
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`lifecycle suite: ${what} did not happen within ${ms} ms`);
    await delay(10);
  }
}

/** The call settles with a KioskError of `code` (not any other failure, not success). */
async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ code });
}

export function lifecycleSuite(name: string, make: () => Promise<LifecycleHarness>, opts: LifecycleSuiteOptions = {}): void {
  const waitMs = opts.waitMs ?? 10_000;
  const quietMs = opts.quietMs ?? 400;

  describe(`Device lifecycle contract: ${name}`, () => {
    let h: LifecycleHarness;
    let statuses: DeviceStatus[];
    const onStatus = (s: DeviceStatus) => statuses.push(s);
    const onError = () => undefined;

    beforeEach(async () => {
      h = await make();
      statuses = [];
      const events = h.device as unknown as EventEmitter; // every Device is one; its event map differs per class
      events.on('status', onStatus);
      events.on('error', onError);
    });
    afterEach(async () => {
      await h.device.close();
      (h.device as unknown as EventEmitter).off('status', onStatus);
      await h.teardown();
    });

    const up = async (to: LifecycleState) => {
      const d = h.device;
      if (to === 'closed') return;
      await d.open();
      if (to === 'opened') return;
      await d.claim();
      if (to === 'claimed') return;
      await d.enable();
    };

    it('walks open → claim → enable and back down; every call is idempotent in its target state', async () => {
      const d = h.device;
      expect(d.status().lifecycle).toBe('closed');
      expect(d.info.id).toMatch(/\S/);
      await d.open();
      await d.open();
      expect(d.status().lifecycle).toBe('opened');
      await d.claim();
      await d.claim();
      expect(d.status()).toMatchObject({ lifecycle: 'claimed', online: true });
      await d.enable();
      await d.enable();
      expect(d.status()).toMatchObject({ lifecycle: 'enabled', online: true });
      await d.disable();
      await d.disable();
      expect(d.status().lifecycle).toBe('claimed');
      await d.release();
      await d.release();
      expect(d.status().lifecycle).toBe('opened');
      await d.close();
      await d.close();
      expect(d.status().lifecycle).toBe('closed');
    });

    it('going up out of order rejects DEVICE_STATE and changes nothing', async () => {
      const d = h.device;
      await rejectsWith(d.claim(), 'DEVICE_STATE');
      await rejectsWith(d.enable(), 'DEVICE_STATE');
      expect(d.status().lifecycle).toBe('closed');
      if (h.command) await rejectsWith(h.command(), 'DEVICE_STATE');
      await d.open();
      await rejectsWith(d.enable(), 'DEVICE_STATE');
      expect(d.status().lifecycle).toBe('opened');
      if (h.command) await rejectsWith(h.command(), 'DEVICE_STATE');
      await d.claim();
      if (h.command && (h.commandNeeds ?? 'enabled') === 'enabled') await rejectsWith(h.command(), 'DEVICE_STATE');
      await d.enable();
      if (h.command) await h.command();
    });

    it('going down is always allowed: disable/release below their state resolve, release() of an enabled device disables it first', async () => {
      const d = h.device;
      await d.disable(); // closed
      await d.release();
      expect(d.status().lifecycle).toBe('closed');
      await d.open();
      await d.disable(); // opened
      await d.release();
      expect(d.status().lifecycle).toBe('opened');
      await d.claim();
      await d.enable();
      await d.release(); // enabled → opened in one call
      expect(d.status().lifecycle).toBe('opened');
      if (h.command) await rejectsWith(h.command(), 'DEVICE_STATE');
      await d.claim(); // and it can go up again
      await d.enable();
      expect(d.status()).toMatchObject({ lifecycle: 'enabled', online: true });
      if (h.command) await h.command();
    });

    it.each(['closed', 'opened', 'claimed', 'enabled'] as const)('close() from %s always succeeds, and the device can be used again', async (from) => {
      const d = h.device;
      await up(from);
      expect(d.status().lifecycle).toBe(from);
      await d.close();
      expect(d.status()).toMatchObject({ lifecycle: 'closed', online: false });
      await up('enabled');
      expect(d.status()).toMatchObject({ lifecycle: 'enabled', online: true });
    });

    it.each(['closed', 'opened', 'claimed', 'enabled'] as const)('checkHealth never throws and reports the level asked for (%s)', async (state) => {
      const d = h.device;
      await up(state);
      for (const level of LEVELS) {
        const r = await d.checkHealth(level);
        expect(r).toMatchObject({ level, ok: expect.any(Boolean), reason: expect.any(String) });
        expect(r.reason).toMatch(/\S/);
      }
      // a person who says no, and a prompt that fails: a failed check, never a throw
      const no = await d.checkHealth('interactive', { prompt: async () => false });
      expect(no).toMatchObject({ level: 'interactive', ok: false });
      const broken = await d.checkHealth('interactive', {
        prompt: async () => {
          throw new Error('the prompt broke');
        },
      });
      expect(broken).toMatchObject({ level: 'interactive', ok: false, reason: expect.any(String) });
      expect(await d.checkHealth('internal')).toMatchObject({ level: 'internal', ok: true });
      if (state === 'closed' || state === 'opened') expect(await d.checkHealth('external')).toMatchObject({ level: 'external', ok: false });
      else expect(await d.checkHealth('external')).toMatchObject({ level: 'external', ok: true });
      expect(d.status().lifecycle).toBe(state);
    });

    it('unplug: offline once (debounced, no storm), commands reject DEVICE_OFFLINE; replug: online again in the state it had', async () => {
      const d = h.device;
      await up('enabled');
      if (h.command) await h.command();
      statuses.length = 0;
      await h.unplug();
      await waitFor('status online: false after unplug', () => statuses.some((s) => !s.online), waitMs);
      await delay(quietMs); // reconnect attempts fail meanwhile: still one offline event
      const offline = statuses.filter((s) => !s.online);
      expect(offline).toHaveLength(1);
      expect(statuses.filter((s) => s.online)).toHaveLength(0);
      expect(offline[0]).toMatchObject({ online: false, lifecycle: 'enabled' });
      expect(d.status()).toMatchObject({ online: false, lifecycle: 'enabled' });
      if (h.command) await rejectsWith(h.command(), 'DEVICE_OFFLINE');
      const health = await d.checkHealth('external');
      expect(health).toMatchObject({ level: 'external', ok: false });
      for (const level of LEVELS) expect(await d.checkHealth(level)).toMatchObject({ level });

      await h.replug();
      await waitFor('status online: true after replug', () => statuses.some((s) => s.online), waitMs);
      const back = statuses.filter((s) => s.online);
      expect(back[0]).toMatchObject({ online: true, lifecycle: 'enabled' });
      expect(d.status()).toMatchObject({ online: true, lifecycle: 'enabled' });
      if (h.command) await h.command();
      expect(await d.checkHealth('external')).toMatchObject({ level: 'external', ok: true });
    });

    it('close() while unplugged succeeds and stops reconnecting', async () => {
      const d = h.device;
      await up('enabled');
      await h.unplug();
      await waitFor('status online: false after unplug', () => statuses.some((s) => !s.online), waitMs);
      await d.close();
      expect(d.status()).toMatchObject({ lifecycle: 'closed', online: false });
      const seen = statuses.length;
      await h.replug();
      await delay(quietMs);
      expect(statuses).toHaveLength(seen); // a closed device reports nothing
      expect(d.status()).toMatchObject({ lifecycle: 'closed', online: false });
    });
  });
}
