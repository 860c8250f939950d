import { bootKiosk } from '../kiosk';
import { configFrom, type CommonOptions } from '../cli-support';
import { createLogger } from '../logger';

/**
 * `kiosk start`: boots the runtime, resumes the open order (settling a payment in doubt first), prints one
 * `ready …` line, and runs until SIGINT/SIGTERM; then finishes queued transactions, checkpoints the WAL and exits 0.
 */
export async function start(opts: CommonOptions): Promise<void> {
  const config = configFrom(opts);
  const log = createLogger();
  const kiosk = await bootKiosk(config, { onBackgroundError: (e) => log.error({ err: e }, 'background task failed') });
  const open = await kiosk.engine.openOrder();
  const items = await kiosk.catalog.count();
  // signal listeners alone do not keep Node running: the kiosk must stay up until told to stop
  const keepAlive = setInterval(() => undefined, 60_000);
  const stop = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const listening: string[] = []; // the shopper screen and the embedded broker add themselves here
  process.stdout.write(
    `ready store=${config.device.storeId} device=${config.device.deviceId} db=${kiosk.dbFile} items=${items} ` +
      `open-order=${open ? `${open.id}:${open.state}` : 'none'} listening=${listening.length ? listening.join(',') : 'none'}\n`,
  );
  const signal = await stop;
  clearInterval(keepAlive);
  log.info({ signal }, 'shutting down');
  await kiosk.close();
  process.stdout.write('stopped\n');
}
