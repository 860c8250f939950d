import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { findOnPath } from './path-presence';

/**
 * CPU affinity for bulk work in a child process (a price-book build): on a machine with two cores or more, the child
 * runs on every CPU this process may use but the first, so the lane always has a core that bulk work never takes.
 *
 * Why affinity and not priority: measured on the 2-core CI machine (issue 16), a SQLite writer process whose threads
 * roam both cores delays a barcode lookup's thread hand-offs (main thread → SQLite's thread → main thread) by up to
 * one scheduler tick (4 ms at HZ=250) — p99 2.5 ms even when the writer runs at nice 19 or SCHED_IDLE, because the
 * scheduler only reconsiders a preempted-but-runnable thread at the next tick. The same writer pinned to the second
 * core: p99 0.2 ms. Node has no call to set affinity; util-linux's `taskset` (part of every Debian and Raspberry Pi
 * OS install) starts the child with it, and its threads inherit it.
 */

/** A kernel CPU list (`0-3,5,7-8`, as in /proc/self/status `Cpus_allowed_list`) → the CPU numbers, ascending. */
export function parseCpuList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`not a CPU list: ${JSON.stringify(text)}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi - lo > 4096) throw new Error(`not a CPU list: ${JSON.stringify(text)}`);
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  return [...out].sort((a, b) => a - b);
}

/** The CPUs this process may run on (Linux: /proc/self/status), or null where that is not known. */
export function allowedCpus(status = '/proc/self/status'): number[] | null {
  try {
    const line = /^Cpus_allowed_list:\s*(.+)$/m.exec(fs.readFileSync(status, 'utf8'))?.[1];
    const cpus = line ? parseCpuList(line) : [];
    return cpus.length > 0 ? cpus : null;
  } catch {
    return null;
  }
}

/** The CPUs for bulk work: all of `allowed` but the first, or null (no pinning) when fewer than two are allowed. */
export function bulkCpus(allowed: readonly number[] | null): number[] | null {
  return allowed && allowed.length >= 2 ? allowed.slice(1) : null;
}

export interface PinnedCommand {
  command: string;
  args: string[];
  /** The CPUs the command will run on, or null when it runs unpinned (one CPU, or no taskset). */
  cpus: number[] | null;
}

/**
 * `command args` to start on `cpus` through taskset, or as it is when `cpus` is null or taskset is missing (then
 * `cpus` in the result is null: the caller can say so).
 */
export function pinnedCommand(command: string, args: string[], cpus: number[] | null, taskset = findOnPath('taskset')): PinnedCommand {
  if (!cpus || cpus.length === 0 || !taskset) return { command, args, cpus: null };
  return { command: taskset, args: ['--cpu-list', cpus.join(','), command, ...args], cpus };
}

/**
 * Sets every thread of this process (`taskset -a -p`) to `cpus`; returns whether it worked. Used to keep the lane's
 * threads off a build process's CPUs while it runs, and to give them back afterwards.
 */
export function setProcessCpus(cpus: readonly number[], taskset = findOnPath('taskset')): boolean {
  if (!taskset || cpus.length === 0) return false;
  const r = spawnSync(taskset, ['-a', '-p', '--cpu-list', cpus.join(','), String(process.pid)], { stdio: 'ignore', timeout: 5000 });
  return r.status === 0;
}
