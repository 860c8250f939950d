import { bootKiosk, dbPath } from '../kiosk';
import type { KioskConfig } from '../../config/schema';
import { SystemClock, type Clock } from '../../kernel/clock';
import { bootFault } from '../../runtime/db/boot-check';
import { runFaultShell, type BootOutcome } from '../boot-fault-shell';
import { configFrom, type CommonOptions } from '../cli-support';
import { startControlServer } from '../control-server';
import { createLogger, type Logger } from '../logger';
import { startHqLink } from '../hq-link';
import { startScreen } from '../screen';

/**
 * `kiosk start`: boots the runtime and the lane's devices (simulated unless config binds real ones), resumes the
 * open order (settling a payment in doubt first), prints one `ready …` line, and runs until SIGINT/SIGTERM; then
 * finishes queued transactions, closes the devices, checkpoints the WAL and exits 0. A storage or data fault at boot
 * (disk full, not a database, corrupt, cannot open, a newer schema, a database behind its marker) does not end the
 * process: it runs out of service with the reason (runFaultShell) and boots again when the cause is gone.
 */
export async function start(opts: CommonOptions): Promise<void> {
  const config = configFrom(opts);
  const log = createLogger();
  const clock = new SystemClock();
  // signal listeners alone do not keep Node running: the kiosk must stay up until told to stop
  const keepAlive = setInterval(() => undefined, 60_000);
  // the first SIGINT/SIGTERM stops the kiosk; both listeners go with it (a second signal ends the process as usual)
  let unlisten = (): void => undefined;
  const stop = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      unlisten();
      resolve(signal);
    };
    unlisten = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  try {
    await run(config, { clock, log, stop });
  } finally {
    clearInterval(keepAlive);
    unlisten();
  }
  process.stdout.write('stopped\n');
}

/** Runs the booted kiosk (or its boot fault shell) until `stop` resolves, then stops everything it started. */
async function run(config: KioskConfig, { clock, log, stop }: { clock: Clock; log: Logger; stop: Promise<NodeJS.Signals> }): Promise<void> {
  const boot = (): Promise<BootOutcome> =>
    bootKiosk(config, { clock, devices: true, log, onBackgroundError: (e) => log.error({ err: e }, 'background task failed') }).then(
      (kiosk) => ({ kiosk }),
      (e: unknown) => {
        const fault = bootFault(e, dbPath(config.dataDir));
        if (!fault) throw e;
        return { fault };
      },
    );
  const first = await boot();
  const kiosk =
    'kiosk' in first
      ? first.kiosk
      : await runFaultShell(config, first.fault, { clock, log, boot, stopped: stop, onReady: (line) => process.stdout.write(`${line}\n`) });
  if (!kiosk) {
    log.info({ signal: await stop }, 'shutting down');
    return;
  }
  const hw = kiosk.hardware!;
  const control = await startControlServer(config.dataDir, config.devices.simControlPort, {
    status: () => ({
      condition: hw.supervisor.condition(),
      devices: Object.fromEntries(Object.entries(hw.devices).map(([cls, d]) => [cls, d ? { info: d.info, status: d.status() } : null])),
    }),
    doctor: (interactive) => hw.doctor({ interactive }),
    sim: hw.sim,
  });
  const hq = await startHqLink(kiosk, { log });
  const screen = await startScreen(kiosk, { onError: (e) => log.error({ err: e }, 'screen task failed') });
  const open = await kiosk.engine.openOrder();
  const items = await kiosk.catalog.count();
  const cond = hw.supervisor.condition();
  const listening = [`control=127.0.0.1:${control.port}`, ...(hq.embedded ? [`mqtt=127.0.0.1:${hq.embedded.port}`] : []), `screen=127.0.0.1:${screen.port}`];
  process.stdout.write(
    `ready store=${config.device.storeId} device=${config.device.deviceId} db=${kiosk.dbFile} items=${items} ` +
      `open-order=${open ? `${open.id}:${open.state}` : 'none'} lane=${cond.inService ? 'in-service' : 'out-of-service'} ` +
      `simulated=${hw.simulated.join(',') || 'none'} listening=${listening.join(',')} hq=${hq.embedded ? 'embedded' : hq.brokerUrl}\n`,
  );
  const signal = await stop;
  log.info({ signal }, 'shutting down');
  await screen.close();
  await control.close();
  await hq.close();
  await kiosk.close();
}
