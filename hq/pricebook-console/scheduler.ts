import type { TimerHandle } from '../../kernel/clock';
import type { PriceItem } from '../../protocol/pricebook/price-item';
import type { ConsoleContext, ConsoleService } from '../console/types';
import { BOOK_VERSION_RE, publishBook } from './publish';
import { PricebookRegistry } from './registry';
import { ScheduleRegistry, type ScheduleRow } from './schedules';
import { storeBookFacts } from './store-facts';
import { checkUploadedCsv } from './validate-upload';

/** How often `hq serve` looks for due schedules (ctx.clock). */
export const SCHEDULE_POLL_MS = 30_000;

export interface SchedulePass {
  published: string[];
  failed: string[];
  /** Ends that published the book before again: the NEW versions (`{scheduled}.end`). */
  restored: string[];
  /** Ends that did nothing (another book was published after the scheduled one) or failed: the scheduled versions. */
  endSkipped: string[];
  endFailed: string[];
}

/** The version the end of schedule `version` publishes the book before as: newer than it (compareVersions). */
export const endVersionOf = (version: string): string => `${version}.end`;

type CheckedBook = { ok: true; items: readonly PriceItem[] } | { ok: false; detail: string };

/** A stored book checked again with the store's tax classes of now (problems joined as one line when refused). */
async function recheck(ctx: ConsoleContext, store: string, csv: string): Promise<CheckedBook> {
  const { taxClasses } = await storeBookFacts(ctx.store.db.read, store);
  const checked = await checkUploadedCsv(csv, taxClasses);
  if (checked.ok) return { ok: true, items: checked.items };
  return { ok: false, detail: checked.problems.map((p) => `${p.line !== null ? `line ${p.line}: ` : ''}${p.field ? `${p.field}: ` : ''}${p.reason}`).join('; ') };
}

/**
 * Publishes every pending price-book schedule whose start time has come (including those that fell due while HQ was
 * down: the first pass runs at start), oldest first, through the console's own publish path (./publish.ts: signed,
 * recorded, audited `pricebook.publish` as the user who scheduled it). The book is checked again with the store's
 * tax classes of now; a book refused (invalid now, or not newer than the store's last) is marked failed with the
 * reason; without a key or broker it stays pending for the next pass.
 */
export async function publishDueSchedules(ctx: ConsoleContext): Promise<SchedulePass> {
  const out: SchedulePass = { published: [], failed: [], restored: [], endSkipped: [], endFailed: [] };
  const registry = new ScheduleRegistry(ctx.store.db.read);
  for (const s of await registry.due(ctx.clock.now())) {
    const fail = async (detail: string) => {
      if (await ctx.store.db.transaction((tx) => ScheduleRegistry.finish(tx, s.id, 'failed', ctx.clock.now(), null, detail))) out.failed.push(s.version);
    };
    const checked = await recheck(ctx, s.store_id, s.csv);
    if (!checked.ok) {
      await fail(checked.detail);
      continue;
    }
    const r = await publishBook(ctx, { store: s.store_id, version: s.version, csv: s.csv, items: checked.items, user: s.created_by });
    if (r.ok) {
      await ctx.store.db.transaction(async (tx) => {
        await ScheduleRegistry.finish(tx, s.id, 'published', ctx.clock.now(), null);
        await ScheduleRegistry.recordPrevious(tx, s.id, r.previous);
      });
      out.published.push(s.version);
    } else if (r.refusal === 'not_newer') await fail(r.problem);
    // 'unavailable': no key or broker now, the next pass tries again
  }
  // the ends, after the starts: an end that fell due together with its start (HQ was down) follows it in this pass
  for (const s of await registry.endsDue(ctx.clock.now())) await endSchedule(ctx, s, out);
  if (Object.values(out).some((v) => v.length)) ctx.live.publish('config');
  return out;
}

/**
 * The end of a published schedule: the store's book before it (previous_version) is published again, same items, as
 * the NEW version `{version}.end` through the same path (signed, recorded, audited `pricebook.publish` as the user who
 * scheduled it) — unless another book was published to the store after the scheduled one (skipped, nothing sent), or
 * there was no book before (skipped). Refused (invalid with today's tax classes, not newer) → failed with the reason.
 */
async function endSchedule(ctx: ConsoleContext, s: ScheduleRow, out: SchedulePass): Promise<void> {
  const finish = async (status: 'restored' | 'skipped' | 'failed', version: string | null, detail: string | null) => {
    if (!(await ctx.store.db.transaction((tx) => ScheduleRegistry.finishEnd(tx, s.id, status, ctx.clock.now(), version, detail)))) return;
    if (status === 'restored') out.restored.push(version ?? '');
    else (status === 'skipped' ? out.endSkipped : out.endFailed).push(s.version);
  };
  const books = new PricebookRegistry(ctx.store.db.read);
  const latest = await books.latest(s.store_id);
  if (latest && latest.version !== s.version) return finish('skipped', null, `${latest.version} was published after ${s.version}`);
  const previous = s.previous_version === null ? undefined : await books.get(s.store_id, s.previous_version);
  if (!previous) return finish('skipped', null, `no book was in force before ${s.version}`);
  const version = endVersionOf(s.version);
  if (!BOOK_VERSION_RE.test(version)) return finish('failed', null, `version ${version} is too long`);
  const checked = await recheck(ctx, s.store_id, previous.csv);
  if (!checked.ok) return finish('failed', null, `${previous.version}: ${checked.detail}`);
  const r = await publishBook(ctx, { store: s.store_id, version, csv: previous.csv, items: checked.items, user: s.created_by });
  if (r.ok) return finish('restored', version, previous.version);
  if (r.refusal === 'not_newer') return finish('failed', null, r.problem);
  // 'unavailable': the next pass tries again
}

/** The scheduler as a background service of `hq serve`: a pass at start (catching up), then every 30 s on ctx.clock. */
export const pricebookScheduler: ConsoleService = (ctx) => startPricebookScheduler(ctx);

/** The scheduler; `onPass` is told each pass's outcome once the next pass is timed (tests wait on it). */
export function startPricebookScheduler(ctx: ConsoleContext, opts: { onPass?: (r: SchedulePass | null) => void } = {}): { stop(): Promise<void> } {
  let stopped = false;
  let timer: TimerHandle | null = null;
  let running: Promise<unknown> = Promise.resolve();
  const pass = () => {
    let outcome: SchedulePass | null = null;
    running = publishDueSchedules(ctx)
      .then((r) => {
        outcome = r;
      })
      .catch(() => undefined) // a database or broker hiccup: the next pass tries again
      .finally(() => {
        if (!stopped) timer = ctx.clock.setTimeout(pass, SCHEDULE_POLL_MS);
        opts.onPass?.(outcome);
      });
  };
  pass();
  return {
    async stop() {
      stopped = true;
      if (timer) ctx.clock.clearTimeout(timer);
      await running;
    },
  };
}
