import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from './project-root';

/**
 * This software's version: `version` of the project's package.json, read at run time, so a build never carries a
 * stale copy. Reads one small file; nothing else is loaded. `unknown` when it cannot be read.
 */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
