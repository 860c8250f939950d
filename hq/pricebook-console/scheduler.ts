import type { TimerHandle } from '../../kernel/clock';
import type { ConsoleContext, ConsoleService } from '../console/types';
import { publishBook } from './publish';
import { ScheduleRegistry } from './schedules';
import { storeBookFacts } from './store-facts';
import { checkUploadedCsv } from './validate-upload';

/** How often `hq serve` looks for due schedules (ctx.clock). */
export const SCHEDULE_POLL_MS = 30_000;

export interface SchedulePass {
  published: string[];
  failed: string[];
}

/**
 * Publishes every pending price-book schedule whose start time has come (including those that fell due while HQ was
 * down: the first pass runs at start), oldest first, through the console's own publish path (./publish.ts: signed,
 * recorded, audited `pricebook.publish` as the user who scheduled it). The book is checked again with the store's
 * tax classes of now; a book refused (invalid now, or not newer than the store's last) is marked failed with the
 * reason; without a key or broker it stays pending for the next pass.
 */
export async function publishDueSchedules(ctx: ConsoleContext): Promise<SchedulePass> {
  const out: SchedulePass = { published: [], failed: [] };
  const registry = new ScheduleRegistry(ctx.store.db.read);
  for (const s of await registry.due(ctx.clock.now())) {
    const fail = async (detail: string) => {
      if (await ctx.store.db.transaction((tx) => ScheduleRegistry.finish(tx, s.id, 'failed', ctx.clock.now(), null, detail))) out.failed.push(s.version);
    };
    const { taxClasses } = await storeBookFacts(ctx.store.db.read, s.store_id);
    const checked = await checkUploadedCsv(s.csv, taxClasses);
    if (!checked.ok) {
      await fail(checked.problems.map((p) => `${p.line !== null ? `line ${p.line}: ` : ''}${p.field ? `${p.field}: ` : ''}${p.reason}`).join('; '));
      continue;
    }
    const r = await publishBook(ctx, { store: s.store_id, version: s.version, csv: s.csv, items: checked.items, user: s.created_by });
    if (r.ok) {
      await ctx.store.db.transaction((tx) => ScheduleRegistry.finish(tx, s.id, 'published', ctx.clock.now(), null));
      out.published.push(s.version);
    } else if (r.refusal === 'not_newer') await fail(r.problem);
    // 'unavailable': no key or broker now, the next pass tries again
  }
  if (out.published.length || out.failed.length) ctx.live.publish('config');
  return out;
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
