import { EventEmitter } from 'node:events';
import type { BarcodeScanner, CustomerDisplay, Device, DeviceClass, DeviceStatus, LaneLight, PaymentTerminal, ReceiptPrinter } from '../../drivers/contract';
import type { Clock, TimerHandle } from '../../kernel/clock';
import type { Committed, OrderEngine } from '../orders/engine';
import type { OrderState } from '../orders/states';
import type { ServiceFaults } from '../lane/service-faults';
import { laneCondition, type LaneCondition } from './lane-condition';

export interface LaneDevices {
  scanner?: BarcodeScanner;
  terminal?: PaymentTerminal;
  printer?: ReceiptPrinter;
  display?: CustomerDisplay;
  light?: LaneLight;
}

/** What the supervisor needs of the lane (runtime/lane/lane.ts Lane): whether it is closed, and when that changes. */
export interface ClosableLane {
  readonly closed: { reason: string } | null;
  on(event: 'closedChanged', fn: (c: { reason: string } | null) => void): unknown;
  off(event: 'closedChanged', fn: (c: { reason: string } | null) => void): unknown;
}

export interface SupervisorEvents {
  condition: [LaneCondition];
  deviceStatus: [DeviceClass, DeviceStatus];
  deviceError: [DeviceClass, Error];
}

/**
 * Brings the lane's devices up (open → claim → enable, retrying with backoff when one is absent at boot), follows
 * their status, and turns it — with the open order's state — into the lane's condition: in or out of service,
 * the shopper message, and the tower light colour. It only knows the device contracts.
 */
export class DeviceSupervisor extends EventEmitter<SupervisorEvents> {
  private readonly statuses: Partial<Record<DeviceClass, DeviceStatus>> = {};
  private readonly retries = new Map<DeviceClass, TimerHandle>();
  private orderState: OrderState | null = null;
  private current: LaneCondition | null = null;
  private stopped = false;

  constructor(
    readonly devices: LaneDevices,
    private readonly opts: { clock: Clock; required: readonly DeviceClass[]; engine?: OrderEngine; maxBackoffMs?: number; faults?: ServiceFaults; lane?: ClosableLane },
  ) {
    super();
  }

  private entries(): [DeviceClass, Device][] {
    return (Object.entries(this.devices) as [DeviceClass, Device | undefined][]).filter((e): e is [DeviceClass, Device] => e[1] !== undefined);
  }

  /** Removes the listeners start() added to the faults, the engine and the devices' status. */
  private unlisten: () => void = () => undefined;

  async start(): Promise<LaneCondition> {
    const offs: (() => void)[] = [];
    this.unlisten = () => offs.splice(0).forEach((off) => off());
    const onFaults = () => this.update();
    this.opts.faults?.on('change', onFaults);
    offs.push(() => this.opts.faults?.off('change', onFaults));
    // a lane closed by HQ or an attendant shows it on the light (LANE_CLOSED_LIGHT); unlocking restores it
    const lane = this.opts.lane;
    if (lane) {
      const onClosed = () => this.update();
      lane.on('closedChanged', onClosed);
      offs.push(() => lane.off('closedChanged', onClosed));
    }
    if (this.opts.engine) {
      const engine = this.opts.engine;
      const open = await engine.openOrder();
      this.orderState = open?.state ?? null;
      const onCommitted = (c: Committed) => {
        this.orderState = c.order.state;
        this.update();
      };
      engine.on('committed', onCommitted);
      offs.push(() => engine.off('committed', onCommitted));
    }
    for (const [cls, dev] of this.entries()) {
      const onStatus = (s: DeviceStatus) => {
        this.statuses[cls] = s;
        this.emit('deviceStatus', cls, s);
        this.update();
      };
      const onError = (e: Error) => this.emit('deviceError', cls, e);
      dev.on('status', onStatus);
      dev.on('error', onError);
      // its 'error' listener stays: a closed device that still reports an error must not throw (the device is not reused)
      offs.push(() => dev.off('status', onStatus));
    }
    await Promise.all(this.entries().map(([cls, dev]) => this.bringUp(cls, dev, 0)));
    return this.update(true);
  }

  private async bringUp(cls: DeviceClass, dev: Device, attempt: number): Promise<void> {
    if (this.stopped) return;
    try {
      await dev.open();
      await dev.claim();
      await dev.enable();
      this.statuses[cls] = dev.status();
    } catch (e) {
      this.statuses[cls] = { ...dev.status(), online: false, detail: e instanceof Error ? e.message : String(e) };
      this.emit('deviceError', cls, e instanceof Error ? e : new Error(String(e)));
      const delay = Math.min(this.opts.maxBackoffMs ?? 30_000, 500 * 2 ** attempt);
      this.retries.set(
        cls,
        this.opts.clock.setTimeout(() => {
          this.retries.delete(cls);
          void this.bringUp(cls, dev, attempt + 1).then(() => this.update());
        }, delay),
      );
    }
  }

  condition(): LaneCondition {
    return this.current ?? laneCondition(this.statuses, this.opts.required, this.orderState, this.opts.faults?.reasons(), this.opts.lane?.closed ?? null);
  }

  status(cls: DeviceClass): DeviceStatus | undefined {
    return this.statuses[cls];
  }

  private update(force = false): LaneCondition {
    // devices going offline because stop() closes them are no change of the lane's condition, and the light being
    // closed at the same moment must not be set (its refusal was logged as a device error on every clean stop)
    if (this.stopped && this.current) return this.current;
    const next = laneCondition(this.statuses, this.opts.required, this.orderState, this.opts.faults?.reasons(), this.opts.lane?.closed ?? null);
    const changed = JSON.stringify(next) !== JSON.stringify(this.current);
    this.current = next;
    // the light follows the condition whenever it can (also after it comes back from being unplugged)
    const light = this.devices.light;
    if (light && light.status().online && light.status().lifecycle === 'enabled') {
      const cur = light.current();
      if (cur.color !== next.light.color || cur.mode !== next.light.mode) {
        light.set(next.light).catch((e: unknown) => this.emit('deviceError', 'light', e instanceof Error ? e : new Error(String(e))));
      }
    }
    if (changed || force) this.emit('condition', next);
    return next;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.retries.values()) this.opts.clock.clearTimeout(t);
    this.retries.clear();
    await Promise.all(this.entries().map(([, d]) => d.close().catch(() => undefined)));
    this.unlisten();
  }
}
