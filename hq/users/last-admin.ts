import type { IngestDb } from '../ingest/pg-db';
import { listUsers } from '../console/users';
import type { Role } from '../console/types';

/**
 * True when a change would leave no active administrator: disabling `username`, or giving it `newRole`, while it is
 * the only enabled admin. The console and `hq user` both refuse such a change (nobody could manage users then).
 */
export async function removesLastAdmin(db: IngestDb, username: string, change: { disable: true } | { role: Role }): Promise<boolean> {
  if ('role' in change && change.role === 'admin') return false;
  const admins = (await listUsers(db)).filter((u) => u.role === 'admin' && !u.disabled);
  return admins.length === 1 && admins[0].username === username;
}
