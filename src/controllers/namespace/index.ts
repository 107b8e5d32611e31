// The namespace controller: a namespace being deleted (deletionTimestamp set, phase
// Terminating) has everything inside it deleted, reports progress in status.conditions,
// and once it is empty drops the "kubernetes" finalizer through namespaces/finalize, after
// which the API server removes the namespace.
import type { Namespace, NamespaceCondition } from 'kubernetes-types/core/v1.js';
import {
  WorkQueue, decodeResponse, discoverResources, isNotFound, type GroupVersionResource, type Informer, type KubeObject, type ResourceClient,
} from '../../client/index.js';
import { groupResourceString, hasVerbs, type DiscoveredResource } from '../../api/helpers/discovery.js';
import { rfc3339Now } from '../../machinery/meta.js';
import type { Controller, ControllerContext, ControllerFactory } from '../context.js';

const NAMESPACES: GroupVersionResource = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
const FINALIZER = 'kubernetes';
/** Upstream resyncs namespaces every five minutes. */
const RESYNC_MS = 5 * 60_000;

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

type CondStatus = 'True' | 'False';
/** The deletion conditions, in the order upstream writes them. */
const CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure', 'NamespaceDeletionGroupVersionParsingFailure', 'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining', 'NamespaceFinalizersRemaining',
] as const;

/** What one pass of content deletion found. */
interface Pass {
  discoveryFailures: string[];
  deleteFailures: string[];
  /** "pods." → instances left. */
  remaining: Map<string, number>;
  /** finalizer → instances carrying it. */
  finalizers: Map<string, number>;
  /** Seconds until graceful deletions are due to finish. */
  estimateSeconds: number;
}

/** The status.conditions a pass implies (upstream reasons and messages). */
export function deletionConditions(p: Pass, now: string, previous: readonly NamespaceCondition[] = []): NamespaceCondition[] {
  const list = (m: Map<string, number>, fmt: (k: string, n: number) => string) => [...m].filter(([, n]) => n > 0).map(([k, n]) => fmt(k, n)).sort().join(', ');
  const rem = list(p.remaining, (k, n) => `${k} has ${n} resource instances`);
  const fins = list(p.finalizers, (k, n) => `${k} in ${n} resource instances`);
  const want: Record<(typeof CONDITION_TYPES)[number], [CondStatus, string, string]> = {
    NamespaceDeletionDiscoveryFailure: p.discoveryFailures.length
      ? ['True', 'DiscoveryFailed', `Discovery failed for some groups, ${p.discoveryFailures.length} failing: ${p.discoveryFailures.join(', ')}`]
      : ['False', 'ResourcesDiscovered', 'All resources successfully discovered'],
    NamespaceDeletionGroupVersionParsingFailure: ['False', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
    NamespaceDeletionContentFailure: p.deleteFailures.length
      ? ['True', 'ContentDeletionFailed', `Failed to delete all resource types, ${p.deleteFailures.length} remaining: ${p.deleteFailures.join(', ')}`]
      : ['False', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
    NamespaceContentRemaining: rem ? ['True', 'SomeResourcesRemain', `Some resources are remaining: ${rem}`] : ['False', 'ContentRemoved', 'All content successfully removed'],
    NamespaceFinalizersRemaining: fins
      ? ['True', 'SomeFinalizersRemain', `Some content in the namespace has finalizers remaining: ${fins}`]
      : ['False', 'ContentHasNoFinalizers', 'All content-preserving finalizers finished'],
  };
  const others = previous.filter((c) => !(CONDITION_TYPES as readonly string[]).includes(c.type));
  return [...others, ...CONDITION_TYPES.map((type) => {
    const [status, reason, message] = want[type];
    const prev = previous.find((c) => c.type === type);
    // The transition time moves only when the status does.
    const lastTransitionTime = prev && prev.status === status ? prev.lastTransitionTime : now;
    return { type, status, lastTransitionTime, reason, message };
  })];
}

class NamespaceController implements Controller {
  readonly name = 'namespace';
  private readonly queue: WorkQueue<string>;
  private readonly nsClient: ResourceClient<Namespace>;
  private nsInf!: Informer<Namespace>;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue({ clock: ctx.clock, name: 'namespace' });
    this.nsClient = ctx.client.resource<Namespace>(NAMESPACES);
  }

  async run(signal: AbortSignal): Promise<void> {
    this.nsInf = this.ctx.informers.informerFor<Namespace>(NAMESPACES);
    const add = (ns: Namespace) => { if (ns.metadata?.deletionTimestamp) this.queue.add(ns.metadata.name ?? ''); };
    this.nsInf.addEventHandler({ onAdd: add, onUpdate: (_o, ns) => add(ns) });
    if (!(await this.ctx.informers.waitForSync(signal))) return;
    const resync = (async () => {
      while (await this.ctx.clock.sleep(RESYNC_MS, signal)) for (const ns of this.nsInf.lister.list()) add(ns);
    })();
    await Promise.all([this.queue.runWorkers(this.ctx.options.workers, (name) => this.sync(name), signal), resync]);
  }

  private async sync(name: string): Promise<{ requeueAfterMs?: number } | void> {
    let ns: Namespace;
    try {
      ns = await this.nsClient.get('', name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (!ns.metadata?.deletionTimestamp) return;
    if (ns.status?.phase !== 'Terminating') ns = await this.nsClient.updateStatus('', { ...ns, status: { ...ns.status, phase: 'Terminating' } });
    if (!ns.spec?.finalizers?.includes(FINALIZER)) return;

    const pass = await this.deleteContent(name);
    const conditions = deletionConditions(pass, rfc3339Now(this.ctx.clock.now()), ns.status?.conditions);
    const changed = (a: NamespaceCondition[] = [], b: NamespaceCondition[]) =>
      a.length !== b.length || a.some((c, i) => c.type !== b[i].type || c.status !== b[i].status || c.reason !== b[i].reason || c.message !== b[i].message);
    if (changed(ns.status?.conditions, conditions)) {
      try {
        ns = await this.nsClient.updateStatus('', { ...ns, status: { ...ns.status, conditions } });
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
    }
    if (pass.discoveryFailures.length || pass.deleteFailures.length) throw new Error(`namespace ${name}: content deletion incomplete`);
    if (pass.remaining.size) return { requeueAfterMs: Math.max(1000, pass.estimateSeconds * 500) };

    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== FINALIZER);
    try {
      decodeResponse(await this.ctx.client.rest.request({
        method: 'PUT', path: this.nsClient.path('', name, 'finalize'),
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, resourceVersion: ns.metadata?.resourceVersion }, spec: { finalizers } },
      }));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Deletes every namespaced resource's objects in ns and reports what is left. */
  private async deleteContent(ns: string): Promise<Pass> {
    const pass: Pass = { discoveryFailures: [], deleteFailures: [], remaining: new Map(), finalizers: new Map(), estimateSeconds: 0 };
    const resources = await this.discover(pass);
    await Promise.all(resources.map(async (r) => {
      const gvr: GroupVersionResource = { group: r.group, version: r.version, resource: r.resource, namespaced: true };
      const client = this.ctx.client.resource<KubeObject & { metadata?: { finalizers?: string[]; deletionGracePeriodSeconds?: number } }>(gvr);
      try {
        if (hasVerbs(r, 'deletecollection')) await client.deleteCollection(ns, { propagationPolicy: 'Background' });
        else {
          for (const o of (await client.listAll(ns)).items) {
            if (o.metadata?.deletionTimestamp) continue;
            await client.delete(ns, o.metadata?.name ?? '', { propagationPolicy: 'Background' }).catch((e: unknown) => { if (!isNotFound(e)) throw e; });
          }
        }
        const left = (await client.listAll(ns)).items;
        if (!left.length) return;
        pass.remaining.set(groupResourceString(r), left.length);
        for (const o of left) {
          for (const f of o.metadata?.finalizers ?? []) pass.finalizers.set(f, (pass.finalizers.get(f) ?? 0) + 1);
          pass.estimateSeconds = Math.max(pass.estimateSeconds, o.metadata?.deletionGracePeriodSeconds ?? 0);
        }
      } catch (e) {
        if (isNotFound(e)) return;
        pass.deleteFailures.push(`${groupResourceString(r)}: ${errText(e)}`);
      }
    }));
    pass.deleteFailures.sort();
    return pass;
  }

  private async discover(pass: Pass): Promise<DiscoveredResource[]> {
    const { resources, failed } = await discoverResources(this.ctx.client);
    for (const [gv, err] of failed) pass.discoveryFailures.push(`${gv}: ${err}`);
    return resources.filter((r) => r.namespaced && hasVerbs(r, 'list', 'delete'));
  }
}

export const namespaceController: ControllerFactory = (ctx) => new NamespaceController(ctx);
