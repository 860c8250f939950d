#!/usr/bin/env node
import { Command } from 'commander';
import { packageVersion } from '../kernel/version';
import { reportAndExit } from './cli-exit';
import type { CommonOptions } from './cli-support';
import { chooseLogOutput } from './log-options';

const program = new Command();
program
  .name('kiosk')
  .description('Self-checkout kiosk runtime')
  .showHelpAfterError()
  .exitOverride((err) => {
    // commander's own usage errors (unknown option, missing argument) are exit 2; --help/--version are 0
    process.exit(err.exitCode === 0 ? 0 : 2);
  })
  .version(packageVersion(), '-V, --version', 'print the version')
  // global options before the subcommand (`kiosk --data D start`); each command also takes them after its name
  // (`kiosk start --data D`), the one given there winning. Positional, so a command's own `--version <v>` stays its own.
  .enablePositionalOptions()
  .option('--data <dir>', 'data directory (overrides config dataDir)')
  .option('--config <path>', 'JSON config file (else KIOSK_CONFIG)')
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (else KIOSK_LOG_LEVEL, default info)');

const common = (c: Command) =>
  c
    .option('--data <dir>', 'data directory (overrides config dataDir)')
    .option('--config <path>', 'JSON config file (else KIOSK_CONFIG)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (else KIOSK_LOG_LEVEL)');

/**
 * The command's options merged with the global ones, and the log settings checked before anything loads: a bad
 * `--log-level`, KIOSK_LOG_LEVEL or KIOSK_LOG_FORMAT is a usage error (exit 2), never a stack from pino.
 */
function withGlobals(args: unknown[]): unknown[] {
  const command = args[args.length - 1] as Command;
  // the program's options, then each subcommand's down to this one: the nearest wins (commander's optsWithGlobals
  // lets the program's win instead)
  const chain: Command[] = [];
  for (let c: Command | null = command; c; c = c.parent) chain.unshift(c);
  const opts = Object.assign({}, ...chain.map((c) => c.opts())) as CommonOptions;
  chooseLogOutput({ env: process.env, level: opts.logLevel, stderrIsTty: false, stderrIsJournal: false });
  if (opts.logLevel !== undefined) process.env.KIOSK_LOG_LEVEL = opts.logLevel;
  return [...args.slice(0, -2), opts, command];
}
/**
 * Each command's module is loaded only when that command runs, so `kiosk --help` or a usage error does not load
 * the drivers, SQLite and MQTT. A new command: its own file in device/commands/, registered here with `lazy`.
 */
const lazy =
  <M, K extends keyof M>(load: () => Promise<M>, name: K) =>
  (...args: unknown[]): Promise<void> =>
    Promise.resolve()
      .then(() => withGlobals(args))
      .then(async (merged) => {
        const m = await load();
        return (m[name] as (...a: unknown[]) => Promise<void>)(...merged);
      })
      .catch(reportAndExit);

common(program.command('start').description('run the kiosk until SIGINT/SIGTERM')).action(lazy(() => import('./commands/start'), 'start'));

common(program.command('demo').description('a scripted shopper session, end to end'))
  .option('--json', 'print the completed order as JSON')
  .option('--count <n>', 'run this many orders in a row', '1')
  .option('--trace', 'print one line per committed transition')
  .option('--pay <method>', "card (simulated ZVT terminal); alipay, wechat or unionpay (the shopper shows that wallet's payment code to the scanner; qr = alipay); or cash", 'card')
  .option('--training', 'training orders: marked in the journal, own number series, "TRAINING — NOT A RECEIPT", not in reports; simulated payment only (required on a provisioned data dir)')
  .action(lazy(() => import('./commands/demo'), 'demo'));

const orders = program.command('orders').description('inspect orders');
common(orders.command('list'))
  .option('--json')
  .option('--limit <n>', 'how many, newest first', '50')
  .action(lazy(() => import('./commands/orders'), 'ordersList'));
common(orders.command('show').argument('<id>'))
  .option('--json')
  .action(lazy(() => import('./commands/orders'), 'ordersShow'));
common(orders.command('refund').argument('<id>').description('refund (part of) a completed order through the methods it was paid with'))
  .option('--amount <minor>', 'refund this much (minor units)')
  .option('--lines <ids>', 'refund these lines (comma-separated line ids)')
  .option('--attendant <id>', 'who refunds (journaled)')
  .option('--json')
  .action(lazy(() => import('./commands/payments'), 'ordersRefund'));
common(orders.command('return').argument('<id>').description('an after-sales return under the returns policy (config returns): window, reason, approver; paid back the way it was paid'))
  .option('--reason <id>', 'a return reason id from config returns.reasons')
  .option('--attendant <id>', 'who approves (journaled; a supervisor id when returns.approval is "supervisor")')
  .option('--amount <minor>', 'return this much (minor units)')
  .option('--lines <ids>', 'return these lines (comma-separated line ids)')
  .option('--return-id <id>', 'idempotency id: the same id again answers the first result (default: a new id)')
  .option('--json')
  .action(lazy(() => import('./commands/returns'), 'ordersReturn'));

const terminalCmd = program.command('terminal').description('the card terminal');
common(terminalCmd.command('eod').description("run the terminal's end-of-day; its totals go into the Z report"))
  .option('--json')
  .action(lazy(() => import('./commands/payments'), 'terminalEod'));

const payments = program.command('payments').description('payments in doubt');
common(payments.command('recover').description('settle payments left in doubt from the terminal / gateway; --close also finishes the open order'))
  .option('--close', 'complete a paid open order, cancel an unpaid one')
  .option('--attendant <id>', 'attendant id journaled with --close', 'recovery')
  .option('--json')
  .action(lazy(() => import('./commands/payments'), 'paymentsRecover'));
common(payments.command('decide').argument('<orderId>').argument('<outcome>', 'approved | declined'))
  .description("the attendant's decision on a payment the terminal / gateway could not settle (journaled)")
  .option('--attendant <id>', 'who decides')
  .option('--json')
  .action(lazy(() => import('./commands/payments'), 'paymentsDecide'));

const refundsCmd = program.command('refunds').description('refunds in doubt (the terminal / channel never gave their outcome)');
common(refundsCmd.command('list-in-doubt').description('the refunds whose outcome the terminal / channel never gave, oldest first'))
  .option('--json')
  .action(lazy(() => import('./commands/refunds'), 'refundsListInDoubt'));
common(refundsCmd.command('decide').argument('<refundAttemptId>').description("the attendant's decision on a refund in doubt (journaled; the terminal is asked first)"))
  .option('--refunded', 'the shopper got the money back')
  .option('--not-refunded', 'the shopper did not get it: the return may be retried (sent once)')
  .option('--attendant <id>', 'who decides')
  .option('--json')
  .action(lazy(() => import('./commands/refunds'), 'refundsDecide'));

const journal = program.command('journal').description('the hash-chained journal');
common(journal.command('verify').description('recompute the chain: "ok N entries" or the first broken seq'))
  .option('--json')
  .action(lazy(() => import('./commands/journal'), 'journalVerify'));

const pricebook = program.command('pricebook').description('the price book');
common(pricebook.command('import').argument('<file>', '.csv, .json or .jsonl').description('replace the price book in one transaction'))
  .option('--json')
  .option('--version <v>', 'version label to record')
  .option('--progress', 'always show the progress bar')
  .action(lazy(() => import('./commands/pricebook'), 'pricebookImport'));

const barcode = program.command('barcode').description('barcode tools');
common(barcode.command('parse').argument('<code>').description('how the kiosk reads one scan'))
  .option('--json')
  .action(lazy(() => import('./commands/barcode'), 'barcodeParse'));

common(program.command('devices').description('USB, HID and serial devices found, and which driver would claim each'))
  .option('--json')
  .action(lazy(() => import('./commands/devices'), 'devices'));

const report = program.command('report').description('documents');
common(report.command('eod').description('end-of-day (Z) report PDF for one business day (UTC)'))
  .option('--date <YYYY-MM-DD>', 'the day, default today')
  .option('--out <file>', 'default <data>/reports/eod-<date>.pdf')
  .option('--locale <zh-CN|en>')
  .option('--json', 'also print the report model')
  .action(lazy(() => import('./commands/report'), 'reportEod'));
const receipt = program.command('receipt').description('receipts');
common(receipt.command('pdf').argument('<orderId>').description('the e-receipt PDF of a completed order'))
  .option('--out <file>', 'default <data>/receipts/<receiptNo>-<locale>.pdf')
  .option('--locale <zh-CN|en>')
  .action(lazy(() => import('./commands/report'), 'receiptPdf'));

common(program.command('doctor').description('health checks of every device, the database and the journal'))
  .option('--json')
  .option('--interactive', 'also run the checks that need a person (scan a test code, look at the light)')
  .action(lazy(() => import('./commands/doctor'), 'doctor'));

const sim = program.command('sim').description("drive the running kiosk's simulated devices (loopback control endpoint)");
common(sim.command('scan').argument('<code>').description('the simulated scanner reads CODE'))
  .option('--aim <id>', 'AIM symbology identifier to prefix, e.g. ]E0')
  .action(lazy(() => import('./commands/sim'), 'simScan'));
common(sim.command('scanner').argument('<action>', 'unplug | replug')).action(lazy(() => import('./commands/sim'), 'simScanner'));
common(sim.command('terminal').argument('<action>', 'approve | decline | timeout | unplug | replug'))
  .option('--code <n>', 'ZVT result code for decline')
  .action(lazy(() => import('./commands/sim'), 'simTerminal'));
common(sim.command('printer').argument('<action>', 'paper-out | paper-near-end | paper-ok | cover-open | cover-close | unplug | replug | last'))
  .option('--json')
  .action(lazy(() => import('./commands/sim'), 'simPrinter'));
common(sim.command('light').description('current colour and blink state')).option('--json').action(lazy(() => import('./commands/sim'), 'simLight'));
common(sim.command('display').description('the two lines on the pole display')).option('--json').action(lazy(() => import('./commands/sim'), 'simDisplay'));

common(program.command('provision').description('make this kiosk a fleet member: identity, broker credentials, trusted HQ keys'))
  .option('--store <id>').option('--device <id>').option('--broker <url>', 'mqtt://host:port, mqtts://, ws://, wss://')
  .option('--username <u>').option('--password-stdin', 'read the MQTT password from stdin').option('--password-file <file>', 'read the MQTT password from FILE')
  .option('--password <p>', 'refused: a password in argv is visible in ps and shell history').option('--cert <file>').option('--key <file>').option('--ca <file>')
  .option('--trust <file>', 'HQ public key (PEM), repeatable', (v: string, prev: string[] = []) => [...prev, v])
  .option('--force', 'replace an existing identity (with --csr: make a new key)').option('--require-broker', 'fail when the broker cannot be reached')
  .option('--csr', 'make this kiosk\'s TLS key here (0600, never leaves) and print a CSR for `hq ca sign`; then provision with --cert and --ca, no --key')
  .option('--csr-out <file>', 'with --csr: write the CSR to FILE instead of stdout')
  .action(lazy(() => import('./commands/provision'), 'provision'));
common(program.command('backup').description('online, verified copy of the database (also while the kiosk runs); keeps the N newest'))
  .option('--out <file>', 'default <data>/backups/kiosk-<time>.db').option('--keep <n>', 'backups kept in that folder', '7').option('--json')
  .action(lazy(() => import('./commands/backup'), 'backup'));
common(program.command('restore').argument('<file>', 'a backup').description('put a verified backup in place (kiosk stopped); an older one needs --force'))
  .option('--force', 'restore a backup older than this lane (numbering goes on after the marker)').option('--attendant <id>', 'the technician (journaled)', 'restore').option('--json')
  .action(lazy(() => import('./commands/restore'), 'restore'));
common(program.command('support-bundle').description('one tar.gz for the help desk: doctor, versions, redacted config, logs, journal, devices'))
  .option('--out <file>', 'default <data>/support/kiosk-support-<time>.tar.gz').option('--lines <n>', 'log lines', '500').option('--json')
  .action(lazy(() => import('./commands/support-bundle'), 'supportBundle'));
common(program.command('factory-reset').description('after a final backup, wipe identity, secrets, trust store and data (kiosk stopped; typed confirmation)'))
  .option('--yes-i-know <deviceId>', 'confirm without stdin (scripts)').option('--wipe-backups', 'also delete <data>/backups').option('--json')
  .action(lazy(() => import('./commands/factory-reset'), 'factoryReset'));
program.command('install').description('as root: kiosk user, /var/lib/kiosk, /etc/kiosk/config.json, systemd units, udev rules, enable the units')
  .option('--dry-run', 'print every step it would take, change nothing').option('--root <dir>', 'install the files under a staging root (image builders)')
  .option('--start', 'also start the units now (systemctl enable --now)')
  .option('--releases', 'also set the lane up for over-the-air releases: this package as <updates root>/releases/<version>, current, the systemd drop-in, updates.* in a new config')
  .option('--updates-root <dir>', 'the updates root on the lane (implies --releases; default /opt/kiosk)')
  .action(lazy(() => import('./commands/install'), 'install'));
const storage = program.command('storage').description('the database against its data marker (what the kiosk knows it had)');
common(storage.command('status').description('marker, database high-water marks, and whether they match (exit 1 when not)'))
  .option('--json')
  .action(lazy(() => import('./commands/storage'), 'storageStatus'));
common(storage.command('accept').description('accept the database as it is after it went backwards or vanished; numbering goes on after the marker'))
  .option('--attendant <id>', 'the technician (journaled)')
  .option('--reason <text>', 'why, e.g. "restored from backup of 2026-12-05" (journaled)')
  .option('--json')
  .action(lazy(() => import('./commands/storage'), 'storageAccept'));
const release = program.command('release').description('over-the-air releases at this kiosk');
common(release.command('rescue').description('roll back a release on probation that never reached its own start (kiosk-release-rescue.service runs it from the previous release)'))
  .option('--json')
  .action(lazy(() => import('./commands/release-rescue'), 'releaseRescue'));
const attendant = program.command('attendant').description('attendant mode on the screen');
attendant
  .command('hash-pin')
  .description('read a PIN (4-12 digits) from stdin, print the attendant.pins config entry with its scrypt hash')
  .requiredOption('--id <attendantId>', 'the attendant id journaled with every action')
  .action(lazy(() => import('./commands/attendant'), 'attendantHashPin'));
attendant
  .command('hash-badge')
  .description('read a badge code from stdin, print the attendant.badges config entry with its scrypt hash')
  .requiredOption('--id <attendantId>', 'the attendant id the badge opens attendant mode as')
  .option('--salt <base64>', 'one salt shared by a store\'s badges (16-64 bytes): a scan then costs one scrypt, not one per badge')
  .action(lazy(() => import('./commands/attendant'), 'attendantHashBadge'));

program.parseAsync(process.argv).catch(reportAndExit);
