import * as net from 'node:net';

/** One client connection through the balancer. */
export interface BalancedConnection {
  id: number;
  /** Index into the balancer's targets of the node it was forwarded to. */
  target: number;
  /** The MQTT client id of its first packet, when that was a CONNECT (read, never altered). */
  clientId: string | null;
  /** The MQTT protocol level of that CONNECT (4 = 3.1.1, 5 = MQTT 5). */
  level: number | null;
  openedAt: number;
  closedAt: number | null;
}

/**
 * A TCP load balancer on a loopback port, as a production one in front of a broker cluster: each new client connection
 * is forwarded to the next target port in round-robin order; a target that refuses the connection (its node is down)
 * is skipped for the next one; when every target refuses, the client is closed. When either side of a forwarded
 * connection closes, the other is closed too (a node that dies drops its clients, which reconnect through here to a
 * live node). Bytes pass unchanged; the first packet of each connection is only read to note the MQTT client id.
 */
export class TcpBalancer {
  private next = 0;
  private seq = 0;
  private readonly conns: BalancedConnection[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly targets: number[],
    readonly port: number,
  ) {}

  static async start(targets: number[]): Promise<TcpBalancer> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const b = new TcpBalancer(server, targets, (server.address() as net.AddressInfo).port);
    server.on('connection', (s) => b.accept(s));
    return b;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Every connection so far, in order (open ones have closedAt null). */
  connections(): BalancedConnection[] {
    return this.conns.map((c) => ({ ...c }));
  }

  /** The open connection of MQTT client `clientId`, if any (the latest). */
  openConnectionOf(clientId: string): BalancedConnection | undefined {
    return [...this.conns].reverse().find((c) => c.clientId === clientId && c.closedAt === null);
  }

  private accept(client: net.Socket): void {
    this.sockets.add(client);
    client.pause();
    client.on('error', () => undefined);
    client.once('close', () => this.sockets.delete(client));
    this.forward(client, 0);
  }

  /** Tries the next target; after `tried` refusals in a row of all targets, gives up. */
  private forward(client: net.Socket, tried: number): void {
    if (client.destroyed) return;
    if (tried >= this.targets.length) {
      client.destroy();
      return;
    }
    const target = this.next;
    this.next = (this.next + 1) % this.targets.length;
    const upstream = net.connect(this.targets[target], '127.0.0.1');
    this.sockets.add(upstream);
    upstream.once('close', () => this.sockets.delete(upstream));
    let connected = false;
    upstream.once('error', () => {
      if (!connected) this.forward(client, tried + 1);
      else client.destroy();
    });
    upstream.once('connect', () => {
      connected = true;
      const conn: BalancedConnection = { id: ++this.seq, target, clientId: null, level: null, openedAt: Date.now(), closedAt: null };
      this.conns.push(conn);
      let first = true;
      client.on('data', (b: Buffer) => {
        if (!first) return;
        first = false;
        const c = parseConnect(b);
        if (c) Object.assign(conn, c);
      });
      const end = () => {
        if (conn.closedAt === null) conn.closedAt = Date.now();
        client.destroy();
        upstream.destroy();
      };
      client.once('close', end);
      upstream.once('close', end);
      upstream.on('error', () => undefined);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }

  /** Stops accepting and closes every connection. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** The protocol level and client id of an MQTT CONNECT at the start of `buf` (3.1.1 or 5), or null. */
export function parseConnect(buf: Buffer): { level: number; clientId: string } | null {
  if (buf.length < 2 || buf[0] !== 0x10) return null;
  let i = 1;
  while (i < 5 && i < buf.length && buf[i] & 0x80) i++;
  i++; // past the remaining length
  if (buf.length < i + 2) return null;
  const nameLen = buf.readUInt16BE(i);
  i += 2 + nameLen;
  if (buf.length < i + 4) return null;
  const level = buf[i];
  i += 1 + 1 + 2; // level, flags, keep alive
  if (level === 5) {
    // the properties' length (variable byte integer), then the properties
    let len = 0;
    let mult = 1;
    for (;;) {
      if (i >= buf.length) return null;
      const byte = buf[i++];
      len += (byte & 0x7f) * mult;
      mult *= 128;
      if (!(byte & 0x80)) break;
    }
    i += len;
  }
  if (buf.length < i + 2) return null;
  const idLen = buf.readUInt16BE(i);
  if (buf.length < i + 2 + idLen) return null;
  return { level, clientId: buf.toString('utf8', i + 2, i + 2 + idLen) };
}
