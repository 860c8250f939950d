/**
 * The import arrows between the project's folders, enforced by ESLint (rule `kiosk/import-arrows`).
 *
 * Each relative import (`import … from`, `export … from`, `import()`, `require()`) is resolved to the folder it lands in
 * and checked against ARROWS below: a file may import from its own area and from the areas listed for it, nothing else.
 * Package imports (`mqtt`, `node:fs`) are not this rule's business.
 *
 * Areas are top-level folders, except that `drivers/` is split per folder (`drivers/contract`, `drivers/common`,
 * `drivers/printer`, …): a driver sees the shared contract and lifecycle, never another device class.
 * Colocated unit tests (`*.test.ts`) are wiring like `device/` and may import anything, with one exception kept for
 * them too: HQ never imports the kiosk's brain (`hq/` → `runtime/`, `device/`).
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const ANY = '*';
/** area → the other areas it may import. */
export const ARROWS = {
  kernel: [],
  protocol: ['kernel'],
  config: ['kernel'],
  'drivers/contract': ['kernel', 'protocol'],
  'drivers/common': ['kernel', 'protocol', 'drivers/contract'],
  'drivers/*': ['kernel', 'protocol', 'drivers/contract', 'drivers/common'],
  simulators: ['kernel'],
  runtime: ['kernel', 'protocol', 'config', 'drivers/contract'],
  'screen-ui': ['protocol/screen'],
  hq: ['kernel', 'protocol', 'config'],
  device: [ANY],
  test: [ANY],
  bench: [ANY],
  scripts: [ANY],
  lint: [ANY],
};
/** What even a colocated test may not import. */
const TEST_FORBIDDEN = { hq: ['runtime', 'device'] };

/** The area of a path relative to ROOT, or null outside the checked folders. */
export function areaOf(rel) {
  const parts = rel.split(/[\\/]/);
  if (parts[0] === 'drivers' && parts.length > 2) return `drivers/${parts[1]}`;
  return parts[0] in ARROWS ? parts[0] : null;
}

function ruleFor(area) {
  if (area.startsWith('drivers/') && !(area in ARROWS)) return ARROWS['drivers/*'];
  return ARROWS[area];
}

/** Why `fromRel` may not import `toRel` (paths relative to ROOT), or null when it may. */
export function arrowProblem(fromRel, toRel) {
  const from = areaOf(fromRel);
  if (!from) return null;
  const to = areaOf(toRel) ?? toRel.split(/[\\/]/)[0];
  if (to === from) return null;
  const isTest = /\.test\.ts$/.test(fromRel);
  const top = from.split('/')[0];
  if (isTest) {
    const forbidden = TEST_FORBIDDEN[top] ?? [];
    return forbidden.includes(to.split("/")[0]) ? `${top}/ never imports the kiosk: not ${to.split("/")[0]}/ (not even in a test)` : null;
  }
  const allowed = ruleFor(from);
  if (allowed.includes(ANY)) return null;
  const target = toRel.replace(/\\/g, '/').replace(/\.(js|ts)$/, '');
  if (allowed.some((a) => a === to || target === a || target.startsWith(`${a}/`))) return null;
  const list = allowed.length ? allowed.map((a) => `${a}/`).join(', ') : 'nothing outside itself';
  return `${from}/ may import ${list} — not ${to}/ (see lint/import-arrows.mjs)`;
}

const rule = {
  meta: { type: 'problem', docs: { description: 'enforce the import arrows between folders' }, schema: [] },
  create(context) {
    const file = context.filename ?? context.getFilename();
    const fromRel = path.relative(ROOT, file);
    if (fromRel.startsWith('..')) return {};
    const check = (node, source) => {
      if (!source || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const toRel = path.relative(ROOT, path.resolve(path.dirname(file), source.value));
      const problem = arrowProblem(fromRel, toRel);
      if (problem) context.report({ node: source, message: problem });
    };
    return {
      ImportDeclaration: (n) => check(n, n.source),
      ExportNamedDeclaration: (n) => check(n, n.source),
      ExportAllDeclaration: (n) => check(n, n.source),
      ImportExpression: (n) => check(n, n.source),
      CallExpression: (n) => {
        const callee = n.callee;
        const isRequire = callee.type === 'Identifier' && callee.name === 'require';
        const isJestMock = callee.type === 'MemberExpression' && callee.object.name === 'jest';
        if ((isRequire || isJestMock) && n.arguments[0]?.type === 'Literal') check(n, n.arguments[0]);
      },
    };
  },
};

export const importArrowsPlugin = { rules: { 'import-arrows': rule } };
