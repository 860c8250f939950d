import type { KioskConfig } from '../config/schema';
import type { Clock, TimerHandle } from '../kernel/clock';
import type { BootFault } from '../runtime/db/boot-check';
import { laneCondition, type LaneCondition } from '../runtime/supervision/lane-condition';
import { ServiceFaults } from '../runtime/lane/service-faults';
import { startControlServer } from './control-server';
import type { DoctorReport } from './doctor';
import { faultLight } from './fault-light';
import { faultPresence } from './fault-presence';
import { startFaultScreen } from './fault-screen';
import { SOFTWARE } from './hq-link';
import { dbPath, type Kiosk } from './kiosk';
import type { Logger } from './logger';
import type { SdNotifier } from './sd-notify';
import { serviceStatus } from './service-status';

export type BootOutcome = { kiosk: Kiosk } | { fault: BootFault };

/** The doctor report of a kiosk that could not boot: one failing required row with the reason. */
export function faultDoctor(f: BootFault): DoctorReport {
  return { ok: false, rows: [{ check: `${f.source} at boot (${f.code})`, required: true, ok: false, reason: f.reason }] };
}

/**
 * `kiosk start` when the boot failed for a storage or data fault: instead of exiting (a crash loop under a
 * supervisor) the kiosk stays up out of service — the control endpoint answers status and doctor with the reason,
 * the shopper's screen shows the out-of-service message — logs the cause once per change (no stack), and boots
 * again every `timeouts.bootRetryMs` on the clock (never for a newer schema) until it succeeds or is stopped.
 * The lane light (when configured) shows the condition's red, and HQ (when a broker is configured or provisioned)
 * gets the retained state with the fault; both are let go before every boot attempt — the booting kiosk opens the
 * same light port and logs in with the same client id — and taken again when the attempt fails.
 * Resolves with the booted kiosk, or null when stopped first.
 */
export async function runFaultShell(
  config: KioskConfig,
  first: BootFault,
  deps: {
    clock: Clock;
    log: Logger;
    boot: () => Promise<BootOutcome>;
    stopped: Promise<unknown>;
    onReady: (line: string) => void;
    /** systemd: the shell is "ready" (running, out of service) and its STATUS= says why. */
    notify?: Pick<SdNotifier, 'ready' | 'status'>;
  },
): Promise<Kiosk | null> {
  const { clock, log } = deps;
  let fault = first;
  const faults = new ServiceFaults(() => clock.now());
  const show = (f: BootFault) => {
    faults.set(f.source, f.reason);
    faults.set(f.source === 'data' ? 'storage' : 'data', null);
  };
  show(fault);
  const condition = (): LaneCondition => laneCondition({}, [], null, faults.reasons());
  log.error({ code: fault.code, reason: fault.reason, retryInMs: fault.retry ? config.timeouts.bootRetryMs : null }, 'boot failed: lane out of service');
  const light = faultLight(config, { clock, log });
  const hq = faultPresence(config, { clock, log, software: SOFTWARE });
  const hold = () => {
    void light.hold(condition().light);
    void hq?.announce(fault, condition());
  };
  const letGo = () => Promise.all([light.release(), hq?.disconnect()]);
  const control = await startControlServer(config.dataDir, config.devices.simControlPort, {
    status: () => ({ condition: condition(), devices: {}, boot: { ...fault, since: faults.list()[0]?.since ?? null } }),
    doctor: () => Promise.resolve(faultDoctor(fault)),
    sim: light.sim ? { light: light.sim } : {},
  });
  hold();
  const screen = await startFaultScreen(config, condition(), (e) => log.error({ err: e }, 'screen task failed')).catch((e: unknown) => {
    log.warn({ err: e instanceof Error ? e.message : String(e) }, 'out-of-service screen not served');
    return null;
  });
  const listening = [`control=127.0.0.1:${control.port}`, ...(screen ? [`screen=127.0.0.1:${screen.port}`] : [])];
  deps.onReady(
    `ready store=${config.device.storeId} device=${config.device.deviceId} db=${dbPath(config.dataDir)} items=0 open-order=none ` +
      `lane=out-of-service simulated=none listening=${listening.join(',')} hq=none fault=${fault.code} reason=${JSON.stringify(fault.reason)}`,
  );
  const status = () => serviceStatus(condition(), { ok: 0, total: 0 }, null);
  deps.notify?.ready(status());
  let stop = false;
  void deps.stopped.then(() => (stop = true));
  let timer: TimerHandle | null = null;
  try {
    for (;;) {
      const wake = new Promise<void>((resolve) => {
        void deps.stopped.then(() => resolve());
        if (fault.retry) timer = clock.setTimeout(resolve, config.timeouts.bootRetryMs);
      });
      await wake;
      if (timer) clock.clearTimeout(timer);
      timer = null;
      if (stop) return null;
      await letGo();
      const r = await deps.boot();
      if ('kiosk' in r) {
        if (stop) {
          await r.kiosk.close();
          return null;
        }
        log.info({ after: fault.code }, 'boot succeeded: the storage fault is gone');
        return r.kiosk;
      }
      if (r.fault.reason !== fault.reason) {
        log.error({ code: r.fault.code, reason: r.fault.reason }, 'boot failed: lane out of service');
        fault = r.fault;
        show(fault);
        screen?.session.update(condition());
        deps.notify?.status(status());
      }
      if (!stop) hold();
    }
  } finally {
    await screen?.close();
    await control.close();
    await light.release();
    await hq?.stop();
  }
}
