import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from './project-root';

/**
 * The JavaScript file to start as a worker thread for the module `sourceFile` (pass the module's own `__filename`).
 *
 * Compiled (dist/, dist-bench/): that file itself. Under ts-jest the module is a .ts source file, which a worker
 * cannot load; the test run's global setup has built dist/ (test/global-setup.js), so the worker runs the compiled
 * copy of the same source: `<root>/x/y.ts` → `<root>/dist/x/y.js`.
 */
export function workerScript(sourceFile: string): string {
  if (sourceFile.endsWith('.js')) return sourceFile;
  const root = projectRoot();
  const rel = path.relative(root, sourceFile);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`workerScript: ${sourceFile} is outside the project`);
  const compiled = path.join(root, 'dist', rel.replace(/\.ts$/, '.js'));
  if (!fs.existsSync(compiled)) throw new Error(`workerScript: ${compiled} is missing (run \`npm run build\`)`);
  return compiled;
}
