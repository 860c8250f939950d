import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { allowedCpus, bulkCpus, pinnedCommand, setProcessCpus } from '../../kernel/cpu-affinity';
import { KioskError } from '../../kernel/errors';
import type { KioskDb } from '../../kernel/sqlite/database';
import { workerScript } from '../../kernel/worker-script';
import type { BookDigest } from './book-encoder';
import type { BuildProcessData } from './build-process';
import type { EncodeInput, FromChild, ToChild, WireError } from './build-protocol';

/** One slice of a new book, ready to go into the shadow tables in one background transaction. */
export interface PendingSlice {
  rows: number;
  /** Inserts it (in the writer's queue): the barcodes written and how long the inserts took (ms, for the pacer). */
  write(db: KioskDb): Promise<{ barcodes: number; ms: number }>;
}

/** The slices of a new book and, once they are all out, its digest. */
export interface SliceSource {
  slices: AsyncIterable<PendingSlice>;
  /** After the last slice: the digest (throws what refused the book, if anything did). */
  finish(): Promise<BookDigest>;
  /** Stops whatever still runs (the build process); idempotent. */
  close(): Promise<void>;
}

export interface ProcessSourceOptions {
  /** Names the book in messages (file name, `hq:VERSION`). */
  source: string;
  taxClasses?: readonly string[];
  /** The slice size wanted now (the build pacer's), read for every slice asked for. */
  rows: () => number;
  /** File input: after each batch read (bytes of the file consumed, items before the batch). */
  onProgress?: (bytesRead: number, totalBytes: number, items: number) => void;
  /** Chunk input: the next gzip chunk, in order, or null after the last one. */
  nextChunk?: () => Promise<{ index: number; data: Buffer } | null>;
  /** Sees the build process once started (tests stop it to see what a dying build does; the bench reads its peak). */
  onChild?: (child: ChildProcess) => void;
}

/** Slices the child prepares ahead of the inserts (each ~100–2 000 items, a few hundred KB of JSON). */
const AHEAD = 2;
/**
 * The child's V8 heap (MiB). Parsing allocates fast, and on two cores the child has one core for everything: with
 * 2 MiB semi-spaces garbage collection took 2.4 s (HQ chunks) and 3.5 s (CSV) of a ~21 s 1 M-item build. HQ chunks
 * get 4 MiB (child peak RSS ~84 MiB; 8 MiB would make kiosk + child ~142 MiB together), a file 8 MiB (GC 2.0 s;
 * ~100 MiB, ~135 together: the CSV reader's garbage is most of it). What a book could make it allocate beyond the
 * old generation's cap ends the child (a clear error; the kiosk sells on), not the kiosk.
 */
const HEAP: Record<EncodeInput['kind'], { semiSpaceMb: number; oldSpaceMb: number }> = {
  chunks: { semiSpaceMb: 4, oldSpaceMb: 128 },
  file: { semiSpaceMb: 8, oldSpaceMb: 128 },
};

const CHILD_MODULE = path.join(__dirname, `build-process${path.extname(__filename)}`);

/** Builds running with the kiosk kept to its first CPU, and the CPUs to give back when the last one ends. */
let keptBuilds = 0;
let keptFrom: readonly number[] | null = null;

/**
 * While a pinned build process runs, the kiosk's own threads keep to the first of its CPUs (the child has the others):
 * left to roam, they land behind the child's threads on its CPU and wait there for the scheduler's next tick
 * (kernel/cpu-affinity.ts) — lookups during a 1 M build p99 0.58–0.68 ms instead of 0.36–0.49. The kiosk does little
 * else meanwhile: its event loop, SQLite's thread for the lane, the HQ link. Given back (`release`, once) when the
 * last build ends; null if the CPUs could not be set (the build runs anyway).
 */
function keepToFirstCpu(allowed: readonly number[]): { release: () => void } | null {
  if (keptBuilds === 0) {
    if (!setProcessCpus(allowed.slice(0, 1))) return null;
    keptFrom = allowed;
  }
  keptBuilds++;
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      if (--keptBuilds === 0 && keptFrom) {
        setProcessCpus(keptFrom);
        keptFrom = null;
      }
    },
  };
}

function fromWire(w: WireError): Error {
  if (w.name === 'KioskError' && w.code) return new KioskError(w.code as KioskError['code'], w.message, w.details ?? {});
  const e = new Error(w.message) as Error & { code?: string };
  e.name = w.name;
  if (w.code) e.code = w.code;
  return e;
}

/**
 * Reads, checks, encodes AND inserts a full book in a child process (build-process.ts), pinned away from the first
 * CPU (kernel/cpu-affinity.ts) at nice 10; the shadow tables must exist before the first slice is written. Each
 * yielded slice is written by the child when `write(db)` is called — `db.lend`: in the kiosk's writer queue, as a
 * background job, while the kiosk's own writer stays idle. The child's refusal (a bad row: the reader's message with
 * its line; a repeated key) is rethrown as it was thrown there; a child that dies (out of memory, killed) is a
 * KioskError('BAD_DATA') naming the book — the caller's build is abandoned and the book in force stays.
 */
export function processSource(db: KioskDb, input: EncodeInput, opts: ProcessSourceOptions): SliceSource {
  const data: BuildProcessData = { input, source: opts.source, dbFile: db.file, ...(opts.taxClasses ? { taxClasses: [...opts.taxClasses] } : {}) };
  const heap = HEAP[input.kind];
  const allowed = allowedCpus();
  const cmd = pinnedCommand(
    process.execPath,
    [`--max-semi-space-size=${heap.semiSpaceMb}`, `--max-old-space-size=${heap.oldSpaceMb}`, workerScript(CHILD_MODULE), JSON.stringify(data)],
    bulkCpus(allowed),
  );
  const laneCpu = cmd.cpus && allowed ? keepToFirstCpu(allowed) : null;
  const child = spawn(cmd.command, cmd.args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  opts.onChild?.(child);
  const inbox: FromChild[] = [];
  let failure: Error | null = null;
  /** The child said its last word (end or error), or we stopped it: its exit is expected. */
  let done = false;
  let exited = false;
  let exitResolve: () => void = () => undefined;
  const exit = new Promise<void>((resolve) => (exitResolve = resolve));
  const gone = () => {
    exited = true;
    exitResolve();
  };
  child.once('exit', gone);
  let digest: BookDigest | null = null;
  let wake: (() => void) | null = null;
  /** The `go` waiting for its `written` (one at a time: the writer queue runs one job at a time). */
  let writeWaiter: { resolve: (r: { barcodes: number; ms: number }) => void; reject: (e: Error) => void } | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const fail = (e: Error) => {
    failure ??= e;
    writeWaiter?.reject(failure);
    writeWaiter = null;
    notify();
  };
  const died = (why: string) =>
    new KioskError('BAD_DATA', `${opts.source}: the price-book build process stopped (${why}); the book in force is unchanged`, { source: opts.source, process: why });
  const post = (m: ToChild) => {
    if (!exited && child.connected) child.send(m);
  };

  let chunkChain = Promise.resolve();
  const serveChunk = () => {
    chunkChain = chunkChain
      .then(async () => {
        const c = await opts.nextChunk!();
        if (!done) post(c ? { t: 'chunk', index: c.index, data: c.data } : { t: 'eof' });
      })
      .catch((e: unknown) => fail(e instanceof Error ? e : new Error(String(e))));
  };

  child.on('message', (m: FromChild) => {
    if (m.t === 'need') serveChunk();
    else if (m.t === 'progress') opts.onProgress?.(m.bytesRead, m.totalBytes, m.items);
    else if (m.t === 'written') {
      writeWaiter?.resolve({ barcodes: m.barcodes, ms: m.ms });
      writeWaiter = null;
    } else if (m.t === 'error') {
      done = true;
      fail(fromWire(m.error));
    } else {
      if (m.t === 'end') done = true;
      inbox.push(m);
      notify();
    }
  });
  child.on('error', (e: Error) => {
    if (child.pid === undefined) gone(); // never started (no 'exit' follows)
    fail(died(`${e.name}: ${e.message}`));
  });
  child.on('exit', (code, signal) => {
    // after its last word a child may go (the kiosk disconnects it); a write it owes is still a failure
    if (!done || writeWaiter) fail(died(signal ? `signal ${signal}` : `exit code ${code}`));
  });

  async function next(): Promise<FromChild> {
    for (;;) {
      if (failure) throw failure;
      const m = inbox.shift();
      if (m) return m;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }

  const write = (kiosk: KioskDb) =>
    kiosk.lend(
      () =>
        new Promise<{ barcodes: number; ms: number }>((resolve, reject) => {
          if (failure) return reject(failure);
          writeWaiter = { resolve, reject };
          post({ t: 'go' });
        }),
      { background: true },
    );

  async function* slices(): AsyncGenerator<PendingSlice> {
    for (let i = 0; i < AHEAD; i++) post({ t: 'pull', rows: opts.rows() });
    for (;;) {
      const m = await next();
      if (m.t === 'ready') {
        yield { rows: m.rows, write };
        post({ t: 'pull', rows: opts.rows() });
      } else if (m.t === 'end') {
        digest = { sha256: m.sha256, items: m.items };
        return;
      }
    }
  }

  return {
    slices: slices(),
    finish: () => (failure ? Promise.reject(failure) : digest ? Promise.resolve(digest) : Promise.reject(new Error('processSource: finish() before the last slice'))),
    close: async () => {
      done = true;
      if (exited) {
        laneCpu?.release();
        return;
      }
      // a child that is done leaves on its own once disconnected; one still working (a failed build) is stopped
      if (child.connected) child.disconnect();
      if (failure) child.kill('SIGKILL');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
      laneCpu?.release();
    },
  };
}
