import type { DeviceInfo, DeviceStatus, LifecycleState } from '../contract/device';
import { SimulatedClock } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import { ConnectedDevice, type ConnectionOptions, type HealthOutcome, type LossOptions, type StatusPolicy } from './connected-device';

const flush = () => new Promise((r) => setImmediate(r));

/** A device that records every hook ConnectedDevice calls, with a policy of the test's choice. */
class HookedDevice extends ConnectedDevice {
  readonly info: DeviceInfo = { id: 'hooked-1', deviceClass: 'terminal', driver: 'fake' };
  calls: string[] = [];
  refuseEnable = false;
  present = true;
  constructor(
    opts: ConnectionOptions,
    private readonly policy: StatusPolicy,
  ) {
    super(opts);
  }
  protected override statusPolicy(): StatusPolicy {
    return this.policy;
  }
  protected async probe(): Promise<void> {
    this.calls.push('probe');
  }
  protected async connect(reconnect: boolean, timeoutMs?: number): Promise<void> {
    if (!this.present) throw new KioskError('DEVICE_OFFLINE', 'not there');
    this.calls.push(`connect(${reconnect}, ${timeoutMs})`);
  }
  protected async disconnect(): Promise<void> {
    this.calls.push('disconnect');
  }
  protected async health(): Promise<HealthOutcome> {
    return { ok: true, reason: 'fine' };
  }
  protected override async beforeEnable(): Promise<void> {
    this.calls.push('beforeEnable');
    if (this.refuseEnable) throw new KioskError('PROTOCOL', 'registration refused');
  }
  protected override async onEnabled(): Promise<void> {
    this.calls.push(`onEnabled(${this.lifecycle})`);
  }
  protected override async onDisabled(): Promise<void> {
    this.calls.push(`onDisabled(${this.lifecycle})`);
  }
  protected override async beforeDisconnect(): Promise<void> {
    this.calls.push(`beforeDisconnect(connected=${this.isConnected})`);
  }
  protected override onClosing(): void {
    this.calls.push('onClosing');
  }
  protected override async onClosed(): Promise<void> {
    this.calls.push('onClosed');
  }
  protected override onReconnected(): void {
    this.calls.push('onReconnected');
  }
  protected override onLifecycle(to: LifecycleState, from: LifecycleState): void {
    this.calls.push(`${from}→${to}`);
  }
  protected override reconnectedDetail(attempts: number): string {
    return `back after ${attempts}`;
  }
  lose(detail: string, how?: LossOptions): void {
    this.connectionLost(detail, how);
  }
  polled(online: boolean): void {
    this.report(online, [], online ? 'poll answered' : 'polls missed');
  }
}

const DEFAULT: StatusPolicy = { onlineWhenOpened: true, debounceOffline: true, statusEvents: 'changes' };

function make(policy: Partial<StatusPolicy> = {}) {
  const clock = new SimulatedClock();
  const dev = new HookedDevice({ clock, offlineDebounceMs: 1000, reconnectInitialMs: 200, reconnectMaxMs: 1000 }, { ...DEFAULT, ...policy });
  const statuses: DeviceStatus[] = [];
  dev.on('status', (s) => statuses.push(s));
  const advance = async (ms: number) => {
    for (let left = ms; left > 0; left -= 50) {
      clock.advance(50);
      await flush();
    }
  };
  return { dev, statuses, advance };
}

describe('ConnectedDevice hooks: the differences of the terminal, printer and light', () => {
  it('calls the hooks in lifecycle order, going up and going down', async () => {
    const { dev } = make();
    await dev.open();
    await dev.claim(1500);
    await dev.enable();
    expect(dev.calls).toEqual(['probe', 'closed→opened', 'connect(false, 1500)', 'opened→claimed', 'beforeEnable', 'claimed→enabled', 'onEnabled(enabled)']);
    dev.calls = [];
    await dev.release(); // enabled → opened: disabled first, the last answers leave, then the transport closes
    expect(dev.calls).toEqual(['enabled→claimed', 'onDisabled(claimed)', 'beforeDisconnect(connected=true)', 'disconnect', 'claimed→opened']);
    dev.calls = [];
    await dev.close();
    expect(dev.calls).toEqual(['onClosing', 'disconnect', 'onClosed', 'opened→closed']);
  });

  it('a rejected beforeEnable fails enable() and leaves the device claimed', async () => {
    const { dev } = make();
    dev.refuseEnable = true;
    await dev.open();
    await dev.claim();
    await expect(dev.enable()).rejects.toMatchObject({ code: 'PROTOCOL' });
    expect(dev.status().lifecycle).toBe('claimed');
    expect(dev.calls).not.toContain('onEnabled(enabled)');
  });

  it("statusEvents 'lifecycle' reports every lifecycle change once; onlineWhenOpened false: online only once claimed", async () => {
    const { dev, statuses } = make({ onlineWhenOpened: false, statusEvents: 'lifecycle' });
    await dev.open();
    expect(dev.status().online).toBe(false);
    await dev.claim();
    await dev.enable();
    await dev.disable();
    await dev.release();
    expect(statuses.map((s) => `${s.lifecycle}/${s.online}`)).toEqual(['opened/false', 'claimed/true', 'enabled/true', 'claimed/true', 'opened/false']);
  });

  it("statusEvents 'enabled' stays quiet below enabled, even when the connection is lost", async () => {
    const { dev, statuses, advance } = make({ statusEvents: 'enabled' });
    await dev.open();
    await dev.claim();
    dev.present = false;
    dev.lose('cable pulled');
    await advance(1500); // offline after the debounce, but claimed: no event
    expect(dev.status().online).toBe(false);
    expect(statuses).toEqual([]);
  });

  it('a loss with faults is offline at once, retried at firstRetryMs, and the reconnect clears the faults', async () => {
    const { dev, statuses, advance } = make();
    await dev.open();
    await dev.claim();
    await dev.enable();
    dev.calls = [];
    dev.lose('faulty: garbage from the board', { exactDetail: true, faults: ['HARDWARE'], firstRetryMs: 0 });
    expect(statuses).toEqual([expect.objectContaining({ online: false, faults: ['HARDWARE'], detail: 'faulty: garbage from the board' })]);
    await advance(50);
    expect(dev.calls).toEqual(['disconnect', 'connect(true, undefined)', 'onReconnected']);
    expect(statuses[1]).toMatchObject({ online: true, faults: [], lifecycle: 'enabled', detail: 'back after 1' });
    expect(statuses).toHaveLength(2);
  });

  it('debounceOffline false: the driver reports online/offline itself; a loss and a reconnect report nothing', async () => {
    const { dev, statuses, advance } = make({ debounceOffline: false, onlineWhenOpened: false });
    await dev.open();
    await dev.claim();
    await dev.enable();
    expect(statuses.map((s) => s.online)).toEqual([true]); // the claim brought it online
    statuses.length = 0;
    dev.present = false;
    dev.lose('link lost');
    await advance(3000);
    expect(dev.isConnected).toBe(false);
    expect(statuses).toEqual([]);
    dev.polled(false);
    expect(statuses).toEqual([expect.objectContaining({ online: false, detail: 'polls missed' })]);
    dev.present = true;
    await advance(1000);
    expect(dev.isConnected).toBe(true);
    expect(statuses).toHaveLength(1);
    dev.polled(true);
    expect(statuses[1]).toMatchObject({ online: true, detail: 'poll answered' });
  });
});
