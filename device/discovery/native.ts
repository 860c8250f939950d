import { spawnSync } from 'node:child_process';

/** A native module that could not be loaded, and what a technician does about it. */
export interface MissingNative {
  module: string;
  error: string;
  fix: string;
}

const FIXES: [RegExp, string][] = [
  [/libusb-1\.0\.so/, 'apt-get install libusb-1.0-0   (or: node scripts/setup.js)'],
  [/libudev\.so/, 'apt-get install libudev1   (or: node scripts/setup.js)'],
  [/udevadm/, 'apt-get install udev   (serial port enumeration)'],
  [/Cannot find module/, 'npm ci   (the package is not installed)'],
  [/NODE_MODULE_VERSION|was compiled against/, 'npm rebuild   (built for another Node version)'],
];

export function fixFor(message: string): string {
  return FIXES.find(([re]) => re.test(message))?.[1] ?? 'see the error; run node scripts/setup.js';
}

/**
 * Loads a native hardware module only when a device class needs it: a missing system library for a class that
 * is not configured never stops the kiosk. Loading happens in a child process first, because a native module that
 * fails in some ways kills the loading process instead of throwing.
 */
export function loadNative<T>(module: string, probe: string): { ok: true; value: T } | { ok: false; missing: MissingNative } {
  const r = spawnSync(process.execPath, ['-e', probe], { cwd: __dirname, encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) {
    const error = (r.stderr || r.error?.message || `exit ${r.status}`).split('\n').find((l) => /Error|error:/.test(l)) ?? r.stderr.split('\n')[0];
    return { ok: false, missing: { module, error: error.trim(), fix: fixFor(r.stderr || String(r.error)) } };
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy by design: only loaded when a device needs it
    return { ok: true, value: require(module) as T };
  } catch (e) {
    const error = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return { ok: false, missing: { module, error, fix: fixFor(error) } };
  }
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
