import { lintAs } from './support/eslint';

/**
 * The folder arrows (lint/import-arrows.mjs) as `npm run lint` applies them: each case is linted by the project's own
 * eslint.config.mjs under a file name in the folder it stands for (the file need not exist).
 */
/** The import-arrows messages for each `[file, code]`. */
const lint = (cases: Array<[string, string]>): string[][] =>
  lintAs(cases).map((r) => r.messages.filter((_, i) => r.rules[i] === 'kiosk/import-arrows'));

const imp = (spec: string) => `import { x } from '${spec}';\nexport const y = x;\n`;

describe('npm run lint enforces the import arrows', () => {
  const refused: Array<[string, string, string]> = [
    // [file, code, what the message names]
    ['hq/commands/new-tool.ts', imp('../../runtime/orders/engine'), 'runtime/'],
    ['hq/ingest/new-store.ts', imp('../../device/kiosk'), 'device/'],
    ['kernel/new-helper.ts', imp('../protocol/topics'), 'protocol/'],
    ['protocol/new-message.ts', imp('../runtime/orders/order'), 'runtime/'],
    ['config/new-field.ts', imp('../runtime/lane/lane'), 'runtime/'],
    ['drivers/printer/new-part.ts', imp('../scanner/serial-framer'), 'drivers/scanner/'],
    ['drivers/contract/new-class.ts', imp('../printer/status'), 'drivers/printer/'],
    ['simulators/printer/new-part.ts', imp('../../drivers/printer/status'), 'drivers/printer/'],
    ['simulators/gateway/new-part.ts', imp('../../runtime/payments/gateway/canonical'), 'runtime/'],
    ['runtime/lane/new-part.ts', imp('../../simulators/scanner/serial-scanner-sim'), 'simulators/'],
    ['runtime/lane/new-part.ts', imp('../../drivers/scanner/serial-scanner'), 'drivers/scanner/'],
    ['runtime/orders/new-part.ts', imp('../../test/support/wait'), 'test/'],
    ['runtime/orders/new-part.ts', imp('../../hq/ingest/store'), 'hq/'],
    ['screen-ui/new-part.ts', imp('../kernel/money.js'), 'kernel/'],
    // other forms of import are checked too
    ['hq/new-a.ts', `export { x } from '../runtime/orders/engine';\n`, 'runtime/'],
    ['hq/new-b.ts', `export const m = () => import('../runtime/orders/engine');\n`, 'runtime/'],
    ['hq/new-c.ts', `// eslint-disable-next-line @typescript-eslint/no-require-imports -- the case under test is require() itself\nexport const m = require('../runtime/orders/engine');\n`, 'runtime/'],
    // a colocated test may wire anything, except HQ → the kiosk's brain
    ['hq/ingest/new.test.ts', imp('../../runtime/hq-sync/presence'), 'runtime/'],
  ];
  const allowed: Array<[string, string]> = [
    ['hq/commands/new-tool.ts', imp('../../protocol/topics')],
    ['hq/commands/new-tool.ts', imp('../../kernel/clock')],
    ['protocol/new-message.ts', imp('../kernel/json/bounded-json')],
    ['config/new-field.ts', imp('../kernel/pattern-safety')],
    ['drivers/printer/new-part.ts', imp('../contract/printer')],
    ['drivers/printer/new-part.ts', imp('../common/connected-device')],
    ['drivers/printer/new-part.ts', imp('./status')],
    ['simulators/printer/new-part.ts', imp('../pty-pair')],
    ['runtime/lane/new-part.ts', imp('../../drivers/contract/scanner')],
    ['runtime/lane/new-part.ts', imp('../../config/schema')],
    ['runtime/lane/new-part.ts', imp('../../protocol/screen')],
    ['screen-ui/new-part.ts', imp('../protocol/screen.js')],
    ['device/new-part.ts', imp('../simulators/scanner/serial-scanner-sim')],
    ['runtime/lane/new-part.test.ts', imp('../../simulators/scanner/serial-scanner-sim')],
    ['runtime/lane/new-part.test.ts', imp('../../test/support/wait')],
  ];

  it('refuses every import against an arrow, naming the folder, and passes the ones along an arrow', () => {
    const results = lint([...refused, ...allowed].map(([file, code]): [string, string] => [file, code]));
    refused.forEach(([file, , what], i) => {
      expect({ file, messages: results[i] }).toEqual({ file, messages: [expect.stringContaining(`not ${what}`)] });
    });
    allowed.forEach(([file, code], j) => {
      expect({ file, code, messages: results[refused.length + j] }).toEqual({ file, code, messages: [] });
    });
  });
});
