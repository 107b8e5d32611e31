// Shared harness for end-to-end tests: runs the built `bin/kite server` as a child
// process on a free port with a temporary data dir, drives it with the real kubectl
// (isolated discovery cache) or raw HTTPS with the admin client certificate, and polls
// conditions against deadlines instead of sleeping.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/** The repository root: KITE_ROOT, else the nearest ancestor of this file holding package.json. */
export const ROOT = findRoot();

function findRoot(): string {
  if (process.env.KITE_ROOT) return process.env.KITE_ROOT;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (package.json)');
    dir = up;
  }
  return dir;
}

export const KITE_BIN = join(ROOT, 'bin', 'kite');
export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  input?: string;
  /** Resolve with a non-zero exit code instead of throwing. */
  allowFail?: boolean;
  /** Another kubectl binary (e.g. an older release). */
  bin?: string;
  timeoutMs?: number;
}

export interface StartOptions {
  store?: 'sqlite' | 'memory';
  /** Reuse the directory of a previous server (restart on the same data). */
  dir?: string;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): Record<string, unknown>;
}

export interface RequestOptions {
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Send no client certificate. */
  anonymous?: boolean;
}

export class KiteServer {
  private exited: Promise<number | null>;
  private stopped = false;
  private creds?: Credentials;
  stderr = '';
  url = '';

  constructor(readonly proc: ChildProcess, readonly dir: string) {
    this.exited = new Promise((resolve) => proc.once('exit', (code, sig) => resolve(code ?? (sig ? -1 : null))));
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    proc.stdout?.resume();
  }

  get pid(): number {
    return this.proc.pid!;
  }
  get kubeconfig(): string {
    return join(this.dir, 'kubeconfig');
  }
  get dataDir(): string {
    return join(this.dir, 'data');
  }
  get cacheDir(): string {
    return join(this.dir, 'kubectl-cache');
  }
  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Resolves with the exit code (-1 when killed by a signal). */
  waitExit(timeoutMs = 15_000): Promise<number | null> {
    return withDeadline(this.exited, timeoutMs, `kite server pid ${this.pid} to exit`);
  }

  /** SIGTERM, wait for a clean exit, and remove the directory unless `keep`. */
  async stop(o: { keep?: boolean } = {}): Promise<number | null> {
    let code: number | null = null;
    if (this.alive) {
      this.proc.kill('SIGTERM');
      try {
        code = await this.waitExit();
      } catch (err) {
        this.proc.kill('SIGKILL');
        await this.exited;
        throw err;
      }
    }
    this.stopped = true;
    if (!o.keep) rmSync(this.dir, { recursive: true, force: true });
    return code;
  }

  /** SIGKILL: the crash case. Keeps the directory. */
  async kill9(): Promise<void> {
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** Test teardown: never throws, always removes the directory. */
  async cleanup(): Promise<void> {
    if (this.stopped && !existsSync(this.dir)) return;
    try {
      await this.stop();
    } catch {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  kubectl(args: string[], o: KubectlOptions = {}): Promise<ExecResult> {
    return kubectl(this, args, o);
  }

  /** Starts a long-running kubectl (e.g. `get -w`); stop it with `.kill()`. */
  spawnKubectl(args: string[], bin = KUBECTL): ChildProcess & { out: () => string } {
    const p = spawn(bin, ['--kubeconfig', this.kubeconfig, '--cache-dir', this.cacheDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    return Object.assign(p, { out: () => out });
  }

  /** An HTTPS request authenticated with the kubeconfig's admin client certificate. */
  request(method: string, path: string, o: RequestOptions = {}): Promise<HttpResult> {
    const creds = (this.creds ??= credentials(this.kubeconfig));
    const u = new URL(path, creds.server);
    const body = o.body === undefined ? undefined : Buffer.from(o.body);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          method, hostname: u.hostname, port: u.port, path: u.pathname + u.search, ca: creds.ca,
          ...(o.anonymous ? {} : { cert: creds.cert, key: creds.key }),
          headers: { Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json', 'Content-Length': String(body.length) } : {}), ...o.headers },
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) as Record<string, unknown> });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.end(body);
    });
  }

  /** Whether GET /version answers 200. */
  async healthy(): Promise<boolean> {
    try {
      return (await this.request('GET', '/version')).status === 200;
    } catch {
      return false;
    }
  }
}

interface Credentials {
  server: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export function credentials(kubeconfig: string): Credentials {
  type Named<T> = { name: string } & T;
  const kc = parseYaml(readFileSync(kubeconfig, 'utf8')) as {
    'current-context': string;
    contexts: Named<{ context: { cluster: string; user: string } }>[];
    clusters: Named<{ cluster: { server: string; 'certificate-authority-data': string } }>[];
    users: Named<{ user: { 'client-certificate-data': string; 'client-key-data': string } }>[];
  };
  const ctx = kc.contexts.find((c) => c.name === kc['current-context'])!.context;
  const cluster = kc.clusters.find((c) => c.name === ctx.cluster)!.cluster;
  const user = kc.users.find((u) => u.name === ctx.user)!.user;
  const b64 = (s: string) => Buffer.from(s, 'base64');
  return { server: cluster.server, ca: b64(cluster['certificate-authority-data']), cert: b64(user['client-certificate-data']), key: b64(user['client-key-data']) };
}

/** Starts `bin/kite server` on port 0 and resolves once it prints its ready line. */
export async function startServer(o: StartOptions = {}): Promise<KiteServer> {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error(`${ROOT}/dist is missing: run npm run build`);
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'kite-e2e-'));
  const proc = spawn(
    KITE_BIN,
    ['server', '--data-dir', join(dir, 'data'), '--port', '0', '--write-kubeconfig', join(dir, 'kubeconfig'), '--store', o.store ?? 'memory', '--disable-agent'],
    { cwd: ROOT, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const server = new KiteServer(proc, dir);
  try {
    await waitFor(
      () => {
        if (!server.alive) throw new Error(`kite server exited before ready:\n${server.stderr}`);
        const m = /ready at (https:\/\/\S+)/.exec(server.stderr);
        return m ? (server.url = m[1]) : undefined;
      },
      o.readyTimeoutMs ?? 30_000,
      'kite server to print its ready line',
    );
  } catch (err) {
    await server.cleanup();
    throw err;
  }
  return server;
}

export function kubectl(s: KiteServer, args: string[], o: KubectlOptions = {}): Promise<ExecResult> {
  const bin = o.bin ?? KUBECTL;
  const full = ['--kubeconfig', s.kubeconfig, '--cache-dir', s.cacheDir, ...args];
  return new Promise((resolve, reject) => {
    const p = spawn(bin, full, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    p.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    p.on('close', (code, sig) => {
      clearTimeout(timer);
      const r = { code: code ?? (sig ? -1 : 0), stdout, stderr };
      if (r.code !== 0 && !o.allowFail) reject(new Error(`kubectl ${args.join(' ')} exited ${r.code}${sig ? ` (${sig})` : ''}\nstdout: ${stdout}\nstderr: ${stderr}`));
      else resolve(r);
    });
    p.stdin.end(o.input ?? '');
  });
}

/**
 * Polls `fn` every 50 ms until it returns a truthy value (returned) or the deadline
 * passes (throws, with the last error `fn` threw, if any).
 */
export async function waitFor<T>(fn: () => T | Promise<T>, deadlineMs: number, what = 'condition'): Promise<NonNullable<T>> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs}ms waiting for ${what}${last ? `: ${last instanceof Error ? last.message : String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms}ms waiting for ${what}`)), ms))),
  ]);
}

/** Kills a child process by its PID and waits for it to go. */
export async function killChild(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill(signal);
  await withDeadline(gone, 10_000, `pid ${p.pid} to exit`);
}

/** The names of the served resources as kubectl sees them ("deployments.apps", "configmaps"). */
export async function servedResources(s: KiteServer): Promise<Set<string>> {
  const r = await s.kubectl(['api-resources', '-o', 'name']);
  return new Set(r.stdout.split('\n').filter(Boolean));
}
