import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Writes `data` to `file` so that a crash leaves either the old or the new content, never a mix: a temp file in
 * the same folder is written, fsynced, renamed over `file`, and the folder fsynced. `mode` applies from creation.
 */
export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o644): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fchmodSync(fd, mode);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncPath(dir);
}

/**
 * fsyncs a file or a folder by path (a folder: so a rename or create in it survives a power cut). Never throws: some
 * file systems cannot fsync a folder, and a rename is atomic without it.
 */
export function fsyncPath(p: string): void {
  try {
    const fd = fs.openSync(p, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* see above */
  }
}
