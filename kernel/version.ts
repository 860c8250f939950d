import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * This software's version: `version` of the package.json above this file, found at run time (dist/kernel/ and
 * kernel/ both sit two levels below or one level below the package root), so a build never carries a stale copy.
 * Reads one small file; nothing else is loaded. `unknown` when no package.json of ours is found.
 */
export function packageVersion(from: string = __dirname): string {
  let dir = from;
  for (let i = 0; i < 4; i++) {
    const file = path.join(dir, 'package.json');
    try {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'kiosk-runtime' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      /* not here: look one folder up */
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}
