import * as http from 'node:http';

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A logged-in (or not) user of the HQ console over real HTTP: keeps the cookies the console sets, sends the CSRF
 * token of the last page seen with every POST, and reuses one keep-alive connection.
 */
export class ConsoleHttp {
  private readonly cookies = new Map<string, string>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  csrf = '';

  constructor(readonly base: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(headers: http.IncomingHttpHeaders): void {
    for (const c of headers['set-cookie'] ?? []) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  request(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<HttpReply> {
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const url = new URL(path, this.base);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method,
          agent: this.agent,
          headers: {
            cookie: this.cookieHeader(),
            ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            this.remember(res.headers);
            const text = Buffer.concat(chunks).toString('utf8');
            const token = /name="_csrf" value="([^"]+)"/.exec(text);
            if (token) this.csrf = token[1];
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  get(path: string): Promise<HttpReply> {
    return this.request('GET', path);
  }

  /** POSTs a form with the CSRF token of the last page this user saw. */
  post(path: string, form: Record<string, string>): Promise<HttpReply> {
    return this.request('POST', path, { _csrf: this.csrf, ...form });
  }

  /** GET /login, then POST it; resolves when the console answered with a redirect (a session), else throws. */
  async login(username: string, password: string): Promise<void> {
    await this.get('/login');
    const r = await this.post('/login', { username, password });
    if (r.status !== 302 && r.status !== 303) throw new Error(`login as ${username} failed: ${r.status} ${r.body.slice(0, 300)}`);
  }

  close(): void {
    this.agent.destroy();
  }
}
