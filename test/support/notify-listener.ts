import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';

/**
 * A fake NOTIFY_SOCKET: a real AF_UNIX SOCK_DGRAM socket bound to `<dir>/notify.sock` (by python3 — Node has no
 * datagram unix sockets), every datagram parsed into its assignments. Like systemd it releases what a BARRIER=1 passes
 * (recv() without room for ancillary data closes passed descriptors), so `systemd-notify` returns at once.
 */
const SCRIPT = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps(data.decode("utf-8", "replace")), flush=True)
`;

export interface NotifyListener {
  socketPath: string;
  messages: Record<string, string>[];
  close(): void;
}

export async function notifyListener(dir: string, onMessage: (m: Record<string, string>) => void = () => undefined): Promise<NotifyListener> {
  const socketPath = path.join(dir, 'notify.sock');
  const child = spawn('python3', ['-c', SCRIPT, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: Record<string, string>[] = [];
  const lines = readline.createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`fake NOTIFY_SOCKET listener exited ${code}`)));
    lines.once('line', () => resolve());
  });
  lines.on('line', (line) => {
    const text = JSON.parse(line) as string;
    const m = Object.fromEntries(
      text
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    if (m.BARRIER === '1') return; // systemd-notify's synchronisation message, not a notification
    messages.push(m);
    onMessage(m);
  });
  return { socketPath, messages, close: () => void child.kill() };
}
