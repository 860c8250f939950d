import { EventEmitter } from 'node:events';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { workerScript } from '../../kernel/worker-script';
import type { FromWorker, ToWorker, UplinkInit } from './uplink-messages';

export interface UplinkThreadEvents {
  message: [FromWorker];
  /** The worker died (crash, out of memory, failed start); a new one starts after `restartMs`. */
  died: [Error];
  /** A new worker replaced one that died and is ready: state that lives in the worker must be sent again. */
  restarted: [];
}

/**
 * Starts and supervises the HQ uplink worker (uplink-worker.ts). Messages sent before the worker is ready, or while
 * a dead one is being replaced, wait and go in order. A worker that dies is replaced after `restartMs`, doubling (up to
 * 32 × `restartMs`) while replacements die before they are ready: no crash loop flooding the log. Each death is an
 * event the owner logs and shows.
 */
export class UplinkThread extends EventEmitter<UplinkThreadEvents> {
  /** The worker, or in `inline` mode the lane thread's end of the channel to the uplink running beside it. */
  private worker: Worker | MessagePort | null = null;
  private ready = false;
  private queue: ToWorker[] = [];
  private stopped = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private starts = 0;
  private lastId = 0;
  /** Workers that died in a row without becoming ready (the wait before the next start doubles, up to 32×). */
  private failures = 0;

  /**
   * `inline`: the uplink runs on this thread (same code, same messages, through a MessageChannel) — for a kiosk whose
   * HQ (the embedded broker and ingest) runs on this thread anyway: a worker would take no work off it and would
   * cost its memory (~20 MiB).
   */
  constructor(
    private init: UplinkInit,
    private readonly restartMs = 2000,
    private readonly inline = false,
  ) {
    super();
    this.start();
  }

  /** Updates what a replacement worker starts with (e.g. the MQTT will presence keeps current). */
  update(change: (init: UplinkInit) => UplinkInit): void {
    this.init = change(this.init);
  }

  /** A request id, unique across everyone talking to this worker (replies come back tagged with it). */
  id(): number {
    return ++this.lastId;
  }

  send(m: ToWorker): void {
    if (this.stopped) return;
    if (this.ready && this.worker) this.worker.postMessage(m);
    else this.queue.push(m);
  }

  /** Ends the worker thread (after the owner has ended the MQTT connection through it). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.queue = [];
    const w = this.worker;
    this.worker = null;
    if (w instanceof Worker) await w.terminate();
    else w?.close();
  }

  private start(): void {
    this.starts++;
    const restart = this.starts > 1;
    let w: Worker | MessagePort;
    let ended: (listener: (died: Error | null) => void) => void;
    if (this.inline) {
      const { port1, port2 } = new MessageChannel();
      w = port1;
      let onEnd: ((died: Error | null) => void) | null = null;
      // required here, not at the top: a kiosk with a worker never loads the uplink on its own thread
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only in inline mode (see above)
      const { runUplink } = require('./uplink-worker') as typeof import('./uplink-worker');
      runUplink(port2, { ...this.init, nice: 0 }).catch((e: unknown) => {
        port2.close();
        onEnd?.(new Error(`uplink failed to start: ${e instanceof Error ? e.message : String(e)}`));
      });
      ended = (listener) => (onEnd = listener);
    } else {
      const worker = new Worker(workerScript(require.resolve('./uplink-worker')), { workerData: this.init });
      w = worker;
      let died: Error | null = null;
      worker.on('error', (e) => (died = e));
      ended = (listener) => worker.on('exit', (code) => listener(died ?? new Error(`HQ uplink worker exited with code ${code}`)));
    }
    this.worker = w;
    this.ready = false;
    w.on('message', (m: FromWorker) => {
      if (m.t === 'ready') {
        this.ready = true;
        this.failures = 0;
        const queued = this.queue;
        this.queue = [];
        for (const q of queued) w.postMessage(q);
        if (restart) this.emit('restarted');
        return;
      }
      this.emit('message', m);
    });
    ended((died) => {
      if (this.worker !== w) return;
      this.worker = null;
      this.ready = false;
      if (this.stopped) return;
      this.emit('died', died ?? new Error('HQ uplink stopped'));
      const wait = this.restartMs * 2 ** Math.min(this.failures++, 5);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (!this.stopped) this.start();
      }, wait);
      this.restartTimer.unref();
    });
  }
}
