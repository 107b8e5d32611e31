// Shared set-up for the Deployment, GC and namespace integration tests: an in-process
// server (memory store), the real kubectl against it, and the fake kubelet that makes pods
// ready. Polls with deadlines; never sleeps for state.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServer, type RunningServer } from '../../../src/cluster/server.js';
import { DeploymentKubelet } from './deployment-kubelet.js';

export interface Item {
  metadata: {
    name: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>;
    finalizers?: string[]; deletionTimestamp?: string; generation?: number;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export async function until<T>(fn: () => Promise<T | undefined | false>, what: string, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export class TestCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'kite-deploy-'));
  private readonly ac = new AbortController();
  private serving?: Promise<void>;
  private kubeletRun?: Promise<void>;
  kubeconfig = '';
  kubelet!: DeploymentKubelet;

  async start(): Promise<void> {
    const ready = new Promise<RunningServer>((resolve, reject) => {
      this.serving = runServer({ dataDir: join(this.dir, 'data'), bindAddress: '127.0.0.1', port: 0, writeKubeconfig: join(this.dir, 'kubeconfig'), store: 'memory', disableAgent: true }, this.ac.signal, resolve);
      this.serving.catch(reject);
    });
    this.kubeconfig = (await ready).kubeconfigPath;
    this.kubelet = new DeploymentKubelet(this.kubeconfig);
    this.kubeletRun = this.kubelet.run(this.ac.signal);
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await Promise.all([this.serving, this.kubeletRun]);
    rmSync(this.dir, { recursive: true, force: true });
  }

  kubectl(args: string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile('kubectl', ['--kubeconfig', this.kubeconfig, '--cache-dir', join(this.dir, 'cache'), ...args], { timeout: 90_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`));
        else resolve(stdout);
      });
      if (input !== undefined) child.stdin!.end(input);
    });
  }

  async get<T = Item>(...args: string[]): Promise<T> { return JSON.parse(await this.kubectl(['get', ...args, '-o', 'json'])) as T; }
  async list(...args: string[]): Promise<Item[]> { return (await this.get<{ items: Item[] }>(...args)).items; }
  async exists(...args: string[]): Promise<boolean> { return (await this.kubectl(['get', ...args, '--ignore-not-found', '-o', 'name'])).trim() !== ''; }
  apply(obj: unknown): Promise<string> { return this.kubectl(['apply', '-f', '-'], JSON.stringify(obj)); }
}

export function deployment(name: string, ns: string, replicas: number, image: string, extra: Record<string, unknown> = {}): unknown {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns },
    spec: {
      replicas, selector: { matchLabels: { app: name } }, ...extra,
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } },
    },
  };
}
