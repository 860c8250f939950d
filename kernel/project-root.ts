import * as fs from 'node:fs';
import * as path from 'node:path';

let cached: string | null = null;

/** The project root (the folder holding package.json), from source under ts-jest or from dist/. */
export function projectRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && !dir.endsWith(`${path.sep}dist`)) {
      cached = dir;
      return dir;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('project root not found');
    dir = up;
  }
}
