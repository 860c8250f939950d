import * as fs from 'node:fs';
import * as os from 'node:os';

/** The CPU priority (nice) of the kiosk's bulk work: the HQ uplink, a price-book build, `kiosk pricebook import`. */
export const BULK_NICE = 10;

/**
 * Lowers the calling thread's CPU priority to `nice` (0–19; ≤ 0 leaves it): bulk work on a worker thread (the HQ
 * uplink, a price-book build) then yields the CPU to the lane's thread whenever both want it. Linux only: a thread
 * is a task with its own nice value, which /proc/thread-self names. Returns whether it was lowered (elsewhere, or
 * when not allowed, the work still runs off the lane's event loop, at the same priority).
 */
export function lowerThreadPriority(nice: number): boolean {
  if (!(nice > 0)) return false;
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isSafeInteger(tid) || tid <= 0) return false;
    os.setPriority(tid, Math.min(19, nice));
    return true;
  } catch {
    return false;
  }
}

/**
 * Lowers the priority of every thread of this process to `nice` (threads started later inherit it from the
 * thread that starts them): for a process that is bulk work as a whole, such as `kiosk pricebook import` beside a
 * running lane. Returns how many threads were lowered.
 */
export function lowerProcessPriority(nice: number): number {
  if (!(nice > 0)) return 0;
  let n = 0;
  let tasks: string[];
  try {
    tasks = fs.readdirSync('/proc/self/task');
  } catch {
    return 0;
  }
  for (const t of tasks) {
    try {
      os.setPriority(Number(t), Math.min(19, nice));
      n++;
    } catch {
      // a thread that just ended
    }
  }
  return n;
}
