import * as fs from 'node:fs';

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
