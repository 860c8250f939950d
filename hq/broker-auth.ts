import * as fs from 'node:fs';
import { Option, type Command } from 'commander';
import { passwordText, readStdinBounded } from '../kernel/secret-input';

/**
 * Broker credentials for every `hq` command that talks to MQTT (`cmd`, `pricebook push`, `config push`, `ingest`,
 * `watch`, `serve` …), one way for all of them:
 *
 *   --broker <url>          mqtt://host:port (a `user:password@` inside the URL still works, but is never printed)
 *   --username <u>          the broker username (HQ's own user, e.g. `hq`)
 *   --password-file <f>     the password, from a file (one trailing line break removed)
 *   --password-stdin        the password, from stdin
 *
 * `--password <p>` is refused (exit 2) before anything runs: a password in argv is visible in `ps` and the shell
 * history — the same rule as `kiosk provision`.
 *
 * Use: `addBrokerOptions(program.command('x'))…action(async (opts) => { const b = await brokerConnectOptions(opts);
 * mqtt.connect(b.url, { ...b.options, clientId … }) })`, and print `b.label` (or `redactUrl(url)`), never the URL.
 */
export interface BrokerCliOptions {
  broker?: string;
  username?: string;
  passwordFile?: string;
  passwordStdin?: boolean;
  /** Present only when someone typed `--password`: refused. */
  password?: string;
}

/** What mqtt.connect takes: the URL plus the credentials (none when neither was given). */
export interface BrokerConnection {
  url: string;
  options: { username?: string; password?: string };
  /** The URL for output: any password inside it replaced by `***`. */
  label: string;
}

/** A usage error of the broker options: the CLI exits 2 with this message. */
export class BrokerOptionsError extends Error {
  readonly exitCode = 2;
}

/** A URL (or any text holding one) without its password, for output: `mqtt://hq:***@host:1883`. */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]+):[^@/]*@/i, '$1:***@');
}

export const PASSWORD_IN_ARGV =
  '--password would put the MQTT password in the command line (visible in `ps` and shell history); give it in a file with --password-file FILE, or on stdin with --password-stdin';

/** The rules that need no I/O; a message for each broken one, or null. */
export function brokerOptionsProblem(opts: BrokerCliOptions): string | null {
  if (opts.password !== undefined) return PASSWORD_IN_ARGV;
  if (opts.passwordStdin && opts.passwordFile !== undefined) return 'use either --password-stdin or --password-file, not both';
  const hasPassword = opts.passwordStdin === true || opts.passwordFile !== undefined;
  if (hasPassword && opts.username === undefined) return 'a password (--password-file or --password-stdin) needs --username';
  if (opts.username !== undefined && (opts.username.length === 0 || opts.username.length > 256)) return '--username must be 1 to 256 characters';
  if (opts.broker !== undefined && !/^(mqtts?|wss?|tcp|tls|ssl):\/\/[^/\s]+/i.test(opts.broker)) {
    return `--broker wants mqtt://host:port (or mqtts://, ws://, wss://), got "${redactUrl(opts.broker)}"`;
  }
  return null;
}

/**
 * Adds `--broker`, `--username`, `--password-file`, `--password-stdin` (and a hidden `--password` that is refused) to
 * `cmd`, plus a pre-action check that exits 2 with a clear message. `required: false` for commands that can also
 * write files instead of publishing (`config push --out`).
 */
export function addBrokerOptions(cmd: Command, opts: { required?: boolean } = {}): Command {
  const brokerHelp = 'MQTT broker URL, e.g. mqtt://broker:1884';
  if (opts.required === false) cmd.option('--broker <url>', brokerHelp);
  else cmd.requiredOption('--broker <url>', brokerHelp);
  cmd
    .option('--username <user>', 'MQTT username')
    .option('--password-file <file>', 'read the MQTT password from FILE')
    .option('--password-stdin', 'read the MQTT password from stdin')
    // kept as an option so that using it gets the explanation below instead of "unknown option"
    .addOption(new Option('--password <password>', 'refused: use --password-file or --password-stdin').hideHelp())
    .hook('preAction', (_self, action) => {
      const problem = brokerOptionsProblem(action.opts<BrokerCliOptions>());
      if (problem) action.error(`error: ${problem}`, { exitCode: 2, code: 'hq.brokerOptions' });
    });
  return cmd;
}



/**
 * The URL and credentials for mqtt.connect. Throws BrokerOptionsError (exit 2) on a broken rule, or a plain Error
 * when the password file cannot be read (its path named, never its content). `readStdin` is the process's stdin in
 * the CLI (tests inject theirs).
 */
export async function brokerConnectOptions(opts: BrokerCliOptions, io: { readStdin?: () => Promise<Buffer> } = {}): Promise<BrokerConnection> {
  if (!opts.broker) throw new BrokerOptionsError('--broker <url> is required');
  const problem = brokerOptionsProblem(opts);
  if (problem) throw new BrokerOptionsError(problem);
  let password: string | undefined;
  if (opts.passwordStdin) {
    password = passwordText(await (io.readStdin ?? readStdinBounded)());
  } else if (opts.passwordFile !== undefined) {
    let raw: Buffer;
    try {
      raw = fs.readFileSync(opts.passwordFile);
    } catch (e) {
      throw new Error(`cannot read the password file ${opts.passwordFile} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    password = passwordText(raw);
  }
  if (password !== undefined && (password.length === 0 || password.length > 1024)) {
    throw new BrokerOptionsError(`the MQTT password from ${opts.passwordStdin ? 'stdin' : opts.passwordFile} is ${password.length === 0 ? 'empty' : 'longer than 1024 characters'}`);
  }
  const options: BrokerConnection['options'] = {};
  if (opts.username !== undefined) options.username = opts.username;
  if (password !== undefined) options.password = password;
  return { url: opts.broker, options, label: redactUrl(opts.broker) };
}
