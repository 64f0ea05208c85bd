/**
 * A fake of the Chatbot Platform's API on 127.0.0.1, giving the responses its
 * documentation describes, and counting what it is sent.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export type Behaviour =
  | 'active'
  | 'restricted'
  | 'echoes-key'
  | 'invalid'
  | 'expired'
  | 'html-403'
  | 'server-error'
  | 'hang'
  | { rateLimited: number; retryAfter?: string; then: Behaviour }
  | 'always-rate-limited';

export interface FakePlatform {
  url: string;
  /** What to answer for each key (unknown keys get 401 INVALID_API_KEY, as the platform would). */
  keys: Map<string, Behaviour>;
  /** Requests per key, and when each arrived. */
  requests: Map<string, number[]>;
  /** The most requests in flight at once. */
  maxInFlight: number;
  /** Every request line and header set seen (to check where the key travelled). */
  seen: { url: string; headers: IncomingMessage['headers'] }[];
  delayMs: number;
  close(): Promise<void>;
}

/** `tls`: serve HTTPS with this key and certificate (for `localhost`), as the real platform does. */
export async function startPlatform(tls?: { key: string; cert: string }): Promise<FakePlatform> {
  let inFlight = 0;
  const hung: ServerResponse[] = [];
  const p: FakePlatform = {
    url: '',
    keys: new Map(),
    requests: new Map(),
    maxInFlight: 0,
    seen: [],
    delayMs: 0,
    close: () =>
      new Promise((resolve) => {
        for (const res of hung) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const answer = (res: ServerResponse, b: Behaviour, key: string, count: number) => {
    if (typeof b === 'object') {
      if (count <= b.rateLimited) return json(res, 429, { error: { code: 'RATE_LIMITED' } }, b.retryAfter ? { 'Retry-After': b.retryAfter } : {});
      return answer(res, b.then, key, count);
    }
    switch (b) {
      case 'active':
        return json(res, 200, { data: [{ id: 'bot_1', name: 'Support bot' }] });
      case 'restricted':
        return json(res, 403, {
          error: { code: 'INSUFFICIENT_PERMISSIONS', message: 'API key does not have permission to perform this action', required_scope: 'bots:read' },
        });
      case 'echoes-key': // a broken endpoint or proxy that puts the Authorization header into its answer
        return json(res, 403, { error: { code: 'INSUFFICIENT_PERMISSIONS', required_scope: `${key}\u001b[2J` } });
      case 'invalid':
        return json(res, 401, { error: { code: 'INVALID_API_KEY', message: 'The provided API key is invalid' } });
      case 'expired':
        return json(res, 401, { error: { code: 'API_KEY_EXPIRED', message: 'This API key has expired' } });
      case 'html-403':
        res.writeHead(403, { 'Content-Type': 'text/html' });
        return res.end('<html><body><h1>403 Forbidden</h1>Request blocked by the firewall</body></html>');
      case 'server-error':
        return json(res, 503, { error: { code: 'UNAVAILABLE' } });
      case 'always-rate-limited':
        return json(res, 429, { error: { code: 'RATE_LIMITED' } }, { 'Retry-After': '0' });
      case 'hang':
        hung.push(res);
        return;
    }
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    p.seen.push({ url: req.url ?? '', headers: req.headers });
    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const times = p.requests.get(key) ?? [];
    times.push(Date.now());
    p.requests.set(key, times);
    if (req.method !== 'GET' || req.url !== '/v1/bots') return json(res, 404, { error: { code: 'NOT_FOUND' } });
    inFlight++;
    p.maxInFlight = Math.max(p.maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    setTimeout(() => answer(res, p.keys.get(key) ?? 'invalid', key, times.length), p.delayMs);
  };
  const server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  p.url = tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`;
  return p;
}

/** A key and a self-signed certificate for `localhost` (openssl), in `dir`: trusted only where NODE_EXTRA_CA_CERTS names it. */
export function localhostCertificate(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

export interface FakeProxy {
  url: string;
  /** `host:port` of each CONNECT tunnel opened. */
  tunnels: string[];
  /** Every byte relayed through the tunnels, both ways: with TLS end to end, never a key in it. */
  relayed: Buffer[];
  /** Plain requests sent to the proxy itself (a proxied http:// request). */
  plain: string[];
  close(): Promise<void>;
}

/** An HTTP proxy on 127.0.0.1 that opens CONNECT tunnels, as a company's egress proxy does. */
export async function startProxy(): Promise<FakeProxy> {
  const sockets = new Set<Socket>();
  const p: FakeProxy = {
    url: '',
    tunnels: [],
    relayed: [],
    plain: [],
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    p.plain.push(`${req.method ?? ''} ${req.url ?? ''}`);
    res.writeHead(502).end();
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    p.tunnels.push(target);
    const [host = '', port = '443'] = target.split(':');
    const upstream = connect(Number(port), host === 'localhost' ? '127.0.0.1' : host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      client.on('data', (c: Buffer) => p.relayed.push(Buffer.from(c)));
      upstream.on('data', (c: Buffer) => p.relayed.push(Buffer.from(c)));
      client.pipe(upstream).pipe(client);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  p.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return p;
}
