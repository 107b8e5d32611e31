// A stand-in for kubelets in workload controller tests: it registers Node objects, binds
// pods still without a node (to the node a daemon pod is pinned to, else the first node),
// moves bound pods to the phase a test's policy picks, and finishes graceful deletions.
// It polls the API; nothing here waits on real time for state.
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { Client, HttpTransport, isConflict, isNotFound, type KubeObject } from '../../../src/client/index.js';

const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const NODES = { group: '', version: 'v1', resource: 'nodes', namespaced: false };

/** What the fake kubelet does with a freshly bound pod. */
export type PodFate = 'ready' | 'succeed' | 'fail' | 'hold';

type PodObj = Pod & KubeObject;

const now = () => `${new Date().toISOString().slice(0, 19)}Z`;

export class WorkloadsKubelet {
  readonly client: Client;
  private readonly handled = new Set<string>();
  private readonly deleting = new Set<string>();
  /** Decides each bound pod's fate; `ready` by default. */
  fate: (pod: Pod) => PodFate = () => 'ready';

  constructor(kubeconfigPath: string) {
    this.client = new Client(HttpTransport.fromKubeconfig(kubeconfigPath));
  }

  private get pods() { return this.client.resource<PodObj>(PODS); }

  async addNode(name: string, opts: { labels?: Record<string, string>; taints?: Taint[] } = {}): Promise<void> {
    const nodes = this.client.resource<Node & KubeObject>(NODES);
    await nodes.create('', {
      apiVersion: 'v1', kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...opts.labels } },
      spec: { taints: opts.taints },
    });
    const capacity = { cpu: '8', memory: '16Gi', pods: '110' };
    await nodes.patch('', name, 'merge', {
      status: { capacity, allocatable: capacity, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'fake kubelet', lastHeartbeatTime: now(), lastTransitionTime: now() }] },
    }, { subresource: 'status' });
  }

  /** Marks a pod Running and Ready. */
  async setReady(ns: string, name: string): Promise<void> {
    const t = now();
    await this.pods.patch(ns, name, 'merge', {
      status: {
        phase: 'Running', startTime: t,
        conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: t })),
        containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'busybox', imageID: '', started: true, state: { running: { startedAt: t } } }],
      },
    }, { subresource: 'status' });
  }

  /** Ends a pod with the exit code: 0 Succeeded, anything else Failed. */
  async finish(ns: string, name: string, exitCode: number): Promise<void> {
    const t = now();
    await this.pods.patch(ns, name, 'merge', {
      status: {
        phase: exitCode === 0 ? 'Succeeded' : 'Failed',
        conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: t }],
        containerStatuses: [{ name: 'c', ready: false, restartCount: 0, image: 'busybox', imageID: '', state: { terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', startedAt: t, finishedAt: t } } }],
      },
    }, { subresource: 'status' });
  }

  /** One pass over every pod. */
  async step(): Promise<void> {
    const nodes = (await this.client.resource<Node & KubeObject>(NODES).list('')).items.map((n) => n.metadata!.name!);
    for (const pod of (await this.pods.list('')).items) {
      const ns = pod.metadata!.namespace!, name = pod.metadata!.name!, uid = pod.metadata!.uid!;
      try {
        if (pod.metadata?.deletionTimestamp) {
          if (this.deleting.has(uid)) continue;
          this.deleting.add(uid);
          if (pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed') await this.finish(ns, name, 137);
          await this.pods.delete(ns, name, { gracePeriodSeconds: 0 });
          continue;
        }
        if (!pod.spec?.nodeName) {
          const pinned = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms
            ?.flatMap((t) => t.matchFields ?? []).find((f) => f.key === 'metadata.name')?.values?.[0];
          const target = pinned ?? nodes[0];
          if (!target || !nodes.includes(target)) continue;
          await this.client.rest.request({
            method: 'POST', path: `/api/v1/namespaces/${ns}/pods/${name}/binding`,
            body: { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: target } },
          });
          continue;
        }
        if (this.handled.has(uid)) continue;
        this.handled.add(uid);
        const fate = this.fate(pod);
        if (fate === 'ready') await this.setReady(ns, name);
        else if (fate === 'succeed') await this.finish(ns, name, 0);
        else if (fate === 'fail') await this.finish(ns, name, 1);
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
  }

  /** Steps every few milliseconds until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try { await this.step(); } catch { /* the next pass retries */ }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
