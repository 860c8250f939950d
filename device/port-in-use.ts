import { CliExit } from './cli-exit';

/**
 * A loopback listener that could not bind its port (`EADDRINUSE`, or `EACCES` for a privileged port) becomes one
 * line for the technician naming the port and the setting that moves it — exit 1, no stack, instead of an
 * unhandled 'error' event. Anything else is passed on unchanged.
 */
export function portProblem(e: unknown, what: string, port: number, setting: string): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (code !== 'EADDRINUSE' && code !== 'EACCES') return e;
  const env = `KIOSK_${setting.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase().split('.').join('__')}`;
  const why = code === 'EADDRINUSE' ? 'is in use (EADDRINUSE: another kiosk or program listens there)' : 'may not be opened by this user (EACCES)';
  return new CliExit(1, `kiosk: ${what} port 127.0.0.1:${port} ${why} — set ${setting} in the config or ${env} (0 = any free port)`);
}
