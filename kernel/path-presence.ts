import * as fs from 'node:fs';
import * as path from 'node:path';

/** The path is there now (a device node, a file, a link that resolves). Never rejects. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await fs.promises.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The device number behind a path (`rdev`, following links such as /dev/serial/by-id/…), or null when it is gone. A
 * replugged adapter comes back under another number while the old one is still held open, so a changed number means
 * the port held open is dead even if the path exists again.
 */
export async function deviceNumber(path: string): Promise<number | null> {
  try {
    return (await fs.promises.stat(path)).rdev;
  } catch {
    return null;
  }
}

/** The directories of PATH holding an executable `cmd`, first one wins; null when there is none. No child process. */
export function findOnPath(cmd: string, pathVar = process.env.PATH ?? ''): string | null {
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, cmd);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return null;
}
