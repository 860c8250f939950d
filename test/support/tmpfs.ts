import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../support/engine-fixture';

/** A real, small tmpfs (we run as root) whose disk can be filled and freed: storage faults for real. */
export interface Tmpfs {
  dir: string;
  /** Fills every free byte with a filler file (writes then fail with ENOSPC / SQLITE_FULL). */
  fill(): void;
  /** Deletes the filler: the space is back. */
  free(): void;
  freeBytes(): number;
  unmount(): void;
}

export function mountTmpfs(sizeMiB: number, prefix = 'kiosk-tmpfs-'): Tmpfs {
  const dir = tempDir(prefix);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dir]);
  const filler = path.join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = fs.openSync(filler, 'a');
      const block = Buffer.alloc(64 * 1024);
      try {
        for (;;) fs.writeSync(fd, block);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
        // the last partial block: fill byte by byte chunks until nothing fits
        for (let n = 32 * 1024; n >= 1; n = Math.floor(n / 2)) {
          try {
            for (;;) fs.writeSync(fd, block.subarray(0, n));
          } catch {
            // this size no longer fits: try a smaller one
          }
        }
      } finally {
        fs.closeSync(fd);
      }
    },
    free() {
      fs.rmSync(filler, { force: true });
    },
    freeBytes() {
      const s = fs.statfsSync(dir);
      return s.bavail * s.bsize;
    },
    unmount() {
      execFileSync('umount', ['-l', dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Overwrites page `page` (1-based) of a SQLite file with garbage; returns the original bytes to put back. */
export function corruptPage(file: string, page: number, pageSize = 4096): Buffer {
  const fd = fs.openSync(file, 'r+');
  try {
    const original = Buffer.alloc(pageSize);
    fs.readSync(fd, original, 0, pageSize, (page - 1) * pageSize);
    const garbage = Buffer.alloc(pageSize);
    for (let i = 0; i < pageSize; i++) garbage[i] = (i * 37 + 11) & 0xff;
    fs.writeSync(fd, garbage, 0, pageSize, (page - 1) * pageSize);
    fs.fsyncSync(fd);
    return original;
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `bytes` back as page `page` of a SQLite file. */
export function restorePage(file: string, page: number, bytes: Buffer): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, bytes, 0, bytes.length, (page - 1) * bytes.length);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A real ext4 file system on a loop device (an image in a temp dir), mounted `errors=remount-ro`: `failReadOnly()`
 * raises a file-system error through ext4's own `trigger_fs_error`, and the kernel turns the mounted file system
 * read-only under the running process — as it does to an SD card that fails. It stays read-only until unmounted.
 */
export interface Ext4Mount {
  dir: string;
  failReadOnly(): void;
  unmount(): void;
}

export function mountExt4(sizeMiB: number, prefix = 'kiosk-ext4-'): Ext4Mount {
  const base = tempDir(prefix);
  const image = path.join(base, 'disk.img');
  const dir = path.join(base, 'mnt');
  fs.mkdirSync(dir);
  fs.writeFileSync(image, '');
  fs.truncateSync(image, sizeMiB * 1024 * 1024);
  execFileSync('mkfs.ext4', ['-q', '-F', '-O', '^has_journal', image]);
  execFileSync('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
  const device = execFileSync('findmnt', ['-n', '-o', 'SOURCE', dir], { encoding: 'utf8' }).trim();
  return {
    dir,
    failReadOnly() {
      fs.writeFileSync(`/sys/fs/ext4/${path.basename(device)}/trigger_fs_error`, 'kiosk storage test');
    },
    unmount() {
      execFileSync('umount', [dir]);
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}
