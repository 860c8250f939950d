import type * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A simulator's HTTP(S) listener on 127.0.0.1 that can be stopped at once: it keeps its open connections and destroys
 * them on `close()` (a kiosk's keep-alive connection must not hold a stopping simulator open).
 */
export class LoopbackServer {
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: http.Server | https.Server) {
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    // a client refused in the TLS handshake (no or a wrong client certificate) is that client's problem, not ours
    if (server instanceof https.Server) server.on('tlsClientError', () => undefined);
  }

  static async listen(server: http.Server | https.Server, port = 0): Promise<LoopbackServer> {
    const s = new LoopbackServer(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return s;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
