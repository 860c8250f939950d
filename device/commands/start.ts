import { runDoctor } from '../doctor';
import { bootKiosk } from '../kiosk';
import { configFrom, type CommonOptions } from '../cli-support';
import { startControlServer } from '../control-server';
import { createLogger } from '../logger';
import { startHqLink } from '../hq-link';
import { startScreen } from '../screen';

/**
 * `kiosk start`: boots the runtime and the lane's devices (simulated unless config binds real ones), resumes the
 * open order (settling a payment in doubt first), prints one `ready …` line, and runs until SIGINT/SIGTERM; then
 * finishes queued transactions, closes the devices, checkpoints the WAL and exits 0.
 */
export async function start(opts: CommonOptions): Promise<void> {
  const config = configFrom(opts);
  const log = createLogger();
  const kiosk = await bootKiosk(config, { devices: true, log, onBackgroundError: (e) => log.error({ err: e }, 'background task failed') });
  const hw = kiosk.hardware!;
  const control = await startControlServer(config.dataDir, config.devices.simControlPort, {
    status: () => ({
      condition: hw.supervisor.condition(),
      devices: Object.fromEntries(Object.entries(hw.devices).map(([cls, d]) => [cls, d ? { info: d.info, status: d.status() } : null])),
    }),
    doctor: (interactive) => runDoctor(hw.devices, kiosk.db, { required: config.devices.required, interactive, gateway: hw.gateway?.provider }),
    sim: hw.sim,
  });
  const hq = await startHqLink(kiosk, { log });
  const screen = await startScreen(kiosk, { onError: (e) => log.error({ err: e }, 'screen task failed') });
  const open = await kiosk.engine.openOrder();
  const items = await kiosk.catalog.count();
  // signal listeners alone do not keep Node running: the kiosk must stay up until told to stop
  const keepAlive = setInterval(() => undefined, 60_000);
  const stop = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const cond = hw.supervisor.condition();
  const listening = [`control=127.0.0.1:${control.port}`, ...(hq.embedded ? [`mqtt=127.0.0.1:${hq.embedded.port}`] : []), `screen=127.0.0.1:${screen.port}`];
  process.stdout.write(
    `ready store=${config.device.storeId} device=${config.device.deviceId} db=${kiosk.dbFile} items=${items} ` +
      `open-order=${open ? `${open.id}:${open.state}` : 'none'} lane=${cond.inService ? 'in-service' : 'out-of-service'} ` +
      `simulated=${hw.simulated.join(',') || 'none'} listening=${listening.join(',')} hq=${hq.embedded ? 'embedded' : hq.brokerUrl}\n`,
  );
  const signal = await stop;
  clearInterval(keepAlive);
  log.info({ signal }, 'shutting down');
  await screen.close();
  await control.close();
  await hq.close();
  await kiosk.close();
  process.stdout.write('stopped\n');
}
