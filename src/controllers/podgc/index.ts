// The pod garbage collector, every 20 seconds: terminated pods beyond
// --terminated-pod-gc-threshold (evicted first, then oldest), pods bound to nodes that no
// longer exist (after a 40 s quarantine and a live check), terminating pods that were
// never scheduled, and terminating pods on out-of-service nodes are force-deleted.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound, type GroupVersionResource, type Informer, type ResourceClient } from '../../client/index.js';
import { isPodTerminated } from '../../api/helpers/pod.js';
import { rfc3339Now } from '../../machinery/meta.js';
import { logger } from '../../util/log.js';
import type { Controller, ControllerContext, ControllerFactory } from '../context.js';

const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const NODES: GroupVersionResource = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
export const GC_PERIOD_MS = 20_000;
export const QUARANTINE_MS = 40_000;
const OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';
const log = logger('pod-garbage-collector');

const evicted = (p: Pod): boolean => p.status?.phase === 'Failed' && p.status?.reason === 'Evicted';
const created = (p: Pod): number => Date.parse(p.metadata?.creationTimestamp ?? '') || 0;

/** Evicted pods first, then by age (oldest first), then by name. */
export function terminatedDeletionOrder(a: Pod, b: Pod): number {
  if (evicted(a) !== evicted(b)) return evicted(a) ? -1 : 1;
  return created(a) - created(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

class PodGC implements Controller {
  readonly name = 'podgc';
  private readonly podClient: ResourceClient<Pod>;
  private readonly nodeClient: ResourceClient<Node>;
  private podInf!: Informer<Pod>;
  private nodeInf!: Informer<Node>;
  /** Node names pods are bound to but the cache lacks, with when that was first seen. */
  private readonly missingSince = new Map<string, number>();

  constructor(private readonly ctx: ControllerContext) {
    this.podClient = ctx.client.resource<Pod>(PODS);
    this.nodeClient = ctx.client.resource<Node>(NODES);
  }

  async run(signal: AbortSignal): Promise<void> {
    this.podInf = this.ctx.informers.informerFor<Pod>(PODS);
    this.nodeInf = this.ctx.informers.informerFor<Node>(NODES);
    if (!(await this.ctx.informers.waitForSync(signal))) return;
    while (await this.ctx.clock.sleep(GC_PERIOD_MS, signal)) {
      try {
        await this.gc();
      } catch (e) {
        log.warn({ err: String(e) }, 'pod garbage collection failed');
      }
    }
  }

  /** One collection pass. */
  async gc(): Promise<void> {
    const pods = this.podInf.lister.list();
    const threshold = this.ctx.options.terminatedPodGcThreshold;
    if (threshold > 0) {
      const terminated = pods.filter(isPodTerminated);
      if (terminated.length > threshold) {
        const victims = [...terminated].sort(terminatedDeletionOrder).slice(0, terminated.length - threshold);
        await Promise.all(victims.map((p) => this.forceDelete(p)));
      }
    }
    await this.gcOrphaned(pods);
    await Promise.all(pods.filter((p) => p.metadata?.deletionTimestamp && !p.spec?.nodeName).map((p) => this.forceDelete(p)));
    await this.gcOutOfService(pods);
  }

  private async gcOrphaned(pods: Pod[]): Promise<void> {
    const now = this.ctx.clock.now();
    const missing = new Set<string>();
    for (const p of pods) {
      const node = p.spec?.nodeName;
      if (node && !this.nodeInf.lister.get('', node)) missing.add(node);
    }
    for (const n of [...this.missingSince.keys()]) if (!missing.has(n)) this.missingSince.delete(n);
    const gone = new Set<string>();
    for (const n of missing) {
      const since = this.missingSince.get(n);
      if (since === undefined) { this.missingSince.set(n, now); continue; }
      if (now - since < QUARANTINE_MS) continue;
      // The cache may lag: only a node the server does not have is gone.
      try {
        await this.nodeClient.get('', n);
        continue;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      gone.add(n);
      this.missingSince.delete(n);
    }
    if (!gone.size) return;
    await Promise.all(pods.filter((p) => gone.has(p.spec?.nodeName ?? '')).map(async (p) => {
      await this.markFailed(p, 'PodGC: node no longer exists');
      await this.forceDelete(p);
    }));
  }

  private async gcOutOfService(pods: Pod[]): Promise<void> {
    const outOfService = new Set(this.nodeInf.lister.list().filter((n) =>
      n.spec?.taints?.some((t) => t.key === OUT_OF_SERVICE) &&
      n.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True').map((n) => n.metadata?.name));
    if (!outOfService.size) return;
    await Promise.all(pods.filter((p) => p.metadata?.deletionTimestamp && outOfService.has(p.spec?.nodeName)).map(async (p) => {
      await this.markFailed(p, 'PodGC: node is out-of-service');
      await this.forceDelete(p);
    }));
  }

  /** Records why the pod goes (DisruptionTarget) and, unless terminated already, that it failed. */
  private async markFailed(p: Pod, message: string): Promise<void> {
    const now = rfc3339Now(this.ctx.clock.now());
    const conditions = [...(p.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'),
      { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message, lastTransitionTime: now }];
    const status = isPodTerminated(p) ? { conditions } : { phase: 'Failed', conditions };
    try {
      await this.podClient.patch(p.metadata?.namespace ?? '', p.metadata?.name ?? '', 'merge', { status }, { subresource: 'status' });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  private async forceDelete(p: Pod): Promise<void> {
    try {
      await this.podClient.delete(p.metadata?.namespace ?? '', p.metadata?.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: p.metadata?.uid } });
    } catch (e) {
      if (!isNotFound(e)) log.warn({ pod: `${p.metadata?.namespace}/${p.metadata?.name}`, err: String(e) }, 'pod deletion failed');
    }
  }
}

export const podGarbageCollector: ControllerFactory = (ctx) => new PodGC(ctx);
