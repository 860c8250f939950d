import type { IngestDb } from './pg-db';

/** The statements whose SQL differs between SQLite and PostgreSQL. */
export const SQL: Record<IngestDb['dialect'], Record<'insertEvents' | 'updateDevice' | 'quarantine' | 'moveToQuarantine' | 'deleteMoved', string>> = {
  sqlite: {
    insertEvents: `INSERT OR IGNORE INTO sales_events (store_id, device_id, seq, ts, order_id, type, payload, prev_hash, hash, received_at)
       SELECT ?1, ?2, r.value ->> 0, r.value ->> 1, r.value ->> 2, r.value ->> 3, r.value ->> 4, r.value ->> 5, r.value ->> 6, ?3
       FROM json_each(?4) r`,
    updateDevice: `UPDATE devices SET contiguous_seq = ?, last_hash = ?, stored = stored + ?, duplicates = duplicates + ?, rejected = rejected + ?,
       chain_ok = CASE WHEN ? IS NULL THEN chain_ok ELSE 0 END, chain_error = COALESCE(?, chain_error),
       last_event_ts = MAX(COALESCE(last_event_ts, 0), COALESCE(?, 0)), updated_at = ?
     WHERE store_id = ? AND device_id = ?`,
    quarantine: `INSERT INTO quarantine (store_id, device_id, seq, hash, ts, order_id, type, payload, prev_hash, reason, first_seen, last_seen, copies)
       SELECT ?1, ?2, r.value ->> 0, r.value ->> 1, r.value ->> 2, r.value ->> 3, r.value ->> 4, r.value ->> 5, r.value ->> 6, r.value ->> 7, ?3, ?3, r.value ->> 8
       FROM json_each(?4) r WHERE true
       ON CONFLICT (store_id, device_id, seq, hash) DO UPDATE SET last_seen = excluded.last_seen, copies = quarantine.copies + excluded.copies`,
    moveToQuarantine: `INSERT INTO quarantine (store_id, device_id, seq, hash, ts, order_id, type, payload, prev_hash, reason, first_seen, last_seen, copies)
       SELECT s.store_id, s.device_id, s.seq, s.hash, s.ts, s.order_id, s.type, s.payload, s.prev_hash, r.value ->> 1, ?3, ?3, 1
       FROM json_each(?4) r JOIN sales_events s ON s.store_id = ?1 AND s.device_id = ?2 AND s.seq = r.value ->> 0 WHERE true
       ON CONFLICT (store_id, device_id, seq, hash) DO NOTHING`,
    deleteMoved: `DELETE FROM sales_events WHERE store_id = ?1 AND device_id = ?2 AND seq IN (SELECT r.value ->> 0 FROM json_each(?3) r)`,
  },
  postgres: {
    insertEvents: `INSERT INTO sales_events (store_id, device_id, seq, ts, order_id, type, payload, prev_hash, hash, received_at)
       SELECT ?1, ?2, (r ->> 0)::bigint, (r ->> 1)::bigint, r ->> 2, r ->> 3, r ->> 4, r ->> 5, r ->> 6, ?3::bigint
       FROM json_array_elements(?4::json) r
       ON CONFLICT DO NOTHING`,
    updateDevice: `UPDATE devices SET contiguous_seq = ?, last_hash = ?, stored = stored + ?::bigint, duplicates = duplicates + ?::bigint, rejected = rejected + ?::bigint,
       chain_ok = CASE WHEN ?::text IS NULL THEN chain_ok ELSE 0 END, chain_error = COALESCE(?::text, chain_error),
       last_event_ts = GREATEST(COALESCE(last_event_ts, 0), COALESCE(?::bigint, 0)), updated_at = ?
     WHERE store_id = ? AND device_id = ?`,
    quarantine: `INSERT INTO quarantine (store_id, device_id, seq, hash, ts, order_id, type, payload, prev_hash, reason, first_seen, last_seen, copies)
       SELECT ?1, ?2, (r ->> 0)::bigint, r ->> 1, (r ->> 2)::bigint, r ->> 3, r ->> 4, r ->> 5, r ->> 6, r ->> 7, ?3::bigint, ?3::bigint, (r ->> 8)::bigint
       FROM json_array_elements(?4::json) r
       ON CONFLICT (store_id, device_id, seq, hash) DO UPDATE SET last_seen = excluded.last_seen, copies = quarantine.copies + excluded.copies`,
    moveToQuarantine: `INSERT INTO quarantine (store_id, device_id, seq, hash, ts, order_id, type, payload, prev_hash, reason, first_seen, last_seen, copies)
       SELECT s.store_id, s.device_id, s.seq, s.hash, s.ts, s.order_id, s.type, s.payload, s.prev_hash, r ->> 1, ?3::bigint, ?3::bigint, 1
       FROM json_array_elements(?4::json) r JOIN sales_events s ON s.store_id = ?1 AND s.device_id = ?2 AND s.seq = (r ->> 0)::bigint
       ON CONFLICT (store_id, device_id, seq, hash) DO NOTHING`,
    deleteMoved: `DELETE FROM sales_events WHERE store_id = ?1 AND device_id = ?2 AND seq IN (SELECT (r ->> 0)::bigint FROM json_array_elements(?3::json) r)`,
  },
};
