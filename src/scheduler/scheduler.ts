// The scheduler component: informers feed the cache (nodes, bound pods) and the queue
// (pending pods of this scheduler); one loop pops pods and runs synchronous scheduling
// cycles; each chosen pod is assumed on its node at once and bound in the background
// (bounded concurrency); failures record why (PodScheduled=False, FailedScheduling).
import type { Namespace, Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import {
  decodeResponse, EventBroadcaster, isConflict, isNotFound,
  type Client, type EventRecorder, type GroupVersionResource, type Informer, type ResourceClient, type SharedInformerFactory,
} from '../client/index.js';
import { rfc3339Now } from '../machinery/meta.js';
import { selectorFromLabelSelector, selectorFromSet, type LabelSelector, type Selector } from '../machinery/labels.js';
import { realClock, type Clock } from '../util/clock.js';
import { logger } from '../util/log.js';
import { SchedulerCache } from './cache.js';
import { FitError, Framework } from './framework.js';
import { newPodInfo, type PodInfo } from './podinfo.js';
import { defaultProfile, DEFAULT_SCHEDULER_NAME, pluginEvents } from './profile.js';
import { SchedulingQueue, type QueuedPodInfo } from './queue.js';
import { defaultBinder } from './plugins/defaultbinder/index.js';
import { defaultPreemption } from './plugins/defaultpreemption/index.js';
import { CycleState, type ClusterEvent, type Profile } from './types.js';

const log = logger('scheduler');

const gvr = (group: string, version: string, resource: string, namespaced: boolean): GroupVersionResource => ({ group, version, resource, namespaced });
export const PODS = gvr('', 'v1', 'pods', true);
export const NODES = gvr('', 'v1', 'nodes', false);
const NAMESPACES = gvr('', 'v1', 'namespaces', false);
const SERVICES = gvr('', 'v1', 'services', true);
const REPLICASETS = gvr('apps', 'v1', 'replicasets', true);
const STATEFULSETS = gvr('apps', 'v1', 'statefulsets', true);
const PDBS = gvr('policy', 'v1', 'poddisruptionbudgets', true);

export interface SchedulerOptions {
  schedulerName?: string;
  /** 0 (default) = adaptive, as upstream. */
  percentageOfNodesToScore?: number;
  /** Bindings written concurrently. */
  maxBindsInFlight?: number;
  clock?: Clock;
  recorder?: EventRecorder;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

const isTerminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const keyOf = (p: Pod) => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export class Scheduler {
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
  readonly framework: Framework;
  readonly profile: Profile;
  private readonly name: string;
  private readonly clock: Clock;
  private readonly pods: ResourceClient<Pod>;
  private readonly recorder: EventRecorder;
  private readonly broadcaster?: EventBroadcaster;
  private readonly maxBinds: number;
  private bindsInFlight = 0;
  private readonly bindWaiters: (() => void)[] = [];
  private readonly bindings = new Set<Promise<void>>();
  private readonly podInf: Informer<Pod>;
  private readonly nodeInf: Informer<Node>;
  private readonly nsInf: Informer<Namespace>;
  private readonly pdbInf: Informer<PodDisruptionBudget>;
  private readonly svcInf: Informer<Service>;
  private readonly rsInf: Informer<ReplicaSet>;
  private readonly ssInf: Informer<StatefulSet>;
  /** Counters for benchmarks and tests. */
  readonly stats = { scheduled: 0, failed: 0, bindErrors: 0, preemptions: 0 };

  /** Requests its informers from the factory right away; the caller starts the factory. */
  constructor(private readonly client: Client, informers: SharedInformerFactory, opts: SchedulerOptions = {}) {
    this.name = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.clock = opts.clock ?? realClock;
    this.maxBinds = opts.maxBindsInFlight ?? 64;
    this.pods = client.resource<Pod>(PODS);
    if (opts.recorder) this.recorder = opts.recorder;
    else {
      this.broadcaster = new EventBroadcaster(client, { clock: this.clock });
      this.recorder = this.broadcaster.newRecorder({ component: this.name });
    }
    this.podInf = informers.informerFor<Pod>(PODS);
    this.nodeInf = informers.informerFor<Node>(NODES);
    this.nsInf = informers.informerFor<Namespace>(NAMESPACES);
    this.pdbInf = informers.informerFor<PodDisruptionBudget>(PDBS);
    this.svcInf = informers.informerFor<Service>(SERVICES);
    this.rsInf = informers.informerFor<ReplicaSet>(REPLICASETS);
    this.ssInf = informers.informerFor<StatefulSet>(STATEFULSETS);

    this.cache = new SchedulerCache((ns) => this.nsInf.lister.get('', ns)?.metadata?.labels);
    const self = this;
    const preemption = defaultPreemption({
      // The dry run keeps PreFilter state right through the profile's extensions.
      get preFilterPlugins() { return self.profile.preFilter; },
      runFilters: (s, p, n) => this.framework.runFilters(s, p, n),
      pdbs: () => this.pdbInf.lister.list(),
      nominatedPods: (n) => this.queue.nominatedPods(n),
      evict: (v, p, n) => this.evict(v, p, n),
      clearNomination: (p) => this.patchStatus(p.pod, { nominatedNodeName: null }).catch(() => undefined),
    });
    this.profile = defaultProfile({
      schedulerName: this.name,
      binder: defaultBinder((pod, body) => this.postBinding(pod, body)),
      postFilter: [preemption],
      defaultSpreadSelector: (p) => this.defaultSpreadSelector(p),
    });
    this.queue = new SchedulingQueue({
      clock: this.clock, less: this.profile.queueSort, pluginEvents: pluginEvents(this.profile),
      initialBackoffMs: opts.initialBackoffMs, maxBackoffMs: opts.maxBackoffMs,
    });
    this.framework = new Framework(this.profile, {
      percentageOfNodesToScore: opts.percentageOfNodesToScore,
      nominatedPods: (n) => this.queue.nominatedPods(n),
    });
    this.registerHandlers();
  }

  // --- informer events ---
  private responsible(p: Pod): boolean {
    return (p.spec?.schedulerName || DEFAULT_SCHEDULER_NAME) === this.name;
  }

  /** spec.priority, which the Priority admission plugin resolves from the class; 0 without (upstream's PodPriority). */
  priorityOf(p: Pod): number {
    return typeof p.spec?.priority === 'number' ? p.spec.priority : 0;
  }

  private info(p: Pod): PodInfo { return newPodInfo(p, this.priorityOf(p)); }

  private registerHandlers(): void {
    this.podInf.addEventHandler({
      onAdd: (p) => this.podChanged(undefined, p),
      onUpdate: (o, p) => this.podChanged(o, p),
      onDelete: (p) => this.podGone(p),
    });
    this.nodeInf.addEventHandler({
      onAdd: (n) => { this.cache.setNode(n); this.queue.onEvent('NodeAdd'); },
      onUpdate: (o, n) => {
        this.cache.setNode(n);
        for (const ev of nodeChanges(o, n)) this.queue.onEvent(ev);
      },
      onDelete: (n) => { this.cache.removeNode(n.metadata?.name ?? ''); this.queue.onEvent('NodeDelete'); },
    });
    this.nsInf.addEventHandler({
      onAdd: () => this.queue.onEvent('NamespaceChange'),
      onUpdate: (o, n) => { if (!same(o.metadata?.labels, n.metadata?.labels)) this.queue.onEvent('NamespaceChange'); },
    });
  }

  private podChanged(old: Pod | undefined, p: Pod): void {
    if (isTerminal(p)) return this.podGone(p);
    const key = keyOf(p);
    const node = p.spec?.nodeName;
    if (node) {
      if (old && !old.spec?.nodeName) this.queue.delete(key);
      const wasAssigned = !!old?.spec?.nodeName;
      this.cache.setPod(this.info(p), node);
      if (!wasAssigned) this.queue.onEvent('AssignedPodAdd');
      else if (!same(old?.metadata?.labels, p.metadata?.labels)) this.queue.onEvent('AssignedPodUpdate');
      return;
    }
    // An assumed pod's own status writes come back unassigned until the binding shows up.
    if (!this.responsible(p) || this.cache.has(key)) return;
    if (p.metadata?.deletionTimestamp) return this.queue.delete(key);
    if (old) this.queue.update(this.info(p));
    else this.queue.add(this.info(p));
  }

  private podGone(p: Pod): void {
    const key = keyOf(p);
    this.queue.delete(key);
    if (this.cache.has(key)) {
      this.cache.removePod(key);
      this.queue.onEvent('AssignedPodDelete');
    }
  }

  /** Selector of the services and workloads a pod belongs to (upstream's DefaultSelector; Kite serves no ReplicationControllers), for default spreading. */
  private defaultSpreadSelector(p: Pod): Selector | undefined {
    const ns = p.metadata?.namespace ?? '';
    const labels = p.metadata?.labels ?? {};
    const matchLabels: Record<string, string> = {};
    const exprs: NonNullable<LabelSelector['matchExpressions']> = [];
    for (const s of this.svcInf.lister.listNamespace(ns)) {
      const sel = s.spec?.selector;
      if (sel && Object.keys(sel).length && selectorFromSet(sel).matches(labels)) Object.assign(matchLabels, sel);
    }
    const owner = p.metadata?.ownerReferences?.find((r) => r.controller);
    const ownerSel: LabelSelector | undefined =
      owner?.kind === 'ReplicaSet' ? this.rsInf.lister.get(ns, owner.name)?.spec?.selector
        : owner?.kind === 'StatefulSet' ? this.ssInf.lister.get(ns, owner.name)?.spec?.selector
          : undefined;
    if (ownerSel) {
      Object.assign(matchLabels, ownerSel.matchLabels ?? {});
      exprs.push(...(ownerSel.matchExpressions ?? []));
    }
    if (!Object.keys(matchLabels).length && !exprs.length) return undefined;
    return selectorFromLabelSelector({ matchLabels, matchExpressions: exprs });
  }

  // --- the loop ---
  /** Waits for caches, then schedules until the signal aborts and in-flight bindings settle. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      if (!(await this.podInf.waitForSync(signal)) || !(await this.nodeInf.waitForSync(signal))) return;
      await Promise.all([this.nsInf, this.pdbInf, this.svcInf, this.rsInf, this.ssInf].map((i) => i.waitForSync(signal)));
      if (signal.aborted) return;
      log.info({ nodes: this.cache.nodeCount, pods: this.cache.podCount }, 'caches synced; scheduling');
      this.queue.run(signal);
      let slice = performance.now();
      for (;;) {
        const q = await this.queue.pop(signal);
        if (!q) break;
        await this.scheduleOne(q);
        // Long runs of back-to-back cycles must still let I/O (watch events, bindings) through.
        if (performance.now() - slice > 10) {
          await new Promise((r) => setImmediate(r));
          slice = performance.now();
        }
      }
    } finally {
      await Promise.allSettled([...this.bindings]);
      if (this.broadcaster) {
        this.broadcaster.shutDown();
        await this.broadcaster.flush();
      }
    }
  }

  /** One scheduling cycle for q: pick a node, assume, start binding; or record the failure. */
  async scheduleOne(q: QueuedPodInfo): Promise<void> {
    const pod = q.pod;
    if (pod.pod.metadata?.deletionTimestamp || this.cache.has(pod.key)) return this.queue.done(pod.key);
    const cycle = this.queue.cycle;
    const state = new CycleState();
    let nodeName: string;
    try {
      nodeName = this.framework.schedule(state, pod, this.cache).nodeName;
    } catch (e) {
      if (!(e instanceof FitError)) {
        log.error({ pod: pod.key, err: String(e) }, 'scheduling error');
        return this.fail(q, cycle, String(e instanceof Error ? e.message : e), new Set(), 'SchedulerError');
      }
      let nominated: string | undefined;
      for (const pf of this.profile.postFilter) {
        try {
          const r = await pf.postFilter(state, pod, e.statuses, this.cache);
          if (r.nominatedNodeName) { nominated = r.nominatedNodeName; this.stats.preemptions++; break; }
          if (r.status) e.postFilterMsg = r.status.reasons.join(', ');
        } catch (err) {
          log.warn({ pod: pod.key, err: String(err) }, 'preemption failed');
        }
      }
      return this.fail(q, cycle, e.text, e.unschedulablePlugins, 'Unschedulable', nominated);
    }
    this.cache.assumePod(pod, nodeName);
    const rs = this.framework.runReserve(state, pod, nodeName);
    if (rs) {
      this.cache.forgetPod(pod.key);
      return this.fail(q, cycle, rs.reasons.join(', '), new Set(rs.plugin ? [rs.plugin] : []), 'SchedulerError');
    }
    this.queue.done(pod.key);
    this.queue.clearNomination(pod.key);
    if (this.bindsInFlight >= this.maxBinds) await new Promise<void>((r) => this.bindWaiters.push(r));
    this.bindsInFlight++;
    const b = this.bind(q, state, nodeName).finally(() => {
      this.bindsInFlight--;
      this.bindWaiters.shift()?.();
      this.bindings.delete(b);
    });
    this.bindings.add(b);
  }

  private async bind(q: QueuedPodInfo, state: CycleState, nodeName: string): Promise<void> {
    const pod = q.pod;
    const s = await this.framework.runBindingCycle(state, pod, nodeName);
    if (!s) {
      this.stats.scheduled++;
      if (!process.env.KITE_EXP_NOEV)       this.recorder.event(pod.pod, 'Normal', 'Scheduled', `Successfully assigned ${pod.namespace}/${pod.name} to ${nodeName}`);
      return;
    }
    this.stats.bindErrors++;
    this.cache.forgetPod(pod.key);
    this.framework.runUnreserve(state, pod, nodeName);
    log.warn({ pod: pod.key, node: nodeName, err: s.reasons.join(', ') }, 'binding failed');
    // The assumed pod's resources are free again: others waiting for room may fit now.
    this.queue.onEvent('AssignedPodDelete');
    const latest = this.podInf.lister.get(pod.namespace, pod.name);
    if (!latest || latest.spec?.nodeName || latest.metadata?.uid !== pod.uid) return;
    this.recorder.event(pod.pod, 'Warning', 'FailedScheduling', `Binding rejected: ${s.reasons.join(', ')}`);
    this.queue.addBackoff(q);
  }

  private async fail(q: QueuedPodInfo, cycle: number, message: string, plugins: Set<string>, reason: string, nominated?: string): Promise<void> {
    const pod = q.pod;
    this.stats.failed++;
    const latest = this.podInf.lister.get(pod.namespace, pod.name);
    if (!latest || latest.spec?.nodeName || latest.metadata?.uid !== pod.uid) return this.queue.done(pod.key);
    if (reason === 'SchedulerError') this.queue.addBackoff(q);
    else this.queue.addUnschedulable(q, cycle, plugins);
    if (nominated) this.queue.nominate(pod, nominated);
    this.recorder.event(latest, 'Warning', 'FailedScheduling', message);
    const cond = (latest.status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
    const nominationChanged = nominated !== undefined && latest.status?.nominatedNodeName !== nominated;
    if (cond?.status === 'False' && cond.reason === reason && cond.message === message && !nominationChanged) return;
    const status: Record<string, unknown> = {
      conditions: [{ type: 'PodScheduled', status: 'False', reason, message, lastProbeTime: null, lastTransitionTime: rfc3339Now(this.clock.now()) }],
    };
    if (nominationChanged) status.nominatedNodeName = nominated;
    await this.patchStatus(latest, status).catch((e) => {
      if (!isNotFound(e)) log.warn({ pod: pod.key, err: String(e) }, 'unable to update pod status');
    });
  }

  private async patchStatus(p: Pod, status: Record<string, unknown>): Promise<void> {
    await this.pods.patch(p.metadata?.namespace ?? '', p.metadata?.name ?? '', 'strategic', { status }, { subresource: 'status' });
  }

  private async postBinding(pod: PodInfo, body: Record<string, unknown>): Promise<void> {
    decodeResponse(await this.client.rest.request({ method: 'POST', path: `${this.pods.path(pod.namespace, pod.name)}/binding`, body }));
  }

  /** Marks the victim with DisruptionTarget, deletes it and tells its owner why. */
  private async evict(victim: PodInfo, preemptor: PodInfo, node: string): Promise<void> {
    const message = `${this.name}: preempting to accommodate a higher priority pod`;
    try {
      await this.patchStatus(victim.pod, {
        conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message, lastTransitionTime: rfc3339Now(this.clock.now()) }],
      });
      await this.pods.delete(victim.namespace, victim.name, { preconditions: { uid: victim.uid } });
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) return;
      throw e;
    }
    this.recorder.event(victim.pod, 'Normal', 'Preempted', `Preempted by pod ${preemptor.uid} on node ${node}`);
  }
}

/** Which scheduling-relevant parts of a node changed. */
export function nodeChanges(o: Node, n: Node): ClusterEvent[] {
  const ev: ClusterEvent[] = [];
  if (!same(o.status?.allocatable, n.status?.allocatable)) ev.push('NodeAllocatable');
  if (!same(o.metadata?.labels, n.metadata?.labels)) ev.push('NodeLabel');
  if (!same(o.spec?.taints, n.spec?.taints)) ev.push('NodeTaint');
  if (!!o.spec?.unschedulable !== !!n.spec?.unschedulable) ev.push('NodeUnschedulable');
  if (!same(o.status?.conditions?.map((c) => [c.type, c.status]), n.status?.conditions?.map((c) => [c.type, c.status]))) ev.push('NodeCondition');
  return ev;
}
