import { EventEmitter } from 'node:events';
import type { IngestStore } from '../ingest/store';

/**
 * Tells `hq serve`'s member publisher (./service.ts) that member records or points changed in this process (a console
 * import or adjustment): one emitter per store handle, so tests with several consoles do not hear each other.
 */
const emitters = new WeakMap<IngestStore, EventEmitter>();

export function memberChanges(store: IngestStore): EventEmitter {
  let e = emitters.get(store);
  if (!e) emitters.set(store, (e = new EventEmitter()));
  return e;
}

export const announceMemberChange = (store: IngestStore): void => void memberChanges(store).emit('changed');
