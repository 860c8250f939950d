import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { SystemClock } from '../../kernel/clock';
import { isKioskError } from '../../kernel/errors';
import { SqlAuditLog } from '../audit/audit-log';
import { addUser, listUsers, setDisabled, setPassword, setRole, type UserRow } from '../console/users';
import type { Role } from '../console/types';
import { IngestStore } from '../ingest/store';
import { removesLastAdmin } from '../users/last-admin';
import { passwordText } from '../../kernel/secret-input';

/** The console's default store, as `hq serve` uses it. */
export const DEFAULT_DB = path.join('hq-data', 'hq.sqlite');
/** A password file or stdin longer than this is not a password. */
const MAX_PASSWORD_INPUT = 4096;

/** Bad usage: the message is printed as one line and the exit code is 2. */
export class UsageError extends Error {}

interface DbOpts {
  db: string;
}
interface PasswordOpts {
  passwordFile?: string;
  passwordStdin?: boolean;
  /** Refused: a password never goes on the command line (shell history, `ps`). */
  password?: string;
}

/** The acting user in the audit log: `cli:<os user>`. */
export function cliActor(): string {
  let name: string;
  try {
    name = os.userInfo().username;
  } catch {
    name = process.env.USER ?? process.env.LOGNAME ?? 'unknown';
  }
  return `cli:${name}`;
}


function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    process.stdin.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_PASSWORD_INPUT) {
        process.stdin.destroy();
        reject(new UsageError(`the password on stdin is longer than ${MAX_PASSWORD_INPUT} bytes`));
      } else chunks.push(c);
    });
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

/** The password from --password-file or --password-stdin (exactly one); never from the command line. */
export async function readPassword(o: PasswordOpts): Promise<string> {
  if (o.password !== undefined)
    throw new UsageError('a password is never taken on the command line (shell history, ps): use --password-file FILE or --password-stdin');
  if (o.passwordFile !== undefined && o.passwordStdin) throw new UsageError('give --password-file or --password-stdin, not both');
  if (o.passwordFile !== undefined) {
    let st: fs.Stats;
    try {
      st = fs.statSync(o.passwordFile);
    } catch {
      throw new UsageError(`cannot read the password file ${o.passwordFile}`);
    }
    if (!st.isFile() || st.size > MAX_PASSWORD_INPUT) throw new UsageError(`${o.passwordFile} is not a password file (a regular file of at most ${MAX_PASSWORD_INPUT} bytes)`);
    return oneLine(passwordText(fs.readFileSync(o.passwordFile, 'utf8')), o.passwordFile);
  }
  if (o.passwordStdin) return oneLine(passwordText(await readStdin()), 'stdin');
  throw new UsageError('a password is needed: --password-file FILE or --password-stdin');
}

function oneLine(password: string, from: string): string {
  if (/[\r\n]/.test(password)) throw new UsageError(`the password from ${from} is more than one line`);
  return password;
}

async function withStore<T>(db: string, fn: (store: IngestStore, audit: SqlAuditLog, now: () => number) => Promise<T>): Promise<T> {
  if (!/^postgres(ql)?:\/\//.test(db)) fs.mkdirSync(path.dirname(path.resolve(db)), { recursive: true });
  const store = await IngestStore.open(db);
  const clock = new SystemClock();
  try {
    return await fn(store, new SqlAuditLog(store.db, clock), () => clock.now());
  } finally {
    await store.close();
  }
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));

/** A fixed-width table of users. */
export function renderUsers(users: UserRow[], now: number): string {
  if (users.length === 0) return 'no users\n';
  const head = ['user', 'role', 'stores', 'status', 'locked until', 'last login'];
  const body = users.map((u) => [
    u.username,
    u.role,
    u.role === 'store_manager' ? u.stores.join(',') : '*',
    u.disabled ? 'disabled' : 'active',
    u.lockedUntil !== null && u.lockedUntil > now ? iso(u.lockedUntil) : '-',
    iso(u.lastLoginAt),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}

const collect = (v: string, acc: string[]): string[] => [...acc, ...v.split(',').filter((s) => s.length > 0)];

/** Runs a user subcommand: one-line errors on stderr, exit 2 for bad usage or input, 1 for other faults. */
function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      const usage = e instanceof UsageError || isKioskError(e, 'USER_INVALID');
      process.stderr.write(`hq user: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = usage ? 2 : 1;
    }
  };
}

const passwordOptions = (c: Command): Command =>
  c
    .option('--password-file <file>', 'read the password from this file (one line)')
    .option('--password-stdin', 'read the password from standard input')
    .addOption(new Option('--password <password>', 'refused: never put a password on the command line').hideHelp());

export function register(program: Command): void {
  const user = program.command('user').description('console users: add, passwd, disable, enable, role, list (every change audited as cli:<os user>)');
  const dbOption = (c: Command) => c.option('--db <path|url>', 'the console store: a SQLite file or a postgres:// URL', DEFAULT_DB);

  passwordOptions(
    dbOption(
      user
        .command('add <name>')
        .description('add a console user')
        .requiredOption('--role <role>', 'admin | store_manager | support | auditor')
        .option('--store <id>', 'a store of a store manager (repeat, or comma-separated)', collect, []),
    ),
  ).action(
    action(async (name: string, o: DbOpts & PasswordOpts & { role: string; store: string[] }) => {
      const password = await readPassword(o);
      await withStore(o.db, async (store, audit, now) => {
        await addUser(store.db, { username: name, password, role: o.role as Role, stores: o.store }, now());
        const stores = o.role === 'store_manager' ? o.store : [];
        await audit.record({ actor: cliActor(), action: 'user.add', target: name, detail: { role: o.role, stores } });
      });
      process.stdout.write(`added ${name} (${o.role}${o.role === 'store_manager' ? `: ${o.store.join(', ')}` : ''})\n`);
    }),
  );

  passwordOptions(dbOption(user.command('passwd <name>').description("set a user's password (ends their sessions, clears a lockout)"))).action(
    action(async (name: string, o: DbOpts & PasswordOpts) => {
      const password = await readPassword(o);
      await withStore(o.db, async (store, audit, now) => {
        await setPassword(store.db, name, password, now());
        await audit.record({ actor: cliActor(), action: 'user.passwd', target: name });
      });
      process.stdout.write(`password of ${name} set\n`);
    }),
  );

  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    dbOption(user.command(`${verb} <name>`).description(disabled ? 'disable a user (ends their sessions)' : 'enable a disabled user')).action(
      action(async (name: string, o: DbOpts) => {
        await withStore(o.db, async (store, audit, now) => {
          if (disabled && (await removesLastAdmin(store.db, name, { disable: true })))
            throw new UsageError(`${name} is the last active admin: add or enable another admin first`);
          await setDisabled(store.db, name, disabled, now());
          await audit.record({ actor: cliActor(), action: disabled ? 'user.disable' : 'user.enable', target: name });
        });
        process.stdout.write(`${name} ${disabled ? 'disabled' : 'enabled'}\n`);
      }),
    );
  }

  dbOption(
    user
      .command('role <name>')
      .description("change a user's role (and a store manager's stores)")
      .requiredOption('--role <role>', 'admin | store_manager | support | auditor')
      .option('--store <id>', 'a store of a store manager (repeat, or comma-separated)', collect, []),
  ).action(
    action(async (name: string, o: DbOpts & { role: string; store: string[] }) => {
      await withStore(o.db, async (store, audit, now) => {
        if (await removesLastAdmin(store.db, name, { role: o.role as Role })) throw new UsageError(`${name} is the last active admin: add or enable another admin first`);
        await setRole(store.db, name, o.role as Role, o.store, now());
        await audit.record({ actor: cliActor(), action: 'user.role', target: name, detail: { role: o.role, stores: o.role === 'store_manager' ? o.store : [] } });
      });
      process.stdout.write(`${name} is now ${o.role}\n`);
    }),
  );

  dbOption(user.command('list').description('list console users').option('--json', 'print as JSON')).action(
    action(async (o: DbOpts & { json?: boolean }) => {
      const users = await withStore(o.db, (store) => listUsers(store.db));
      process.stdout.write(o.json ? `${JSON.stringify(users)}\n` : renderUsers(users, new SystemClock().now()));
    }),
  );
}
