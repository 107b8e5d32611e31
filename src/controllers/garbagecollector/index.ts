// The garbage collector: follows ownerReferences across every resource the API serves.
// - An object whose owners are all gone is deleted (background cascading).
// - An owner deleted in the foreground (finalizer foregroundDeletion) has its dependents
//   deleted; once none with blockOwnerDeletion remain, the finalizer is removed.
// - An owner deleted with orphaning (finalizer orphan) has its reference removed from its
//   dependents, then the finalizer.
// - Cycles, as upstream: an undeleted object whose owner is deleting in the foreground, and
//   which has a dependent itself deleting in the foreground, first makes its own owner
//   references non-blocking, then is deleted in the foreground. That breaks the cycles a
//   foreground cascade runs into (and, as upstream, fires on some that are not cycles).
//   Objects all already deleting in the foreground that block each other are left waiting,
//   as upstream leaves them.
// - Owner references resolve in the dependent's namespace (or cluster-wide for cluster-scoped
//   kinds). An owner whose uid lives in another namespace is absent, and reported with an
//   OwnerRefInvalidNamespace event; a cluster-scoped object naming a namespaced kind is
//   never collected.
// Resources come from discovery, re-read periodically so new kinds (CRDs) are picked up.
import {
  Informer, WorkQueue, byOwnerUid, discoverResources, isConflict, isNotFound,
  type EventRecorder, type GroupVersionResource, type KubeObject, type ResourceClient,
} from '../../client/index.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { builtinResources } from '../../api/resources/index.js';
import { hasVerbs, type DiscoveredResource } from '../../api/helpers/discovery.js';
import { deepEqual } from '../../machinery/meta.js';
import { logger } from '../../util/log.js';
import type { Timer } from '../../util/clock.js';
import type { Controller, ControllerContext, ControllerFactory } from '../context.js';

const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';
const OWNER_INDEX = 'byOwnerUid';
/** Every tracked object by its own uid: upstream finds owners in its graph by uid alone. */
const UID_INDEX = 'garbagecollector/uid';
const byUid = (o: KubeObject): string[] => (o.metadata?.uid ? [o.metadata.uid] : []);
const EVENT_COMPONENT = 'garbage-collector-controller';
/** Upstream ignores events: they are never owners and are garbage collected by TTL. */
const IGNORED = new Set(['/events', 'events.k8s.io/events']);
const REDISCOVER_MS = 30_000;
/** Delay after a CRD event before rediscovery, so a burst of events costs one pass and the CRD is established. */
const CRD_SETTLE_MS = 1000;
const CRDS: GroupVersionResource = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', namespaced: false };
const ABSENT_CACHE_SIZE = 500;
const log = logger('garbage-collector');

interface Tracked {
  res: DiscoveredResource;
  client: ResourceClient;
  informer: Informer;
  /** Set for informers this controller runs itself (resources that may go away). */
  stop?: AbortController;
}

/** The metadata lists the collector rewrites. */
interface MetaFields { ownerReferences?: readonly unknown[]; finalizers?: string[] }

/** One object, as the queues know it. */
interface Item { rkey: string; namespace: string; name: string; uid: string }

const resKey = (r: { group: string; resource: string }): string => `${r.group}/${r.resource}`;
const itemKey = (i: Item): string => JSON.stringify([i.rkey, i.namespace, i.name, i.uid]);
const parseItem = (k: string): Item => { const [rkey, namespace, name, uid] = JSON.parse(k) as string[]; return { rkey, namespace, name, uid }; };
const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');
const finalizersOf = (o: KubeObject): string[] => (o.metadata as { finalizers?: string[] } | undefined)?.finalizers ?? [];
const deletingDependents = (o: KubeObject): boolean => !!o.metadata?.deletionTimestamp && finalizersOf(o).includes(FOREGROUND);
const apiVersionOf = (r: { group: string; version: string }): string => (r.group ? `${r.group}/${r.version}` : r.version);
/** An owner's coordinates as the absent cache keys them; namespace is '' for cluster-scoped owners. */
const absentKey = (apiVersion: string, kind: string, name: string, uid: string, namespace: string): string =>
  JSON.stringify([apiVersion, kind, name, uid, namespace]);
/** An owner reference that can never resolve: a cluster-scoped dependent naming a namespaced kind. */
const UNRESOLVABLE = Symbol('unresolvable owner');

class GarbageCollector implements Controller {
  readonly name = 'garbagecollector';
  private readonly deleteQueue: WorkQueue<string>;
  private readonly orphanQueue: WorkQueue<string>;
  private readonly tracked = new Map<string, Tracked>();
  /** group/Kind → resource, for following owner references. */
  private readonly byKind = new Map<string, Tracked>();
  /**
   * Owners known not to exist, by absentKey (bounded, oldest forgotten first). Keyed by
   * coordinates and namespace, not uid alone, so that a reference resolved in the wrong
   * namespace does not make the real owner absent for its own dependents.
   */
  private readonly absent = new Set<string>();
  private readonly recorder: EventRecorder;
  private refreshing: Promise<void> = Promise.resolve();
  private refreshTimer?: Timer;
  private readonly builtin = new Set(builtinResources().map((s) => resKey({ group: s.group, resource: s.plural })));

  constructor(private readonly ctx: ControllerContext) {
    this.deleteQueue = new WorkQueue({ clock: ctx.clock, name: 'garbagecollector-delete' });
    this.orphanQueue = new WorkQueue({ clock: ctx.clock, name: 'garbagecollector-orphan' });
    this.recorder = ctx.recorder(EVENT_COMPONENT);
  }

  async run(signal: AbortSignal): Promise<void> {
    // A new or removed CRD changes what is served: look again soon rather than at the next period.
    const crds = this.ctx.informers.informerFor(CRDS);
    const soon = () => {
      if (this.refreshTimer || signal.aborted) return;
      this.refreshTimer = this.ctx.clock.setTimer(CRD_SETTLE_MS, () => { this.refreshTimer = undefined; void this.serialRefresh(signal); });
    };
    crds.addEventHandler({ onAdd: soon, onUpdate: soon, onDelete: soon });
    // Discovery before anything is watched: retry until it answers.
    while (!signal.aborted && !(await this.serialRefresh(signal))) await this.ctx.clock.sleep(1000, signal);
    if (signal.aborted) return;
    for (const t of this.tracked.values()) if (!(await t.informer.waitForSync(signal))) return;
    const rediscover = (async () => {
      while (await this.ctx.clock.sleep(REDISCOVER_MS, signal)) await this.serialRefresh(signal);
    })();
    const workers = Math.max(1, this.ctx.options.workers);
    await Promise.all([
      this.deleteQueue.runWorkers(workers * 4, (k) => this.attemptToDelete(parseItem(k)), signal),
      this.orphanQueue.runWorkers(workers, (k) => this.attemptToOrphan(parseItem(k)), signal),
      rediscover,
    ]);
    this.refreshTimer?.cancel();
    for (const t of this.tracked.values()) t.stop?.abort();
  }

  /** One refresh at a time. */
  private serialRefresh(signal: AbortSignal): Promise<boolean> {
    const next = this.refreshing.then(() => this.refresh(signal));
    this.refreshing = next.then(() => undefined);
    return next;
  }

  /** Watches every deletable resource discovery lists and forgets vanished ones; false if discovery failed. */
  private async refresh(signal: AbortSignal): Promise<boolean> {
    let found: DiscoveredResource[];
    try {
      found = (await discoverResources(this.ctx.client, signal)).resources;
    } catch (e) {
      if (!signal.aborted) log.warn({ err: String(e) }, 'discovery failed');
      return false;
    }
    const wanted = new Map(found.filter((r) => hasVerbs(r, 'delete', 'list', 'watch') && !IGNORED.has(resKey(r))).map((r) => [resKey(r), r]));
    for (const [key, t] of this.tracked) {
      if (wanted.has(key)) continue;
      t.stop?.abort();
      this.tracked.delete(key);
      this.byKind.delete(`${t.res.group}/${t.res.kind}`);
    }
    let added = false;
    for (const [key, res] of wanted) {
      if (this.tracked.has(key)) continue;
      this.track(key, res, signal);
      added = true;
    }
    if (added) void this.ctx.informers.start(signal);
    return true;
  }

  private track(key: string, res: DiscoveredResource, signal: AbortSignal): void {
    const gvr: GroupVersionResource = { group: res.group, version: res.version, resource: res.resource, namespaced: res.namespaced };
    const client = this.ctx.client.resource(gvr);
    let t: Tracked;
    if (this.builtin.has(key)) {
      t = { res, client, informer: this.ctx.informers.informerFor(gvr, { indexers: { [OWNER_INDEX]: byOwnerUid, [UID_INDEX]: byUid } }) };
    } else {
      // Custom resources can disappear: their informers are ours to stop.
      const stop = new AbortController();
      t = { res, client, informer: new Informer(client, { clock: this.ctx.clock, indexers: { [OWNER_INDEX]: byOwnerUid, [UID_INDEX]: byUid } }), stop };
      void t.informer.start(AbortSignal.any([signal, stop.signal]));
    }
    t.informer.addEventHandler({
      onAdd: (o) => this.observe(t, undefined, o),
      onUpdate: (old, o) => this.observe(t, old, o),
      onDelete: (o) => this.observeDeleted(t, o),
    });
    this.tracked.set(key, t);
    this.byKind.set(`${res.group}/${res.kind}`, t);
  }

  private item(t: Tracked, o: KubeObject): Item {
    return { rkey: resKey(t.res), namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '', uid: o.metadata?.uid ?? '' };
  }

  private enqueueDelete(i: Item): void { this.deleteQueue.add(itemKey(i)); }

  private observe(t: Tracked, old: KubeObject | undefined, o: KubeObject): void {
    const refs = (o.metadata?.ownerReferences ?? []) as readonly OwnerReference[];
    const oldRefs = (old?.metadata?.ownerReferences ?? []) as readonly OwnerReference[];
    if (refs.length && (!old || !deepEqual(refs, oldRefs))) this.enqueueDelete(this.item(t, o));
    if (!old) this.checkDependentsOf(t, o);
    const added = refs.filter((r) => !oldRefs.some((x) => x.uid === r.uid));
    if (added.length) this.checkOwnersOf(t, o, added);
    // A dependent that dropped its reference, or stopped blocking, may be what a foreground deletion waits for.
    for (const r of oldRefs) {
      const now = refs.find((x) => x.uid === r.uid);
      if (!now || (r.blockOwnerDeletion && !now.blockOwnerDeletion)) this.enqueueWaitingOwner(r, o);
    }
    if (deletingDependents(o)) {
      this.enqueueDelete(this.item(t, o));
      if (!old || !deletingDependents(old)) for (const dep of this.dependents(o.metadata?.uid ?? '')) this.enqueueDelete(this.item(dep.t, dep.obj));
    }
    if (o.metadata?.deletionTimestamp && finalizersOf(o).includes(ORPHAN)) this.orphanQueue.add(itemKey(this.item(t, o)));
  }

  private observeDeleted(t: Tracked, o: KubeObject): void {
    const uid = o.metadata?.uid ?? '';
    const deps = this.dependents(uid);
    if (deps.length) this.absentAdd(absentKey(apiVersionOf(t.res), t.res.kind, o.metadata?.name ?? '', uid, o.metadata?.namespace ?? ''));
    for (const dep of deps) this.enqueueDelete(this.item(dep.t, dep.obj));
    for (const r of o.metadata?.ownerReferences ?? []) this.enqueueWaitingOwner(r, o);
  }

  private enqueueWaitingOwner(ref: { apiVersion: string; kind: string; name: string; uid: string }, dependent: KubeObject): void {
    const t = this.byKind.get(`${groupOf(ref.apiVersion)}/${ref.kind}`);
    const owner = t?.informer.lister.get(t.res.namespaced ? dependent.metadata?.namespace ?? '' : '', ref.name);
    if (t && owner?.metadata?.uid === ref.uid && deletingDependents(owner)) this.enqueueDelete(this.item(t, owner));
  }

  /** Every cached object with an owner reference to uid, with its resource. */
  private dependents(uid: string): { t: Tracked; obj: KubeObject }[] {
    if (!uid) return [];
    const out: { t: Tracked; obj: KubeObject }[] = [];
    for (const t of this.tracked.values()) for (const obj of t.informer.indexer.byIndex(OWNER_INDEX, uid)) out.push({ t, obj });
    return out;
  }

  /** The cached object with this uid, of whatever resource. */
  private byUid(uid: string): { t: Tracked; obj: KubeObject } | undefined {
    if (!uid) return undefined;
    for (const t of this.tracked.values()) {
      const [obj] = t.informer.indexer.byIndex(UID_INDEX, uid);
      if (obj) return { t, obj };
    }
    return undefined;
  }

  /**
   * Upstream's check of references a dependent gains, against owners already observed: the
   * first reference that contradicts its owner's namespace or coordinates ends the check, and
   * a namespace contradiction is reported. A cluster-scoped owner may be named from anywhere.
   */
  private checkOwnersOf(t: Tracked, dep: KubeObject, refs: readonly OwnerReference[]): void {
    const depNs = dep.metadata?.namespace ?? '';
    for (const r of refs) {
      const owner = this.byUid(r.uid);
      if (!owner) continue;
      const ownerNs = owner.obj.metadata?.namespace ?? '';
      if (ownerNs && ownerNs !== depNs) {
        this.reportInvalidNamespace(t, dep, r);
        return;
      }
      if (r.apiVersion !== apiVersionOf(owner.t.res) || r.kind !== owner.t.res.kind || r.name !== owner.obj.metadata?.name) return;
    }
  }

  /**
   * The same check from the owner's side, for dependents observed before it: those whose
   * reference contradicts the owner are queued to be verified, namespace contradictions reported.
   */
  private checkDependentsOf(t: Tracked, owner: KubeObject): void {
    const uid = owner.metadata?.uid ?? '';
    const ownerNs = owner.metadata?.namespace ?? '';
    for (const { t: dt, obj } of this.dependents(uid)) {
      const depNs = obj.metadata?.namespace ?? '';
      const refs = ((obj.metadata?.ownerReferences ?? []) as readonly OwnerReference[]).filter((r) => r.uid === uid);
      if (ownerNs && ownerNs !== depNs) {
        if (refs[0]) this.reportInvalidNamespace(dt, obj, refs[0]);
      } else if (refs.every((r) => r.apiVersion === apiVersionOf(t.res) && r.kind === t.res.kind && r.name === owner.metadata?.name)) {
        continue;
      }
      this.enqueueDelete(this.item(dt, obj));
    }
  }

  private reportInvalidNamespace(t: Tracked, dep: KubeObject, ref: OwnerReference): void {
    const ns = dep.metadata?.namespace ?? '';
    const involved = { kind: t.res.kind, apiVersion: apiVersionOf(t.res), namespace: ns || undefined, name: dep.metadata?.name, uid: dep.metadata?.uid };
    log.debug({ dependent: involved, owner: ref }, 'owner reference names an object of another namespace');
    this.recorder.event(involved, 'Warning', 'OwnerRefInvalidNamespace',
      `ownerRef [${ref.apiVersion}/${ref.kind}, namespace: ${ns}, name: ${ref.name}, uid: ${ref.uid}] does not exist in namespace ${JSON.stringify(ns)}`);
  }

  private absentAdd(key: string): void {
    this.absent.delete(key);
    this.absent.add(key);
    if (this.absent.size > ABSENT_CACHE_SIZE) this.absent.delete(this.absent.values().next().value!);
  }

  /**
   * The owner a reference names, checked live (not just in the cache): undefined when it does
   * not exist, UNRESOLVABLE when a cluster-scoped dependent names a namespaced kind (there is
   * no namespace to look in).
   */
  private async owner(ref: OwnerReference, depNamespace: string): Promise<KubeObject | undefined | typeof UNRESOLVABLE> {
    if (this.absent.has(absentKey(ref.apiVersion, ref.kind, ref.name, ref.uid, ''))) return undefined;
    if (depNamespace && this.absent.has(absentKey(ref.apiVersion, ref.kind, ref.name, ref.uid, depNamespace))) return undefined;
    const t = this.byKind.get(`${groupOf(ref.apiVersion)}/${ref.kind}`);
    if (!t) throw new Error(`no resource serves ${ref.kind} in ${ref.apiVersion}`);
    if (t.res.namespaced && !depNamespace) return UNRESOLVABLE;
    const ns = t.res.namespaced ? depNamespace : '';
    const cached = t.informer.lister.get(ns, ref.name);
    if (cached?.metadata?.uid === ref.uid) return cached;
    try {
      const live = await t.client.get(ns, ref.name);
      if (live.metadata?.uid === ref.uid) return live;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.absentAdd(absentKey(ref.apiVersion, ref.kind, ref.name, ref.uid, ns));
    return undefined;
  }

  private async attemptToDelete(item: Item): Promise<void> {
    const t = this.tracked.get(item.rkey);
    if (!t) return;
    let latest: KubeObject;
    try {
      latest = await t.client.get(item.namespace, item.name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (latest.metadata?.uid !== item.uid) return;
    if (deletingDependents(latest)) return this.processDeletingDependents(t, latest);
    if (latest.metadata?.deletionTimestamp) return;
    const refs = (latest.metadata?.ownerReferences ?? []) as readonly OwnerReference[];
    if (!refs.length) return;
    const solid: OwnerReference[] = [], waiting: OwnerReference[] = [];
    let dangling = 0;
    for (const ref of refs) {
      const owner = await this.owner(ref, item.namespace);
      if (owner === UNRESOLVABLE) {
        // Retrying cannot help; upstream drops the item until it changes.
        log.debug({ item, owner: ref }, 'cluster-scoped object names a namespaced owner; not collected');
        return;
      }
      if (!owner) dangling++;
      else if (deletingDependents(owner)) waiting.push(ref);
      else solid.push(ref);
    }
    if (solid.length) {
      // Still owned: only references to gone or foreground-deleting owners are dropped.
      if (dangling || waiting.length) await this.patchMeta(t, latest, { ownerReferences: solid });
      return;
    }
    const fins = finalizersOf(latest);
    let resourceVersion = latest.metadata?.resourceVersion;
    let policy: 'Orphan' | 'Foreground' | 'Background';
    const deps = waiting.length ? this.dependents(item.uid) : [];
    if (deps.length) {
      // An owner waits for this object, which has dependents of its own: it goes in the
      // foreground too. A dependent already waiting for its own dependents may lead back to
      // the owner; upstream takes that alone as a cycle and first makes this object's
      // references non-blocking, so its owners need not wait for it. So does this.
      policy = 'Foreground';
      if (deps.some(({ obj }) => deletingDependents(obj))) {
        log.debug({ item }, 'owner and a dependent are both deleting in the foreground; unblocking owner references');
        const unblocked = await this.unblockOwnerReferences(t, latest);
        if (!unblocked) return;
        resourceVersion = unblocked.metadata?.resourceVersion;
      }
    } else {
      policy = fins.includes(ORPHAN) ? 'Orphan' : fins.includes(FOREGROUND) ? 'Foreground' : 'Background';
    }
    log.debug({ item, policy }, 'deleting object whose owners are gone');
    try {
      await t.client.delete(item.namespace, item.name, { propagationPolicy: policy, preconditions: { uid: item.uid, resourceVersion } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /**
   * Sets blockOwnerDeletion false on obj's blocking references, guarded by the version read;
   * answers the object as written (or as read, when nothing blocked), undefined if it is gone.
   */
  private async unblockOwnerReferences(t: Tracked, obj: KubeObject): Promise<KubeObject | undefined> {
    const refs = (obj.metadata?.ownerReferences ?? []) as readonly OwnerReference[];
    if (!refs.some((r) => r.blockOwnerDeletion)) return obj;
    return this.patchMeta(t, obj, { ownerReferences: refs.map((r) => (r.blockOwnerDeletion ? { ...r, blockOwnerDeletion: false } : r)) });
  }

  /** A foreground deletion: finish once no blocking dependent is left, else push the blocking ones. */
  private async processDeletingDependents(t: Tracked, owner: KubeObject): Promise<void> {
    const uid = owner.metadata?.uid ?? '';
    const blocking = this.dependents(uid).filter(({ obj }) => obj.metadata?.ownerReferences?.some((r) => r.uid === uid && (r as OwnerReference).blockOwnerDeletion));
    if (!blocking.length) {
      await this.removeFinalizer(t, owner, FOREGROUND);
      return;
    }
    // Those waiting for dependents of their own are left to their own events: pushing them
    // would bounce between objects that block each other, which upstream leaves waiting.
    for (const { t: dt, obj } of blocking) if (!deletingDependents(obj)) this.enqueueDelete(this.item(dt, obj));
  }

  private async attemptToOrphan(item: Item): Promise<void> {
    const t = this.tracked.get(item.rkey);
    if (!t) return;
    let owner: KubeObject;
    try {
      owner = await t.client.get(item.namespace, item.name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (owner.metadata?.uid !== item.uid || !owner.metadata?.deletionTimestamp || !finalizersOf(owner).includes(ORPHAN)) return;
    for (const dep of this.dependents(item.uid)) await this.dropOwnerRef(dep.t, dep.obj, item.uid);
    await this.removeFinalizer(t, owner, ORPHAN);
  }

  /** Removes the reference to ownerUid from a dependent. */
  private dropOwnerRef(t: Tracked, dep: KubeObject, ownerUid: string): Promise<void> {
    return this.retryOnConflict(t, dep, (live) => {
      const refs = live.metadata?.ownerReferences ?? [];
      return refs.some((r) => r.uid === ownerUid) ? { ownerReferences: refs.filter((r) => r.uid !== ownerUid) } : undefined;
    });
  }

  private removeFinalizer(t: Tracked, obj: KubeObject, finalizer: string): Promise<void> {
    return this.retryOnConflict(t, obj, (live) => {
      const fins = finalizersOf(live);
      return fins.includes(finalizer) ? { finalizers: fins.filter((f) => f !== finalizer) } : undefined;
    });
  }

  /**
   * Applies change(obj) as a guarded metadata patch, re-reading the object after a
   * conflict; change answers undefined when nothing is left to do. Stops if the object is
   * gone or replaced (another uid).
   */
  private async retryOnConflict(t: Tracked, obj: KubeObject, change: (live: KubeObject) => MetaFields | undefined): Promise<void> {
    let live = obj;
    for (let attempt = 0; ; attempt++) {
      const fields = change(live);
      if (!fields) return;
      try {
        await this.patchMeta(t, live, fields);
        return;
      } catch (e) {
        if (!isConflict(e) || attempt >= 4) throw e;
      }
      try {
        live = await t.client.get(obj.metadata?.namespace ?? '', obj.metadata?.name ?? '');
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      if (live.metadata?.uid !== obj.metadata?.uid) return;
    }
  }

  /**
   * A merge patch of metadata lists, guarded by the resourceVersion read; empty lists are
   * removed. Answers the object written, or undefined if it is gone.
   */
  private async patchMeta(t: Tracked, obj: KubeObject, fields: MetaFields): Promise<KubeObject | undefined> {
    const metadata: Record<string, unknown> = { resourceVersion: obj.metadata?.resourceVersion };
    for (const [k, v] of Object.entries(fields)) metadata[k] = v && v.length ? v : null;
    try {
      return await t.client.patch(obj.metadata?.namespace ?? '', obj.metadata?.name ?? '', 'merge', { metadata });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      return undefined;
    }
  }
}

export const garbageCollector: ControllerFactory = (ctx) => new GarbageCollector(ctx);
