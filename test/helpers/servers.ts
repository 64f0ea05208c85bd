/**
 * Real git servers on 127.0.0.1 for the tests: git's own daemon (git://, with
 * receive-pack enabled) and git's smart HTTP (`git http-backend`, a CGI
 * program, behind a small HTTP server started here). Each serves the bare
 * repositories under a folder; `stop` ends it.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';

export interface GitServer {
  /** The URL a client pushes to for the bare repository `name` under the served folder. */
  url(name: string): string;
  stop(): Promise<void>;
}

/** A free port on 127.0.0.1, as the system hands one out. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createTcpServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on the port (within `ms`). */
async function listening(port: number, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `git daemon` serving the bare repositories under `root`, pushes allowed. */
export async function gitDaemon(root: string): Promise<GitServer> {
  const port = await freePort();
  const daemon = spawn('git', ['daemon', '--reuseaddr', '--listen=127.0.0.1', `--port=${port}`, `--base-path=${root}`, '--export-all', '--enable=receive-pack', root], { stdio: 'ignore' });
  await listening(port);
  return {
    url: (name) => `git://127.0.0.1:${port}/${name}`,
    stop: () =>
      new Promise((resolve) => {
        daemon.once('exit', () => resolve());
        daemon.kill();
      }),
  };
}

/** git's smart HTTP: each request runs `git http-backend` as CGI, as a web server would; the pusher is `REMOTE_USER` (push is then allowed). */
export async function httpBackend(root: string, user = 'pusher'): Promise<GitServer> {
  const server = createServer((req, res) => cgi(root, user, req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function cgi(root: string, user: string, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const header = (name: string) => (req.headers[name] as string | undefined) ?? '';
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REMOTE_USER: user,
      REMOTE_ADDR: '127.0.0.1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: header('content-type'),
      HTTP_CONTENT_ENCODING: header('content-encoding'),
      GIT_PROTOCOL: header('git-protocol'),
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  req.pipe(child.stdin);
  // The CGI's output: headers (Status: among them) up to a blank line, then the body.
  let head = Buffer.alloc(0);
  let sent = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (sent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end === -1) return;
    sent = true;
    let status = 200;
    for (const line of head.toString('latin1', 0, end).split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  child.stdout.on('end', () => res.end());
}
