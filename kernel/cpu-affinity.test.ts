import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { allowedCpus, bulkCpus, parseCpuList, pinnedCommand } from './cpu-affinity';

test('CPU lists as the kernel writes them', () => {
  expect(parseCpuList('0')).toEqual([0]);
  expect(parseCpuList('0-3')).toEqual([0, 1, 2, 3]);
  expect(parseCpuList('0-1,4,6-7\n')).toEqual([0, 1, 4, 6, 7]);
  expect(parseCpuList('5,1,3-3')).toEqual([1, 3, 5]);
  for (const bad of ['a', '1-', '3-1', '0-99999', '1;2']) expect(() => parseCpuList(bad)).toThrow(/not a CPU list/);
});

test('the allowed CPUs come from a status file; anything unreadable is null', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-cpus-'));
  try {
    const f = path.join(dir, 'status');
    fs.writeFileSync(f, 'Name:\tnode\nCpus_allowed:\tf\nCpus_allowed_list:\t0-3\nMems_allowed:\t1\n');
    expect(allowedCpus(f)).toEqual([0, 1, 2, 3]);
    fs.writeFileSync(f, 'Name:\tnode\n');
    expect(allowedCpus(f)).toBeNull();
    fs.writeFileSync(f, 'Cpus_allowed_list:\tgarbage\n');
    expect(allowedCpus(f)).toBeNull();
    expect(allowedCpus(path.join(dir, 'missing'))).toBeNull();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bulk work gets every allowed CPU but the first, and none of them on a single CPU', () => {
  expect(bulkCpus([0, 1])).toEqual([1]);
  expect(bulkCpus([2, 3, 5])).toEqual([3, 5]);
  expect(bulkCpus([0])).toBeNull();
  expect(bulkCpus(null)).toBeNull();
});

test('a pinned command goes through taskset; without taskset or CPUs it runs as it is', () => {
  expect(pinnedCommand('/bin/node', ['x.js'], [1, 2], '/usr/bin/taskset')).toEqual({ command: '/usr/bin/taskset', args: ['--cpu-list', '1,2', '/bin/node', 'x.js'], cpus: [1, 2] });
  expect(pinnedCommand('/bin/node', ['x.js'], [1], null)).toEqual({ command: '/bin/node', args: ['x.js'], cpus: null });
  expect(pinnedCommand('/bin/node', ['x.js'], null, '/usr/bin/taskset')).toEqual({ command: '/bin/node', args: ['x.js'], cpus: null });
});

test('on this machine a pinned child really runs on the bulk CPUs only (taskset is part of util-linux)', async () => {
  const allowed = allowedCpus();
  expect(allowed).not.toBeNull();
  const cmd = pinnedCommand(process.execPath, ['-e', "process.stdout.write(/Cpus_allowed_list:\\s*(.+)/.exec(require('fs').readFileSync('/proc/self/status','utf8'))[1])"], bulkCpus(allowed));
  const out = await new Promise<string>((resolve, reject) => {
    const c = spawn(cmd.command, cmd.args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let s = '';
    c.stdout.on('data', (d: Buffer) => (s += d.toString()));
    c.on('error', reject);
    c.on('exit', () => resolve(s));
  });
  // two cores or more (CI has two): the child never runs on the first; one core: nothing to keep free
  expect(parseCpuList(out)).toEqual(allowed!.length >= 2 ? allowed!.slice(1) : allowed);
});
