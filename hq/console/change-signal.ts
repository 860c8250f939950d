import { EventEmitter } from 'node:events';
import type { IngestStore } from '../ingest/store';

/**
 * Tells a publisher service of `hq serve` (e.g. hq/members/service.ts) that what it publishes changed in this process
 * (a console import, an adjustment, an add): one emitter per store handle, so tests with several consoles do not hear
 * each other. `of(store)` emits 'changed' on `announce(store)`.
 */
export interface ChangeSignal {
  of(store: IngestStore): EventEmitter;
  announce(store: IngestStore): void;
}

export function changeSignal(): ChangeSignal {
  const emitters = new WeakMap<IngestStore, EventEmitter>();
  const of = (store: IngestStore): EventEmitter => {
    let e = emitters.get(store);
    if (!e) emitters.set(store, (e = new EventEmitter()));
    return e;
  };
  return { of, announce: (store) => void of(store).emit('changed') };
}
