import { SystemClock } from '../../kernel/clock';
import { dataVerdict, probeDatabase } from '../../runtime/db/boot-check';
import { readMarker } from '../../runtime/db/data-marker';
import { acceptDatabase } from '../../runtime/db/storage-accept';
import { formatLocalWithOffset } from '../../kernel/local-time';
import { CliExit, configFrom, printJson, type CommonOptions } from '../cli-support';
import { callControl } from '../control-server';
import { dbPath } from '../kiosk';

/**
 * `kiosk storage status`: the data marker, what the database holds, and whether they match (exit 1 when not).
 * Read-only: nothing is written.
 */
export async function storageStatus(opts: CommonOptions & { json?: boolean }): Promise<void> {
  const config = configFrom(opts);
  const file = dbPath(config.dataDir);
  const marker = readMarker(config.dataDir);
  const state = await probeDatabase(file, { hashOf: marker && !('error' in marker) ? marker.journalSeq : undefined });
  const verdict = marker && 'error' in marker ? `data marker unreadable (${marker.error})` : dataVerdict(marker, state, file);
  if (opts.json) printJson({ marker, database: state, ok: verdict === null, verdict });
  else {
    process.stdout.write(
      `database ${file}: ${state.exists ? `journal ${state.journalSeq}, receipt ${state.receiptNo}, id ${state.dbId ?? 'none'}` : 'missing'}\n` +
        `marker: ${marker === null ? 'none' : 'error' in marker ? marker.error : `journal ${marker.journalSeq}, receipt ${marker.receiptNo}, id ${marker.dbId}, written ${formatLocalWithOffset(marker.writtenAt, config.timezone)}`}\n` +
        `${verdict === null ? 'ok' : `NOT OK: ${verdict}`}\n`,
    );
  }
  if (verdict !== null) throw new CliExit(1, '');
}

/**
 * `kiosk storage accept --attendant <id> --reason <text>`: the technician accepts the database as it is now (restored
 * from a backup, or new when the file is gone) after it went backwards; journal and receipt numbers go on after the
 * marker's, never reused (runtime/db/storage-accept.ts). A kiosk running out of service boots by itself at its next
 * retry; a kiosk running normally on this data dir is refused (stop it first).
 */
export async function storageAccept(opts: CommonOptions & { attendant?: string; reason?: string; json?: boolean }): Promise<void> {
  if (!opts.attendant || !opts.reason) throw new CliExit(2, 'kiosk: storage accept needs --attendant <id> and --reason <text> (both are journaled)');
  const config = configFrom(opts);
  const running = await callControl(config.dataDir, 'GET', '/status').catch(() => null);
  if (running && running.status === 200 && !(running.body as { boot?: unknown }).boot) {
    throw new CliExit(1, 'kiosk: a kiosk is running on this data dir with its database open: stop it first');
  }
  const r = await acceptDatabase(config.dataDir, dbPath(config.dataDir), {
    clock: new SystemClock(),
    deviceId: config.device.deviceId, // the provisioned device when there is one (configFrom)
    attendantId: opts.attendant,
    reason: opts.reason,
  });
  if (opts.json) printJson(r);
  else if ('nothing' in r) process.stdout.write(`${r.nothing}\n`);
  else {
    process.stdout.write(
      `accepted${r.created ? ' a new empty database' : ''}: journal kept up to ${r.restored.seq}` +
        `${r.lost ? `, entries ${r.lost.from}-${r.lost.to} lost here (never reused; HQ may hold them), storage_accepted at ${r.acceptedSeq}` : ''}` +
        `; next receipt ${r.receiptNo + 1}\n`,
    );
  }
}
