import type { Command } from 'commander';
import { IngestStore, type QuarantinedChain, type QuarantineRow } from '../ingest/store';
import { redactUrl } from './ingest';

export interface QuarantineOptions {
  db: string;
  /** `S/D`: list that device's quarantined entries one by one instead of the per-device summary. */
  device?: string;
  json?: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** A fixed-width table of quarantined chains, one line per device. */
export function renderQuarantine(chains: QuarantinedChain[]): string {
  if (chains.length === 0) return 'no quarantined entries\n';
  const head = ['store', 'device', 'entries', 'seqs', 'reason', 'first seen', 'last seen'];
  const body = chains.map((c) => [c.storeId, c.deviceId, String(c.entries), `${c.fromSeq}..${c.toSeq}`, c.reason, iso(c.firstSeen), iso(c.lastSeen)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}

/**
 * `hq quarantine --db FILE|postgres://… [--device S/D] [--json]`: the kiosk journal entries HQ refused (a chain
 * conflicting with what HQ holds: a reused identity, a kiosk restored from a backup, a tampered entry). They are
 * kept, never acked; the kiosk keeps them in its outbox too. Returns what it printed.
 */
export async function listQuarantine(opts: QuarantineOptions, io: { out: (t: string) => void }): Promise<QuarantinedChain[] | QuarantineRow[]> {
  const store = await IngestStore.open(opts.db);
  try {
    if (opts.device !== undefined) {
      const [storeId, deviceId, ...rest] = opts.device.split('/');
      if (!storeId || !deviceId || rest.length > 0) throw new Error(`--device wants STORE/DEVICE, got "${opts.device}"`);
      const rows = await store.quarantine(storeId, deviceId);
      io.out(
        opts.json
          ? `${JSON.stringify(rows)}\n`
          : rows.length === 0
            ? `no quarantined entries for ${opts.device} in ${redactUrl(opts.db)}\n`
            : rows.map((r) => `${r.seq}\t${r.type}\t${r.order_id ?? '-'}\t${r.hash.slice(0, 12)}\t${r.reason}\t(${r.copies}x, last ${iso(r.last_seen)})`).join('\n') + '\n',
      );
      return rows;
    }
    const chains = await store.quarantinedChains();
    io.out(opts.json ? `${JSON.stringify(chains)}\n` : renderQuarantine(chains));
    return chains;
  } finally {
    await store.close();
  }
}

export function register(program: Command): void {
  program
    .command('quarantine')
    .description('list kiosk journal entries HQ refused and keeps apart (conflicting chains: reused identity, restored backup)')
    .requiredOption('--db <path|url>', 'ingest SQLite file, or a postgres:// URL')
    .option('--device <S/D>', "one device's entries, one per line")
    .option('--json', 'print as JSON')
    .action(async (opts: QuarantineOptions) => {
      await listQuarantine(opts, { out: (t) => process.stdout.write(t) });
    });
}
