// The reference store: a real single-member etcd on loopback, written through its JSON
// gRPC gateway (POST /v3/kv/put with base64 key and value; the path etcd 3.4 and later serve).
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { send, type Target } from './load.js';
import { Child, freePort } from './procs.js';

export function findEtcd(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export class EtcdServer {
  private constructor(readonly child: Child, readonly url: URL, readonly version: string) {}

  /** Starts etcd with client and peer URLs on free loopback ports and its data in `dir`; resolves once healthy. */
  static async start(bin: string, dir: string): Promise<EtcdServer> {
    const client = `http://127.0.0.1:${await freePort()}`;
    const peer = `http://127.0.0.1:${await freePort()}`;
    const child = new Child('etcd', bin, [
      '--name', 'kbench',
      '--data-dir', join(dir, 'etcd'),
      '--listen-client-urls', client,
      '--advertise-client-urls', client,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `kbench=${peer}`,
    ]);
    const admin: Target = { url: new URL(client), agent: new http.Agent({ keepAlive: true, maxSockets: 1 }) };
    try {
      let healthy = false;
      const deadline = Date.now() + 30_000;
      while (!healthy && !child.exited && Date.now() < deadline) {
        const r = await send(admin, 'GET', '/health', undefined, true).catch(() => undefined);
        healthy = r?.status === 200 && r.body?.toString('utf8').includes('"true"') === true;
        if (!healthy) await new Promise((res) => setTimeout(res, 50));
      }
      if (!healthy) throw new Error(`etcd did not become healthy (${child.exited ?? 'timeout'}):\n${child.tail}`);
      const v = await send(admin, 'GET', '/version', undefined, true);
      const version = (JSON.parse(v.body!.toString('utf8')) as { etcdserver: string }).etcdserver;
      return new EtcdServer(child, new URL(client), version);
    } catch (err) {
      await child.stop();
      throw err;
    } finally {
      admin.agent.destroy();
    }
  }

  /** A keep-alive HTTP client with at most `maxSockets` connections. */
  target(maxSockets: number): Target {
    return { url: this.url, agent: new http.Agent({ keepAlive: true, maxSockets }) };
  }

  static putBody(key: string, value: Buffer): Buffer {
    return Buffer.from(`{"key":"${Buffer.from(key).toString('base64')}","value":"${value.toString('base64')}"}`);
  }
}
