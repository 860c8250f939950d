import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../../kernel/project-root';

/**
 * The console's static files: its stylesheet and script (hq/console/public, from the project root: dist/ holds no
 * copy) and ECharts from node_modules. Read once, kept in memory; a missing file answers 404.
 */
export interface StaticFile {
  type: string;
  body: Buffer;
}

const FILES: Record<string, { type: string; locate(): string }> = {
  'console.css': { type: 'text/css; charset=utf-8', locate: () => path.join(projectRoot(), 'hq', 'console', 'public', 'console.css') },
  'console.js': { type: 'text/javascript; charset=utf-8', locate: () => path.join(projectRoot(), 'hq', 'console', 'public', 'console.js') },
  'echarts.min.js': { type: 'text/javascript; charset=utf-8', locate: () => require.resolve('echarts/dist/echarts.min.js') },
};

const cache = new Map<string, StaticFile>();

export function staticFile(name: string): StaticFile | undefined {
  const hit = cache.get(name);
  if (hit) return hit;
  const f = Object.prototype.hasOwnProperty.call(FILES, name) ? FILES[name] : undefined;
  if (!f) return undefined;
  try {
    const file = { type: f.type, body: fs.readFileSync(f.locate()) };
    cache.set(name, file);
    return file;
  } catch {
    return undefined;
  }
}
