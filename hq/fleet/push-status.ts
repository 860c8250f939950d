import type { Tx } from '../../kernel/sqlite/database';
import { scopeWhere } from '../console/scope-sql';
import type { StoreScope } from '../console/types';
import { kioskBookStates, type KioskBookState } from '../pricebook-console/reports';
import { readConfigReported } from './reported';

/**
 * Where each kiosk of a push batch (kind `config` or `pricebook`, rows of `batch_pushes`) stands, read from what the
 * kiosk itself last reported (fleet table): its `config/reported` device level for the version published to it, or
 * its `pricebook/reported` for the book's version (pricebook-console/reports.ts kioskBookStates). Nothing a kiosk
 * sent is trusted beyond that: the readers are bounded and lenient, the texts clipped (and escaped when rendered).
 */

export type PushStatus = 'not_sent' | 'waiting' | 'downloading' | 'pending' | 'applied' | 'rejected';

export interface PushItem {
  storeId: string;
  deviceId: string;
  /** The version published to this kiosk (null: it could not be published, see `result`). */
  version: string | null;
  status: PushStatus;
  /** Why it was not sent, the kiosk's refusal reason and detail, or its progress. */
  result: string | null;
  resultAt: number | null;
}

interface PushRow {
  store_id: string;
  device_id: string;
  version: string | null;
  error: string | null;
  config_reported: string | null;
  config_reported_at: number | string | null;
}

/** A config push to one kiosk: the device level's last offer, if it is this version (or a later one is in force). */
function configStatus(r: PushRow): Pick<PushItem, 'status' | 'result' | 'resultAt'> {
  const v = Number(r.version);
  const device = readConfigReported(r.config_reported)?.levels.find((l) => l.level === 'device');
  const at = r.config_reported_at === null ? null : Number(r.config_reported_at);
  if (device && device.version === v) {
    const status: PushStatus = device.status === 'applied' ? 'applied' : device.status === 'pending' ? 'pending' : device.status === 'rejected' ? 'rejected' : 'waiting';
    const result = [device.reason, device.detail].filter((x): x is string => x !== undefined).join(': ') || null;
    return { status, result, resultAt: status === 'waiting' ? null : at };
  }
  // a newer device version in force: this one was applied before it (versions only grow)
  if (device && device.inForce !== null && device.inForce > v) return { status: 'applied', result: `in force: ${device.inForce}`, resultAt: at };
  return { status: 'waiting', result: null, resultAt: null };
}

function bookStatus(s: KioskBookState | undefined): Pick<PushItem, 'status' | 'result' | 'resultAt'> {
  if (!s || s.status === 'waiting') return { status: 'waiting', result: null, resultAt: null };
  const result =
    s.status === 'downloading'
      ? `${s.received ?? 0}/${s.total ?? '?'}`
      : s.status === 'applied'
        ? s.items !== undefined
          ? `${s.items} items`
          : null
        : [s.reason, s.detail].filter((x): x is string => x !== undefined).join(': ') || null;
  return { status: s.status, result, resultAt: s.at };
}

/** The kiosks of push batch `id` inside `scope`, with their status (store, then device order). */
export async function pushItems(db: Tx, id: string, kind: 'config' | 'pricebook', scope: StoreScope): Promise<PushItem[]> {
  const w = scopeWhere(scope, 'p.store_id');
  const rows = await db.all<PushRow>(
    `SELECT p.store_id, p.device_id, p.version, p.error, f.config_reported, f.config_reported_at
     FROM batch_pushes p LEFT JOIN fleet f ON f.store_id = p.store_id AND f.device_id = p.device_id
     WHERE p.batch_id = ? AND ${w.sql} ORDER BY p.store_id, p.device_id`,
    [id, ...w.params],
  );
  const books = new Map<string, Map<string, KioskBookState>>();
  if (kind === 'pricebook') {
    for (const store of new Set(rows.filter((r) => r.version !== null).map((r) => r.store_id))) {
      const version = rows.find((r) => r.store_id === store && r.version !== null)!.version;
      books.set(store, new Map((await kioskBookStates(db, store, version)).map((s) => [s.device, s])));
    }
  }
  return rows.map((r) => {
    const base = { storeId: r.store_id, deviceId: r.device_id, version: r.version };
    if (r.version === null) return { ...base, status: 'not_sent', result: r.error, resultAt: null };
    return { ...base, ...(kind === 'config' ? configStatus(r) : bookStatus(books.get(r.store_id)?.get(r.device_id))) };
  });
}
