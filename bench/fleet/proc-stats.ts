/* What bench/fleet reads of other processes from /proc (Linux): CPU time and resident memory. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

let ticks: number | null = null;
/** Clock ticks per second of /proc/PID/stat (getconf CLK_TCK; 100 on Linux almost everywhere). */
function clockTicks(): number {
  if (ticks === null) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** User + system CPU time of process `pid` so far, in ms (utime and stime of /proc/PID/stat); null when it is gone. */
export function cpuMs(pid: number): number | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // the command name (field 2) may hold spaces and parentheses: fields after the last ')' start at field 3 (state)
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  return ((utime + stime) * 1000) / clockTicks();
}

/** Resident memory of process `pid` (VmRSS of /proc/PID/status) in bytes; null when it is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
