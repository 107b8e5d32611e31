// The Kite server under test: `bin/kite server` as a child process, and HTTPS access to
// it with the admin client certificate from the kubeconfig it writes.
import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { send, until, type Target } from './load.js';
import { Child, freePort } from './procs.js';

const READY_TEXT = 'Kite API server ready at';

export interface Credentials {
  server: URL;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export function readKubeconfig(path: string): Credentials {
  type Named<T> = { name: string } & T;
  const kc = parseYaml(readFileSync(path, 'utf8')) as {
    'current-context'?: string;
    contexts?: Array<Named<{ context: { cluster: string; user: string } }>>;
    clusters?: Array<Named<{ cluster: { server: string; 'certificate-authority-data'?: string } }>>;
    users?: Array<Named<{ user: { 'client-certificate-data'?: string; 'client-key-data'?: string } }>>;
  };
  const ctx = kc.contexts?.find((c) => c.name === kc['current-context'])?.context;
  const cluster = kc.clusters?.find((c) => c.name === ctx?.cluster)?.cluster;
  const user = kc.users?.find((u) => u.name === ctx?.user)?.user;
  const b64 = (s: string | undefined, what: string) => {
    if (!s) throw new Error(`kubeconfig ${path} has no ${what}`);
    return Buffer.from(s, 'base64');
  };
  if (!cluster?.server) throw new Error(`kubeconfig ${path} has no server for its current context`);
  return {
    server: new URL(cluster.server),
    ca: b64(cluster['certificate-authority-data'], 'certificate-authority-data'),
    cert: b64(user?.['client-certificate-data'], 'client-certificate-data'),
    key: b64(user?.['client-key-data'], 'client-key-data'),
  };
}

export class KiteServer {
  private constructor(readonly child: Child, readonly creds: Credentials) {}

  /**
   * Starts `kite server --store sqlite` on 127.0.0.1 with its state in `dir` and resolves
   * once it reports ready and has written its kubeconfig. With `cpuProfDir`, the server
   * runs under `node --cpu-prof` and writes its profile there when stopped.
   */
  static async start(root: string, dir: string, cpuProfDir?: string): Promise<KiteServer> {
    const kubeconfig = join(dir, 'kubeconfig');
    const port = await freePort();
    const nodeFlags = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
    const args = ['server', '--store', 'sqlite', '--data-dir', join(dir, 'data'), '--bind-address', '127.0.0.1', '--port', String(port), '--write-kubeconfig', kubeconfig, '--disable-agent'];
    const child = new Child('kite server', process.execPath, [...nodeFlags, join(root, 'bin', 'kite'), ...args], [READY_TEXT]);
    const up = await until(() => Boolean(child.exited) || (child.seen.has(READY_TEXT) && existsSync(kubeconfig)), 60_000, 20);
    if (!up || child.exited) {
      await child.stop();
      throw new Error(`kite server did not become ready (${child.exited ?? 'timeout'}):\n${child.tail}`);
    }
    return new KiteServer(child, readKubeconfig(kubeconfig));
  }

  /** A keep-alive HTTPS client with at most `maxSockets` connections. */
  target(maxSockets: number): Target {
    const { server, ca, cert, key } = this.creds;
    return { url: server, agent: new https.Agent({ keepAlive: true, maxSockets, ca, cert, key }) };
  }

  /** V8 heap and external memory from prom-client's default gauges in /metrics, if served. */
  async heapSummary(): Promise<string | undefined> {
    const t = this.target(1);
    const r = await send(t, 'GET', '/metrics', undefined, true).catch(() => undefined);
    t.agent.destroy();
    if (r?.status !== 200 || !r.body) return undefined;
    const text = r.body.toString('utf8');
    const mib = (name: string) => (Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 1048576).toFixed(1);
    return `V8 heap ${mib('nodejs_heap_size_used_bytes')} MiB used of ${mib('nodejs_heap_size_total_bytes')} MiB, external ${mib('nodejs_external_memory_bytes')} MiB`;
  }

  /**
   * Resident memory once start-up work has died down: sampled every 500 ms until three
   * successive samples agree within 1% (at most 20 s), so a server still warming up is
   * not reported as idle.
   */
  async settledRssKiB(): Promise<number> {
    const samples: number[] = [];
    await until(() => {
      samples.push(this.child.memKiB('VmRSS'));
      const last = samples.slice(-3);
      return last.length === 3 && Math.max(...last) - Math.min(...last) <= Math.max(...last) * 0.01;
    }, 20_000, 500);
    return samples[samples.length - 1];
  }
}
