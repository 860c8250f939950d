import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, waitForListener } from './mosquitto';

/** Debian's `nats-server` (2.9.10 on bookworm), installed by scripts/setup.js. */
export const NATS_BIN = 'nats-server';

/** One node of the cluster: its loopback ports, its JetStream folder, its process while it runs. */
export interface NatsNode {
  /** `server_name` (JetStream in a cluster needs one per node): n1, n2, … */
  name: string;
  clientPort: number;
  clusterPort: number;
  /** HTTP monitoring (`/healthz`, `/jsz`). */
  httpPort: number;
  mqttPort: number;
  conf: string;
  storeDir: string;
  logFile: string;
  child: ChildProcess | null;
}

export interface NatsClusterOptions {
  /** Default 3. */
  nodes?: number;
  /** `mqtt { stream_replicas }` (the MQTT sessions, QoS 1 messages and retained messages): default = the node count, at most 3. */
  replicas?: number;
}

/** Every cluster still running, killed at process exit if a test never got to close it. */
const running = new Set<NatsCluster>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of running) c.killAllSync();
  });
}

/**
 * A real NATS cluster (Debian's `nats-server`) on loopback for tests: `nodes` servers routed to each other, JetStream on
 * each (its store in a temp folder), an MQTT listener on each (`mqtt { listen, stream_replicas }`: NATS keeps MQTT
 * sessions, QoS 1 messages and retained messages in JetStream streams, replicated by Raft across the nodes). Nodes can be
 * stopped, killed with SIGKILL and started again one at a time (same store folder: a restarted node catches up).
 * `close()` kills every node and removes the folder; a cluster left running when the process exits is killed then.
 */
export class NatsCluster {
  private closed = false;
  private constructor(
    readonly dir: string,
    readonly nodes: NatsNode[],
  ) {}

  static async start(opts: NatsClusterOptions = {}): Promise<NatsCluster> {
    const count = opts.nodes ?? 3;
    const replicas = opts.replicas ?? Math.min(3, count);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nats-cluster-'));
    const nodes: NatsNode[] = [];
    for (let i = 1; i <= count; i++) {
      const [clientPort, clusterPort, httpPort, mqttPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
      nodes.push({
        name: `n${i}`,
        clientPort,
        clusterPort,
        httpPort,
        mqttPort,
        conf: path.join(dir, `n${i}.conf`),
        storeDir: path.join(dir, `n${i}`),
        logFile: path.join(dir, `n${i}.log`),
        child: null,
      });
    }
    const routes = nodes.map((n) => `nats-route://127.0.0.1:${n.clusterPort}`);
    for (const n of nodes) {
      fs.mkdirSync(n.storeDir);
      fs.writeFileSync(n.conf, nodeConfig(n, routes, replicas));
    }
    const cluster = new NatsCluster(dir, nodes);
    running.add(cluster);
    installExitHook();
    try {
      const bad = spawnSync(NATS_BIN, ['-c', nodes[0].conf, '-t'], { encoding: 'utf8' });
      if (bad.status !== 0) throw new Error(`nats-server rejects its configuration: ${bad.stderr || bad.stdout}`);
      for (let i = 0; i < nodes.length; i++) cluster.startNode(i);
      await cluster.ready();
    } catch (e) {
      await cluster.close();
      throw e;
    }
    return cluster;
  }

  mqttUrl(i: number): string {
    return `mqtt://127.0.0.1:${this.nodes[i].mqttPort}`;
  }

  /** Indexes of the nodes whose process runs. */
  live(): number[] {
    return this.nodes.flatMap((n, i) => (n.child && n.child.exitCode === null && n.child.signalCode === null ? [i] : []));
  }

  /** Starts node `i` (again): its log is appended to `logFile`. Wait for `ready()` before relying on it. */
  startNode(i: number): void {
    const n = this.nodes[i];
    if (n.child && n.child.exitCode === null && n.child.signalCode === null) throw new Error(`${n.name} runs already`);
    const log = fs.openSync(n.logFile, 'a');
    try {
      n.child = spawn(NATS_BIN, ['-c', n.conf], { stdio: ['ignore', log, log] });
    } finally {
      fs.closeSync(log);
    }
    n.child.on('error', () => undefined);
  }

  /** Kills node `i` with `signal` (SIGKILL: no goodbye to its peers or clients) and waits until the process is gone. */
  async kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.nodes[i].child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await gone;
  }

  /** Stops node `i` cleanly (SIGTERM; SIGKILL after `ms`). */
  async stop(i: number, ms = 10_000): Promise<void> {
    const child = this.nodes[i].child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    await gone;
    clearTimeout(timer);
  }

  /**
   * Waits until every live node answers `/healthz` ok (JetStream current), agrees on a JetStream meta leader that is a
   * live node, and listens for MQTT. Throws after `ms` with each node's last answer and the tail of its log.
   */
  async ready(ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    let last: Record<string, unknown> = {};
    for (;;) {
      const live = this.live();
      if (live.length === 0) throw new Error('no NATS node runs');
      const liveNames = new Set(live.map((i) => this.nodes[i].name));
      const answers = await Promise.all(
        live.map(async (i) => {
          const n = this.nodes[i];
          const health = await getJson(n.httpPort, '/healthz').catch((e: Error) => ({ error: e.message }));
          const jsz = (await getJson(n.httpPort, '/jsz').catch((e: Error) => ({ error: e.message }))) as { meta_cluster?: { leader?: string } };
          return { name: n.name, health, leader: jsz.meta_cluster?.leader ?? null };
        }),
      );
      last = Object.fromEntries(answers.map((a) => [a.name, { health: a.health, leader: a.leader }]));
      const leaders = new Set(answers.map((a) => a.leader));
      const ok =
        answers.every((a) => (a.health as { status?: string }).status === 'ok') &&
        leaders.size === 1 &&
        [...leaders].every((l) => l !== null && liveNames.has(l));
      if (ok) {
        for (const i of live) await waitForListener(this.nodes[i].mqttPort, Math.max(1000, deadline - Date.now()));
        return;
      }
      if (Date.now() > deadline) throw new Error(`NATS cluster not ready within ${ms} ms: ${JSON.stringify(last)}\n${this.logTails()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The JetStream meta leader as node `i` sees it (null: none, or node down). */
  async metaLeader(i: number): Promise<string | null> {
    const jsz = (await getJson(this.nodes[i].httpPort, '/jsz').catch(() => ({}))) as { meta_cluster?: { leader?: string } };
    return jsz.meta_cluster?.leader ?? null;
  }

  /** `/jsz` with streams and consumers (their Raft leaders, replicas, message counts) as node `i` reports them. */
  jsz(i: number): Promise<unknown> {
    return getJson(this.nodes[i].httpPort, '/jsz?accounts=true&streams=true&consumers=true&config=true');
  }

  /** The last `lines` lines of each node's log (for failure messages). */
  logTails(lines = 15): string {
    return this.nodes
      .map((n) => {
        const text = fs.existsSync(n.logFile) ? fs.readFileSync(n.logFile, 'utf8') : '';
        return `--- ${n.name} (${n.logFile})\n${text.split('\n').slice(-lines).join('\n')}`;
      })
      .join('\n');
  }

  /** Synchronous SIGKILL of every node (the process is exiting). */
  killAllSync(): void {
    for (const n of this.nodes) {
      if (n.child && n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGKILL');
    }
  }

  /** Kills every node (SIGKILL: the store is thrown away anyway) and removes the folder. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.nodes.map((_, i) => this.kill(i)));
    running.delete(this);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The example node configuration we ship for real hosts; every test node runs it, its addresses replaced. */
export const SHIPPED_NATS_CONF = path.resolve(__dirname, '..', '..', 'deploy', 'nats', 'nats-node.conf');

/**
 * deploy/nats/nats-node.conf for node `n`: its settings (comments dropped) with the name, every listen address, the
 * monitoring port, the JetStream folder and the routes replaced by this node's loopback ones; `stream_replicas`
 * replaced by `replicas`. Anything else in the file is kept as it is, so a change there is tested here.
 */
function nodeConfig(n: NatsNode, routes: string[], replicas: number): string {
  const out: string[] = [];
  const blocks: string[] = [];
  let route = 0;
  for (const raw of fs.readFileSync(SHIPPED_NATS_CONF, 'utf8').split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^\s*#.*$/, '');
    const t = line.trim();
    if (t === '') continue;
    const block = blocks.at(-1) ?? '';
    let m: RegExpExecArray | null;
    if ((m = /^(\w+)\s*\{$/.exec(t))) blocks.push(m[1]);
    else if (t === '}') blocks.pop();
    if (/^server_name:/.test(t)) out.push(`server_name: ${n.name}`);
    else if (/^http:/.test(t)) out.push(`http: 127.0.0.1:${n.httpPort}`);
    else if (/^store_dir:/.test(t)) out.push(`store_dir: "${n.storeDir}"`);
    else if (/^listen:/.test(t)) {
      const port = block === '' ? n.clientPort : block === 'cluster' ? n.clusterPort : block === 'mqtt' ? n.mqttPort : null;
      if (port === null) throw new Error(`${SHIPPED_NATS_CONF}: a listen in block "${block}" this helper does not know`);
      out.push(`listen: 127.0.0.1:${port}`);
    } else if (/^nats-route:\/\//.test(t)) {
      // the file's routes, one per node: the first stands for all of this cluster's
      if (route++ === 0) out.push(...routes);
    } else if (/^stream_replicas:/.test(t)) out.push(`stream_replicas: ${replicas}`);
    else out.push(t);
  }
  return out.join('\n') + '\n';
}

function getJson(port: number, urlPath: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new Error(`${urlPath}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${urlPath}: timeout`)));
    req.on('error', reject);
  });
}
