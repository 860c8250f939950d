import { EventEmitter } from 'node:events';
import type { IngestStore } from '../ingest/store';

/**
 * Tells `hq serve`'s recall publisher (./service.ts) that recalls changed in this process (a console add or remove):
 * one emitter per store handle, so tests with several consoles do not hear each other.
 */
const emitters = new WeakMap<IngestStore, EventEmitter>();

export function recallChanges(store: IngestStore): EventEmitter {
  let e = emitters.get(store);
  if (!e) emitters.set(store, (e = new EventEmitter()));
  return e;
}

export const announceRecallChange = (store: IngestStore): void => void recallChanges(store).emit('changed');
