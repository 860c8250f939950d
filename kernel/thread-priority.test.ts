import * as fs from 'node:fs';
import * as os from 'node:os';
import { lowerProcessPriority, lowerThreadPriority } from './thread-priority';

const tid = () => Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
/** The nice value of one task (thread) of this process, from /proc (field 19 of stat, after the command's parenthesis). */
const niceOf = (task: number) => Number(fs.readFileSync(`/proc/self/task/${task}/stat`, 'utf8').split(') ')[1].split(' ')[16]);

describe('lowerThreadPriority', () => {
  const me = tid();
  afterEach(() => os.setPriority(me, 0)); // root in CI: the test thread gets its priority back

  it("lowers this thread's priority and no other thread's", () => {
    const others = fs.readdirSync('/proc/self/task').map(Number).filter((t) => t !== me);
    const before = new Map(others.map((t) => [t, niceOf(t)]));
    expect(lowerThreadPriority(7)).toBe(true);
    expect(niceOf(me)).toBe(7);
    expect(os.getPriority(me)).toBe(7);
    for (const t of others) if (fs.existsSync(`/proc/self/task/${t}`)) expect(niceOf(t)).toBe(before.get(t));
  });

  it('caps at 19 and leaves the priority alone for 0 or less', () => {
    expect(lowerThreadPriority(0)).toBe(false);
    expect(niceOf(me)).toBe(0);
    expect(lowerThreadPriority(40)).toBe(true);
    expect(niceOf(me)).toBe(19);
  });
});

describe('lowerProcessPriority', () => {
  const tasks = () => fs.readdirSync('/proc/self/task').map(Number);
  afterEach(() => {
    for (const t of tasks()) os.setPriority(t, 0); // root in CI: every thread gets its priority back
  });

  it("lowers every thread's priority", () => {
    expect(lowerProcessPriority(4)).toBe(tasks().length);
    for (const t of tasks()) expect(niceOf(t)).toBe(4);
  });
});
