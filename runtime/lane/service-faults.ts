import { EventEmitter } from 'node:events';

/**
 * Where a lane-wide fault comes from (not a device's: those come from the device supervisor).
 * - `storage`: the database cannot be written or read (disk full, read-only, corrupt, I/O error).
 * - `data`: the database went backwards or vanished (journal behind the marker or behind HQ's acknowledged seq).
 * - `sync`: HQ's view and the lane's disagree so that selling on would be wrong.
 */
export type FaultSource = 'storage' | 'data' | 'sync';

export interface ServiceFault {
  source: FaultSource;
  /** For staff and HQ: what is wrong and, where known, what to do ("disk full (SQLITE_FULL): free space on /var/lib/kiosk"). */
  reason: string;
  /** Epoch ms (from the kiosk's clock) when this reason was first set. */
  since: number;
}

export interface ServiceFaultEvents {
  change: [readonly ServiceFault[]];
}

/**
 * The lane's non-device faults. Each source sets its reason while the cause lasts and clears it (null) when the
 * cause is gone; any fault puts the lane out of service (the supervisor folds them into the lane condition: screen,
 * light, doctor, HQ presence). Setting the same reason again changes nothing and emits nothing.
 */
export class ServiceFaults extends EventEmitter<ServiceFaultEvents> {
  private readonly faults = new Map<FaultSource, ServiceFault>();

  constructor(private readonly now: () => number) {
    super();
  }

  set(source: FaultSource, reason: string | null): void {
    const cur = this.faults.get(source);
    if (reason === null) {
      if (!cur) return;
      this.faults.delete(source);
    } else {
      if (cur?.reason === reason) return;
      this.faults.set(source, { source, reason, since: cur?.since ?? this.now() });
    }
    this.emit('change', this.list());
  }

  get(source: FaultSource): ServiceFault | null {
    return this.faults.get(source) ?? null;
  }

  list(): ServiceFault[] {
    return [...this.faults.values()];
  }

  /** `source: reason` lines, in the order the faults were raised. */
  reasons(): string[] {
    return this.list().map((f) => `${f.source}: ${f.reason}`);
  }
}
