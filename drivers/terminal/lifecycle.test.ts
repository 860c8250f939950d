import { simulatedTerminal } from '../../test/support/simulated-terminal';
import { lifecycleSuite, type LifecycleHarness } from '../../test/support/contracts/lifecycle-suite';

/** Lets the terminal go idle (the ECR's 80 00 00 to the last completion may still be on the line); bounded. */
async function idle(isIdle: () => boolean): Promise<void> {
  const deadline = Date.now() + 1000;
  while (!isIdle() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

for (const link of ['pty', 'in-process'] as const) {
  lifecycleSuite(`ZvtTerminal ↔ simulator over ${link === 'pty' ? 'a real pty pair' : 'the in-process serial link'} (serial framing)`, async (): Promise<LifecycleHarness> => {
    const s = await simulatedTerminal(link);
    const pair = s.pair!;
    return {
      device: s.terminal,
      unplug: () => pair.unplug(),
      replug: () => pair.replug(),
      command: async () => {
        await idle(() => s.sim.idle);
        return s.terminal.authorize(100);
      },
      teardown: s.cleanup,
    };
  });
}

lifecycleSuite('ZvtTerminal ↔ simulator over TCP loopback', async (): Promise<LifecycleHarness> => {
  const s = await simulatedTerminal('tcp');
  return {
    device: s.terminal,
    unplug: () => s.sim.disconnect(),
    replug: () => s.sim.reconnect(),
    command: async () => {
      await idle(() => s.sim.idle);
      return s.terminal.terminalStatus();
    },
    commandNeeds: 'claimed',
    teardown: s.cleanup,
  };
});
