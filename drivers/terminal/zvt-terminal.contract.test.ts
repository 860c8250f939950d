import { terminalContractSuite, type TerminalFixture } from '../../test/support/contracts/terminal-suite';
import { ZvtTerminal, type ZvtConnection } from './zvt-terminal';
import { simulatedTerminal } from '../../test/support/simulated-terminal';

function simulator(via: 'pty' | 'in-process' | 'tcp'): () => Promise<TerminalFixture> {
  return async () => {
    const s = await simulatedTerminal(via);
    return {
      terminal: s.terminal,
      script: {
        approveNext: () => s.sim.approveNext(),
        declineNext: (code) => s.sim.declineNext(code),
        holdNext: () => s.sim.timeoutNext(),
        lastTrace: () => s.sim.last()?.traceNumber,
      },
      cleanup: s.cleanup,
    };
  };
}

terminalContractSuite('ZVT driver ↔ simulator over a real pty pair (serial framing)', simulator('pty'), { scripted: true });
terminalContractSuite('ZVT driver ↔ simulator over TCP loopback', simulator('tcp'), { scripted: true });
terminalContractSuite('ZVT driver ↔ simulator over the in-process serial link (serial framing, no socat)', simulator('in-process'), { scripted: true });

// Real hardware: registered only when named; no test exists (and nothing is printed) otherwise.
function hardware(connection: ZvtConnection): () => Promise<TerminalFixture> {
  return async () => {
    const terminal = new ZvtTerminal({ connection, password: process.env.KIOSK_ZVT_PASSWORD });
    return { terminal, cleanup: () => terminal.close() };
  };
}
const serialPath = process.env.KIOSK_ZVT_PORT;
if (serialPath) terminalContractSuite(`ZVT hardware on ${serialPath}`, hardware({ kind: 'serial', path: serialPath }), { timeoutMs: 60000 });
const lanHost = process.env.KIOSK_ZVT_HOST;
if (lanHost) {
  const [host, port] = lanHost.split(':');
  terminalContractSuite(`ZVT hardware at ${lanHost}`, hardware({ kind: 'tcp', host, port: port ? Number(port) : undefined }), { timeoutMs: 60000 });
}
