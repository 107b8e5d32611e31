// Test support for the services and nodes integration tests: an in-process server, a
// kubectl runner, and a minimal fake kubelet that registers nodes, renews their Leases
// (until told to stop) and gives pods a status with an IP.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { Client, HttpTransport, isNotFound, type KubeObject } from '../../../src/client/index.js';
import { runServer } from '../../../src/cluster/server.js';
import type { ControllerOptions } from '../../../src/controllers/index.js';

const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const NODES = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true };

export interface Run { code: number; stdout: string; stderr: string }

export interface Cluster {
  client: Client;
  kubectl(args: string[], stdin?: string): Promise<Run>;
  /** kubectl that must succeed; its stdout. */
  ok(args: string[], stdin?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startCluster(name: string, controllerOptions: Partial<ControllerOptions> = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), `kite-${name}-`));
  const ac = new AbortController();
  let serving!: Promise<void>;
  const kubeconfig = await new Promise<string>((resolve, reject) => {
    serving = runServer({ dataDir: join(dir, 'data'), bindAddress: '127.0.0.1', port: 0, store: 'memory', disableAgent: true, controllerOptions }, ac.signal, (s) => resolve(s.kubeconfigPath));
    serving.catch(reject);
  });
  const kubectl = (args: string[], stdin?: string): Promise<Run> => new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
  return {
    client: new Client(HttpTransport.fromKubeconfig(kubeconfig)),
    kubectl,
    async ok(args, stdin) {
      const r = await kubectl(args, stdin);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    },
    async stop() {
      ac.abort();
      await serving.catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const stamp = () => `${new Date().toISOString().slice(0, 19)}Z`;
const micro = () => `${new Date().toISOString().slice(0, 23)}000Z`;

export class NodesKubelet {
  private readonly beating = new Map<string, NodeJS.Timeout>();
  constructor(readonly client: Client) {}

  /** Registers a Ready node and renews its Lease every 200ms until stopHeartbeat. */
  async addNode(name: string): Promise<void> {
    const nodes = this.client.resource<Node & KubeObject>(NODES);
    await nodes.create('', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
    await nodes.patch('', name, 'merge', {
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: stamp(), lastTransitionTime: stamp() }] },
    }, { subresource: 'status' });
    const leases = this.client.resource<KubeObject>(LEASES);
    await leases.create('kube-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: micro() } } as KubeObject);
    const t = setInterval(() => { void leases.patch('kube-node-lease', name, 'merge', { spec: { renewTime: micro() } }).catch(() => undefined); }, 200);
    this.beating.set(name, t);
  }

  stopHeartbeat(name: string): void {
    clearInterval(this.beating.get(name));
    this.beating.delete(name);
  }

  stopAll(): void { for (const n of [...this.beating.keys()]) this.stopHeartbeat(n); }

  /** Creates a pod bound to `node`, Running with `ip`, Ready or not. */
  async addPod(ns: string, name: string, o: { labels: Record<string, string>; node: string; ip: string; ready: boolean; ports?: { name: string; containerPort: number }[] }): Promise<void> {
    const pods = this.client.resource<Pod & KubeObject>(PODS);
    await pods.create(ns, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: o.labels },
      spec: { nodeName: o.node, containers: [{ name: 'c', image: 'busybox', ports: o.ports }] },
    });
    await this.setStatus(ns, name, o.ip, o.ready);
  }

  async setStatus(ns: string, name: string, ip: string, ready: boolean): Promise<void> {
    const t = stamp();
    await this.client.resource<Pod & KubeObject>(PODS).patch(ns, name, 'merge', {
      status: {
        phase: 'Running', podIP: ip, podIPs: [{ ip }], startTime: t,
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: t }, { type: 'PodScheduled', status: 'True', lastTransitionTime: t }],
      },
    }, { subresource: 'status' });
  }

  /** Finishes graceful deletions, as a kubelet does once containers stopped. */
  async reapDeleted(): Promise<void> {
    const pods = this.client.resource<Pod & KubeObject>(PODS);
    for (const p of (await pods.list('')).items) {
      if (!p.metadata?.deletionTimestamp) continue;
      try { await pods.delete(p.metadata.namespace!, p.metadata.name!, { gracePeriodSeconds: 0 }); } catch (e) { if (!isNotFound(e)) throw e; }
    }
  }
}

/** Polls until fn returns a value (not undefined) or the deadline passes. */
export async function until<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
