import type { DeviceInfo, DeviceStatus } from '../contract/device';
import { SimulatedClock } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import { ConnectedDevice, type ConnectionOptions, type HealthOutcome } from './connected-device';

const flush = () => new Promise((r) => setImmediate(r));

/** A device whose transport is a few flags. */
class FakeDevice extends ConnectedDevice {
  readonly info: DeviceInfo = { id: 'fake-1', deviceClass: 'light', driver: 'fake' };
  present = true;
  busy = false;
  transportOpen = false;
  connects = 0;
  failNextConnectAfterOpen = false;
  throwAfterOpen = false;
  constructor(opts: ConnectionOptions) {
    super(opts);
  }
  protected async probe(): Promise<void> {
    if (!this.present) throw new KioskError('DEVICE_OFFLINE', 'not there');
  }
  protected async connect(): Promise<void> {
    if (!this.present) throw new KioskError('DEVICE_OFFLINE', 'not there');
    if (this.busy) throw new KioskError('DEVICE_BUSY', 'held by someone else');
    this.transportOpen = true;
    this.connects++;
    if (this.throwAfterOpen) throw new KioskError('TIMEOUT', 'initialisation not drained');
    if (this.failNextConnectAfterOpen) {
      this.failNextConnectAfterOpen = false;
      this.connectionLost('dropped right after opening');
    }
  }
  protected async disconnect(): Promise<void> {
    this.transportOpen = false;
  }
  protected async health(): Promise<HealthOutcome> {
    throw new Error('health exploded');
  }
  /** The cable is pulled. */
  pull(): void {
    this.present = false;
    this.transportOpen = false;
    this.connectionLost('cable pulled');
  }
  command(): void {
    this.requireReady('command()');
  }
}

/** A device whose transport never reports its own death: only the presence check can notice. */
class SilentDevice extends FakeDevice {
  presenceChecks = 0;
  protected override async stillPresent(): Promise<boolean> {
    this.presenceChecks++;
    return this.present;
  }
  vanish(): void {
    this.present = false;
    this.transportOpen = false;
  }
}

describe('ConnectedDevice: presence polling', () => {
  it('notices a device that vanished without a word, and only polls while connected', async () => {
    const clock = new SimulatedClock();
    const dev = new SilentDevice({ clock, offlineDebounceMs: 1000, reconnectInitialMs: 250, reconnectMaxMs: 1000, presencePollMs: 500 });
    const statuses: DeviceStatus[] = [];
    dev.on('status', (s) => statuses.push(s));
    await dev.open();
    await dev.claim();
    const step = async (ms: number) => {
      for (let left = ms; left > 0; left -= 50) {
        clock.advance(50);
        await flush();
      }
    };
    await step(1500);
    expect(dev.presenceChecks).toBe(3);
    dev.vanish();
    await step(500);
    expect(dev.isConnected).toBe(false);
    await step(1000);
    expect(statuses).toMatchObject([{ online: false, lifecycle: 'claimed' }]);
    const checks = dev.presenceChecks;
    await step(3000);
    expect(dev.presenceChecks).toBe(checks); // not while offline
    dev.present = true;
    await step(2500);
    expect(statuses).toMatchObject([{ online: false }, { online: true }]);
    await step(1000);
    expect(dev.presenceChecks).toBeGreaterThan(checks);
    await dev.close();
    const after = dev.presenceChecks;
    await step(3000);
    expect(dev.presenceChecks).toBe(after);
  });
});

describe('ConnectedDevice: connection handling with a simulated clock', () => {
  let clock: SimulatedClock;
  let dev: FakeDevice;
  let statuses: DeviceStatus[];

  beforeEach(async () => {
    clock = new SimulatedClock();
    dev = new FakeDevice({ clock, offlineDebounceMs: 1000, reconnectInitialMs: 250, reconnectMaxMs: 2000 });
    statuses = [];
    dev.on('status', (s) => statuses.push(s));
    await dev.open();
    await dev.claim();
    await dev.enable();
  });

  async function advance(ms: number): Promise<void> {
    clock.advance(ms);
    await flush();
  }

  it('reports offline once after the debounce, retries with exponential backoff, comes back to enabled', async () => {
    const t0 = clock.now();
    dev.pull();
    expect(dev.isConnected).toBe(false);
    expect(() => dev.command()).toThrow(expect.objectContaining({ code: 'DEVICE_OFFLINE' }));
    await advance(250);
    expect(dev.reconnectAttempts).toBe(1);
    await advance(500);
    expect(dev.reconnectAttempts).toBe(2);
    expect(statuses).toEqual([]);
    await advance(250); // t0 + 1000: debounce over
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({ online: false, lifecycle: 'enabled', since: t0 + 1000 });
    expect(statuses[0].detail).toMatch(/cable pulled|reconnect attempt/);
    await advance(750); // t0 + 1750: third attempt (delay 1000)
    expect(dev.reconnectAttempts).toBe(3);
    await advance(2000); // capped at 2000
    expect(dev.reconnectAttempts).toBe(4);
    await advance(2000);
    expect(dev.reconnectAttempts).toBe(5);
    expect(statuses).toHaveLength(1);
    dev.present = true;
    await advance(2000);
    expect(dev.isConnected).toBe(true);
    expect(statuses).toHaveLength(2);
    expect(statuses[1]).toMatchObject({ online: true, lifecycle: 'enabled' });
    expect(() => dev.command()).not.toThrow();
  });

  it('a glitch shorter than the debounce emits nothing', async () => {
    dev.pull();
    dev.present = true;
    await advance(250);
    expect(dev.isConnected).toBe(true);
    await advance(5000);
    expect(statuses).toEqual([]);
  });

  it('a connection lost while it is being opened counts as a failed attempt', async () => {
    dev.pull();
    dev.present = true;
    dev.failNextConnectAfterOpen = true;
    await advance(250);
    expect(dev.isConnected).toBe(false);
    expect(dev.transportOpen).toBe(false);
    await advance(500);
    expect(dev.isConnected).toBe(true);
    expect(dev.connects).toBe(3);
  });

  it('a connect that fails half-way is cleaned up (nothing left open)', async () => {
    await dev.release();
    dev.throwAfterOpen = true;
    await expect(dev.claim()).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(dev.transportOpen).toBe(false);
    expect(dev.status().lifecycle).toBe('opened');
  });

  it('close() while reconnecting stops the loop for good', async () => {
    dev.pull();
    await advance(250);
    await dev.close();
    dev.present = true;
    const attempts = dev.reconnectAttempts;
    await advance(60_000);
    expect(dev.reconnectAttempts).toBe(attempts);
    expect(dev.transportOpen).toBe(false);
    expect(statuses).toEqual([]);
    expect(dev.status().lifecycle).toBe('closed');
  });

  it('disable()/enable() while offline set the state it comes back to', async () => {
    dev.pull();
    await dev.disable();
    dev.present = true;
    await advance(250);
    expect(dev.status()).toMatchObject({ lifecycle: 'claimed', online: true });
    expect(() => dev.command()).toThrow(expect.objectContaining({ code: 'DEVICE_STATE' }));
  });

  it('claim(timeout) retries a busy device until it is free, and gives up with DEVICE_BUSY', async () => {
    await dev.release();
    dev.busy = true;
    await expect(dev.claim()).rejects.toMatchObject({ code: 'DEVICE_BUSY' });
    let settled: unknown = 'pending';
    void dev.claim(1000).then(
      () => (settled = 'claimed'),
      (e) => (settled = e),
    );
    await advance(300);
    expect(settled).toBe('pending');
    dev.busy = false;
    await advance(100);
    await flush();
    expect(settled).toBe('claimed');
    await dev.release();
    dev.busy = true;
    const gaveUp = dev.claim(500);
    for (let i = 0; i < 8; i++) await advance(100);
    await expect(gaveUp).rejects.toMatchObject({ code: 'DEVICE_BUSY' });
  });

  it('checkHealth turns a throwing check into ok:false', async () => {
    expect(await dev.checkHealth('external')).toEqual({ level: 'external', ok: false, reason: 'health exploded' });
  });

  it('lifecycle calls run one at a time, in order', async () => {
    const order: string[] = [];
    await Promise.all([
      dev.disable().then(() => order.push('disable')),
      dev.release().then(() => order.push('release')),
      dev.claim().then(() => order.push('claim')),
      dev.enable().then(() => order.push('enable')),
    ]);
    expect(order).toEqual(['disable', 'release', 'claim', 'enable']);
    expect(dev.status().lifecycle).toBe('enabled');
  });
});
