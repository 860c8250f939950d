import { writeToStream } from 'mqtt-packet';
import { bootKiosk, dbPath } from '../kiosk';
import type { KioskConfig } from '../../config/schema';
import { SystemClock, type Clock } from '../../kernel/clock';
import { bootFault } from '../../runtime/db/boot-check';
import { runFaultShell, type BootOutcome } from '../boot-fault-shell';
import { configAndIdentity, type CommonOptions } from '../cli-support';
import { identityNotice } from '../identity-config';
import { startControlServer } from '../control-server';
import { pricebookImportHandler } from '../pricebook-import-control';
import { refundsControl } from '../refunds-control';
import { createLogger, type Logger } from '../logger';
import { startHqLink, type HqLink } from '../hq-link';
import { startScreen } from '../screen';
import { lockForCommand } from '../locked-boot';
import { kioskHealthSources, startHealthServer, type HealthServer } from '../health-server';
import { sdNotifier, takeNotifyEnv, type SdNotifier } from '../sd-notify';
import { followServiceStatus } from '../service-status';
import { settleReleaseBeforeBoot } from '../releases/before-boot';

/**
 * `kiosk start`: boots the runtime and the lane's devices (simulated unless config binds real ones), resumes the
 * open order (settling a payment in doubt first), prints one `ready …` line, and runs until SIGINT/SIGTERM; then
 * finishes queued transactions, closes the devices, checkpoints the WAL and exits 0. A storage or data fault at boot
 * (disk full, not a database, corrupt, cannot open, a newer schema, a database behind its marker) does not end the
 * process: it runs out of service with the reason (runFaultShell) and boots again when the cause is gone.
 */
export async function start(opts: CommonOptions): Promise<void> {
  const { config, overrides } = configAndIdentity(opts);
  // one kiosk per data dir: the lock comes before the database, the HQ link, control.json or any port
  const lock = await lockForCommand(config.dataDir);
  const log = createLogger();
  const notice = identityNotice(overrides);
  if (notice) log.info({ identity: `${config.device.storeId}/${config.device.deviceId}` }, notice);
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
  // systemd (Type=notify): READY=1 with the ready line, STATUS= on lane changes, WATCHDOG=1, STOPPING=1 at the signal
  const notify = sdNotifier({ env: takeNotifyEnv(), clock, log });
  void stop.then(() => notify.stopping());
  try {
    await run(config, { clock, log, stop, notify });
  } finally {
    clearInterval(keepAlive);
    unlisten();
    await notify.close();
    await lock.release();
  }
  process.stdout.write('stopped\n');
}

/** Runs the kiosk with its health endpoint (up before the boot, so a supervisor sees why it is not in service yet). */
async function run(
  config: KioskConfig,
  { clock, log, stop, notify }: { clock: Clock; log: Logger; stop: Promise<NodeJS.Signals>; notify: SdNotifier },
): Promise<void> {
  // /healthz and /metrics answer from the start: 503 while booting or while the boot fails (with the fault), then the kiosk's
  const health = config.health.enabled ? await startHealthServer(config.health.port, null) : null;
  try {
    await runBooted(config, { clock, log, stop, notify, health });
  } finally {
    await health?.close();
  }
}

/** Runs the booted kiosk (or its boot fault shell) until `stop` resolves, then stops everything it started. */
async function runBooted(
  config: KioskConfig,
  { clock, log, stop, notify, health }: { clock: Clock; log: Logger; stop: Promise<NodeJS.Signals>; notify: SdNotifier; health: HealthServer | null },
): Promise<void> {
  const boot = (): Promise<BootOutcome> =>
    bootKiosk(config, { clock, devices: true, log, onBackgroundError: (e) => log.error({ err: e }, 'background task failed') }).then(
      (kiosk) => ({ kiosk }),
      (e: unknown) => {
        const fault = bootFault(e, dbPath(config.dataDir));
        if (!fault) throw e;
        health?.serveDown(() => [`${fault.source}: ${fault.reason}`]);
        return { fault };
      },
    );
  // a release switch or rollback in progress is settled before the database opens (device/releases/before-boot.ts)
  if (!(await settleReleaseBeforeBoot(config, { clock, log }))) return;
  const first = await boot();
  const kiosk =
    'kiosk' in first
      ? first.kiosk
      : await runFaultShell(config, first.fault, { clock, log, boot, stopped: stop, onReady: (line) => process.stdout.write(`${line}\n`), notify });
  if (!kiosk) {
    log.info({ signal: await stop }, 'shutting down');
    return;
  }
  const hw = kiosk.hardware!;
  // what has started so far, closed in reverse when a later part cannot start (a busy port): nothing stays half-open
  const started: { close(): Promise<void> }[] = [kiosk];
  const closeStarted = async () => {
    for (const part of started.reverse()) await part.close().catch((e: unknown) => log.error({ err: e }, 'close failed'));
  };
  try {
    const control = await startControlServer(config.dataDir, config.devices.simControlPort, {
      status: () => ({
        condition: hw.supervisor.condition(),
        devices: Object.fromEntries(Object.entries(hw.devices).map(([cls, d]) => [cls, d ? { info: d.info, status: d.status() } : null])),
      }),
      doctor: (interactive) => hw.doctor({ interactive }),
      sim: hw.sim,
      pricebookImport: pricebookImportHandler({ db: kiosk.db, config: () => kiosk.liveConfig, clock, log }),
      refunds: refundsControl({ db: kiosk.db, refunds: kiosk.refunds }),
    });
    started.push(control);
    const screen = await startScreen(kiosk, { onError: (e) => log.error({ err: e }, 'screen task failed') });
    started.push(screen);
    // the HQ link reads its state at each request: it may start after the health server (the ports first, so a busy
    // one ends the start before a second HQ session is opened)
    let link: HqLink | null = null;
    health?.serve(kioskHealthSources(kiosk, () => link?.client.connected ?? false));
    // mqtt-packet builds a table of all 65 536 two-byte numbers as Buffers on its first packet: ~55 ms and ~15 MiB
    // of resident memory, kept for good, to save a 2-byte allocation per packet id — nothing for the few packets the
    // embedded broker (Aedes, which shares this module instance: scripts/build.js leaves it outside the bundle)
    // writes (issue 16, bench/boot). Before the broker starts: the first packet is its first CONNACK.
    writeToStream.cacheNumbers = false;
    const hq = await startHqLink(kiosk, { log });
    link = hq;
    started.push(hq);
    const open = await kiosk.engine.openOrder();
    const items = await kiosk.catalog.count();
    const cond = hw.supervisor.condition();
    const listening = [
      `control=127.0.0.1:${control.port}`,
      ...(hq.embedded ? [`mqtt=127.0.0.1:${hq.embedded.port}`] : []),
      `screen=127.0.0.1:${screen.port}`,
      ...(health ? [`health=127.0.0.1:${health.port}`] : []),
    ];
    process.stdout.write(
      `ready store=${config.device.storeId} device=${config.device.deviceId} db=${kiosk.dbFile} items=${items} ` +
        `open-order=${open ? `${open.id}:${open.state}` : 'none'} lane=${cond.inService ? 'in-service' : 'out-of-service'} ` +
        `simulated=${hw.simulated.join(',') || 'none'} listening=${listening.join(',')} hq=${hq.embedded ? 'embedded' : hq.brokerUrl}\n`,
    );
    const unfollow = followServiceStatus(hw, hq.client, notify);
    const signal = await stop;
    unfollow();
    log.info({ signal }, 'shutting down');
  } catch (e) {
    health?.serveDown(() => ['kiosk: stopping']);
    await closeStarted();
    throw e;
  }
  health?.serveDown(() => ['kiosk: stopping']);
  await closeStarted(); // the HQ link, the screen, the control endpoint, then the kiosk
}
