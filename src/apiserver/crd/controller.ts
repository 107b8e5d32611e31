// Serves CustomResourceDefinitions from inside the API server process, as upstream's
// apiextensions-apiserver does: it follows the CRD watch cache and, per CRD, registers
// every served version in the resource table (discovery follows), publishes the schemas
// to OpenAPI, and reports NamesAccepted/Established in the CRD status. Deleting a CRD
// runs the customresourcecleanup finalizer: every custom resource is deleted, then the
// finalizer is removed and the resource stops being served.
//
// All versions of a CRD share one store (one key prefix per group and plural). Objects
// are stored with the storage version's apiVersion and read back as stored by every
// version: only conversion strategy None is supported, without apiVersion rewriting on read.
import type { KObject, ResourceStrategy } from '../../api/types.js';
import { StatusError } from '../../machinery/errors.js';
import { rfc3339Now } from '../../machinery/meta.js';
import type { SchemaNode } from '../../machinery/schema.js';
import { resourceSchemaNode, structuralViolations } from '../../machinery/structural/index.js';
import { logger } from '../../util/log.js';
import type { OpenAPIService, CustomKind, JSONObject } from '../openapi/index.js';
import type { GenericStore, WriteContext } from '../registry/store.js';
import type { CacheEvent } from '../registry/watchcache.js';
import type { ServedResource } from '../resources.js';
import type { ApiServer } from '../server.js';
import { customResourceStrategy, type CrdSpec } from './strategy.js';

const log = logger('crd');

export const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';
const GROUP = 'apiextensions.k8s.io';
const RETRY_MS = 500;

interface Condition { type: string; status: 'True' | 'False'; reason: string; message: string; lastTransitionTime?: string }

/** One served version of a CRD. */
interface Registration {
  served: ServedResource;
  strategy: ResourceStrategy;
  schema?: JSONObject;
  node: SchemaNode;
}

interface CrdState {
  /** JSON of the spec last registered; an unchanged spec is not registered again. */
  specJson: string;
  versions: Map<string, Registration>;
  terminating: boolean;
}

export interface CrdControllerOptions {
  api: ApiServer;
  openapi: OpenAPIService;
  now?: () => number;
}

const SYSTEM = (): WriteContext => ({ user: { username: 'system:apiserver', groups: ['system:masters'] }, dryRun: false, warnings: [] });


const asConditions = (o: KObject): Condition[] => {
  const c = (o.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(c) ? (c as Condition[]) : [];
};

export class CrdController {
  private readonly crds = new Map<string, CrdState>();
  private readonly byPath = new Map<string, Registration>();
  private readonly queue = new Set<string>();
  private wake?: () => void;
  private readyResolve!: () => void;
  /** Resolves once every CRD present at start has been processed. */
  readonly ready: Promise<void> = new Promise((r) => (this.readyResolve = r));
  private readonly now: () => number;

  constructor(private readonly opts: CrdControllerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** The SchemaProvider for custom resources (patching, unknown-field checks). */
  readonly schemaFor = (r: ServedResource): SchemaNode | undefined => {
    const reg = this.byPath.get(`${r.group}/${r.version}/${r.plural}`);
    return reg && reg.served.kind === r.kind ? reg.node : undefined;
  };

  /** Follows the CRD cache until the signal aborts. */
  async start(signal: AbortSignal): Promise<void> {
    const store = this.opts.api.storeFor(GROUP, 'customresourcedefinitions');
    if (!store) {
      this.readyResolve();
      return;
    }
    signal.addEventListener('abort', () => this.wake?.(), { once: true });
    await store.cache.whenReady();
    let initial = true;
    while (!signal.aborted) {
      const sub = this.follow(store, initial);
      initial = false;
      await this.work(store, signal, sub.state);
      sub.cancel();
    }
    this.readyResolve();
  }

  /** Subscribes to the CRD cache and queues every CRD; `state.done` turns true when the cache ends the subscription. */
  private follow(store: GenericStore, initial: boolean): { state: { done: boolean }; cancel: () => void } {
    const state = { done: false };
    const enqueue = (events: CacheEvent[]) => {
      for (const e of events) this.queue.add(e.object.obj.metadata.name!);
      this.wake?.();
    };
    const sub = store.cache.snapshotAndSubscribe(store.scopePrefix(undefined), {
      deliver: enqueue,
      close: () => {
        state.done = true;
        this.wake?.();
      },
    });
    for (const o of sub.objects) this.queue.add(o.obj.metadata.name!);
    // CRDs that vanished while the subscription was down are reconciled (and dropped) too.
    for (const name of this.crds.keys()) this.queue.add(name);
    if (initial) this.queue.add('');
    return { state, cancel: sub.cancel };
  }

  private async work(store: GenericStore, signal: AbortSignal, sub: { done: boolean }): Promise<void> {
    while (!signal.aborted && !sub.done) {
      if (!this.queue.size) {
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
        continue;
      }
      const name = this.queue.values().next().value!;
      this.queue.delete(name);
      if (name === '') {
        // Marker queued after the initial snapshot: everything before it was processed.
        this.readyResolve();
        continue;
      }
      try {
        await this.reconcile(store, name);
      } catch (err) {
        if (signal.aborted) return;
        log.warn({ crd: name, err: err instanceof Error ? err.message : String(err) }, 'crd sync failed; retrying');
        const t = setTimeout(() => {
          this.queue.add(name);
          this.wake?.();
        }, RETRY_MS);
        signal.addEventListener('abort', () => clearTimeout(t), { once: true });
      }
    }
  }

  private async reconcile(store: GenericStore, name: string): Promise<void> {
    await store.cache.fresh();
    const crd = store.cache.get(store.key(undefined, name))?.obj;
    if (!crd) return this.unregister(name);
    if (crd.metadata.deletionTimestamp) return this.finalize(store, crd);
    if (!crd.metadata.finalizers?.includes(CLEANUP_FINALIZER)) {
      await this.write(store, name, (cur) => {
        if (cur.metadata.deletionTimestamp || cur.metadata.finalizers?.includes(CLEANUP_FINALIZER)) return cur;
        cur.metadata.finalizers = [...(cur.metadata.finalizers ?? []), CLEANUP_FINALIZER];
        return cur;
      }, 'finalizers');
    }
    const spec = crd.spec as CrdSpec;
    const conflict = this.nameConflict(name, spec);
    const conditions: Condition[] = [];
    if (conflict) {
      conditions.push({ type: 'NamesAccepted', status: 'False', ...conflict });
      conditions.push({ type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' });
    } else {
      this.register(name, spec);
      conditions.push({ type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' });
      conditions.push({ type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' });
    }
    const violations = spec.versions.flatMap((v) => structuralViolations(v.schema?.openAPIV3Schema, `spec.versions[${v.name}].schema.openAPIV3Schema`));
    if (violations.length) conditions.push({ type: 'NonStructuralSchema', status: 'True', reason: 'Violations', message: violations.join(', ') });
    await this.setStatus(store, crd, conditions, conflict ? undefined : acceptedNames(spec));
  }

  /** Another resource of the group already using the plural or kind (upstream's naming controller, reduced). */
  private nameConflict(crdName: string, spec: CrdSpec): { reason: string; message: string } | undefined {
    for (const r of this.opts.api.resources.all()) {
      if (r.group !== spec.group || r.crd?.name === crdName) continue;
      if (r.plural === spec.names.plural) return { reason: 'PluralConflict', message: `"${spec.names.plural}" is already in use` };
      if (r.kind === spec.names.kind) return { reason: 'KindConflict', message: `"${spec.names.kind}" is already in use` };
    }
    return undefined;
  }

  private register(crdName: string, spec: CrdSpec): void {
    const specJson = JSON.stringify(spec);
    let state = this.crds.get(crdName);
    if (state?.specJson === specJson) return;
    if (!state) this.crds.set(crdName, (state = { specJson, versions: new Map(), terminating: false }));
    state.specJson = specJson;
    const table = this.opts.api.resources;
    const storageVersion = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]?.name;
    // Discovery lists versions in the order they were added, the first being preferred.
    const served = spec.versions.filter((v) => v.served).sort((a, b) => compareVersions(a.name, b.name));
    const st = state;
    const touched = new Set<string>([...state.versions.values()].map((r) => `${r.served.group}/${r.served.version}`));
    const previous = new Map(state.versions);
    state.versions.clear();
    for (const reg of previous.values()) table.remove(reg.served.group, reg.served.version, reg.served.plural);
    for (const v of served) {
      const strategy = customResourceStrategy({ spec, version: v, storageVersion, terminating: () => st.terminating });
      const old = previous.get(v.name);
      previous.delete(v.name);
      const sameIdentity = old && old.strategy.kind === strategy.kind && old.strategy.plural === strategy.plural &&
        old.strategy.namespaced === strategy.namespaced && old.strategy.listKind === strategy.listKind;
      if (old && !sameIdentity) this.drop(old);
      // A live store keeps the strategy object it was built with: update that object in place.
      const target = sameIdentity ? replaceContents(old.strategy, strategy) : strategy;
      const reg: Registration = {
        served: table.add(target, { name: crdName, storage: v.name === storageVersion }),
        strategy: target,
        schema: v.schema?.openAPIV3Schema as JSONObject | undefined,
        node: resourceSchemaNode(v.schema?.openAPIV3Schema),
      };
      state.versions.set(v.name, reg);
      this.byPath.set(pathKey(reg.served), reg);
      touched.add(`${spec.group}/${v.name}`);
    }
    for (const reg of previous.values()) this.drop(reg);
    this.publish(touched);
    log.info({ crd: crdName, versions: served.map((v) => v.name) }, 'serving custom resource');
  }

  /** Stops serving one version; the store is dropped once no version of the resource is left. */
  private drop(reg: Registration): void {
    const r = reg.served;
    this.opts.api.resources.remove(r.group, r.version, r.plural);
    this.byPath.delete(pathKey(r));
    if (!this.opts.api.resources.all().some((x) => x.keyPrefix === r.keyPrefix)) this.opts.api.dropStore(r);
  }

  private unregister(crdName: string): void {
    const state = this.crds.get(crdName);
    if (!state) return;
    this.crds.delete(crdName);
    const touched = new Set<string>();
    for (const reg of state.versions.values()) {
      this.drop(reg);
      touched.add(`${reg.served.group}/${reg.served.version}`);
    }
    this.publish(touched);
    log.info({ crd: crdName }, 'stopped serving custom resource');
  }

  /** Re-publishes the OpenAPI schemas of the given group/versions from all registrations. */
  private publish(gvs: Set<string>): void {
    for (const gv of gvs) {
      const [group, version] = [gv.slice(0, gv.lastIndexOf('/')), gv.slice(gv.lastIndexOf('/') + 1)];
      const kinds: CustomKind[] = [];
      for (const state of this.crds.values()) {
        for (const reg of state.versions.values()) {
          if (reg.served.group === group && reg.served.version === version) kinds.push({ resource: reg.strategy, schema: reg.schema });
        }
      }
      this.opts.openapi.addSchemas(group, version, kinds);
    }
  }

  private async finalize(store: GenericStore, crd: KObject): Promise<void> {
    const name = crd.metadata.name!;
    if (!crd.metadata.finalizers?.includes(CLEANUP_FINALIZER)) return;
    const state = this.crds.get(name);
    let done: Condition;
    if (state?.versions.size) {
      state.terminating = true;
      await this.setStatus(store, crd, [{ type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' }]);
      const reg = [...state.versions.values()][0];
      const crs = this.opts.api.store(reg.served);
      await crs.cache.fresh();
      for (const o of [...crs.cache.range(crs.scopePrefix(undefined))]) {
        try {
          await crs.delete(o.obj.metadata.namespace, o.obj.metadata.name!, {}, SYSTEM());
        } catch (err) {
          if (!(err instanceof StatusError && err.code === 404)) throw err;
        }
      }
      await crs.cache.fresh();
      const left = crs.cache.size;
      // Objects held by their own finalizers keep the CRD terminating; check again later.
      if (left) throw new Error(`waiting for ${left} custom resources to be deleted`);
      done = { type: 'Terminating', status: 'False', reason: 'InstanceDeletionCompleted', message: 'removed all instances' };
    } else {
      done = { type: 'Terminating', status: 'False', reason: 'NeverEstablished', message: 'resource was never established' };
    }
    await this.write(store, name, (cur) => {
      cur.status = { ...(cur.status as object), conditions: mergeConditions(asConditions(cur), [done], this.now()) };
      cur.metadata.finalizers = (cur.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);
      return cur;
    }, 'finalizers');
  }

  /** Writes conditions (and acceptedNames) through the status subresource when they differ. */
  private async setStatus(store: GenericStore, crd: KObject, conditions: Condition[], accepted?: Record<string, unknown>): Promise<void> {
    const status = (crd.status ?? {}) as Record<string, unknown>;
    const merged = mergeConditions(asConditions(crd), conditions, this.now());
    const nextAccepted = accepted ?? status.acceptedNames;
    if (JSON.stringify(merged) === JSON.stringify(asConditions(crd)) && JSON.stringify(nextAccepted) === JSON.stringify(status.acceptedNames)) return;
    await this.write(store, crd.metadata.name!, (cur) => {
      const s = { ...((cur.status ?? {}) as Record<string, unknown>) };
      s.conditions = mergeConditions(asConditions(cur), conditions, this.now());
      if (accepted) s.acceptedNames = accepted;
      cur.status = s;
      return cur;
    }, 'status');
  }

  private async write(store: GenericStore, name: string, mutate: (cur: KObject) => KObject, subresource: string): Promise<void> {
    try {
      await store.guaranteedUpdate(undefined, name, SYSTEM(), mutate, { subresource });
    } catch (err) {
      // Gone meanwhile: the delete event reconciles it.
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }
}

/** Kubernetes version priority: GA before beta before alpha, higher numbers first, other names last by name. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return { rank: 3, major: 0, minor: 0 };
    return { rank: m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2, major: Number(m[1]), minor: Number(m[3] ?? 0) };
  };
  const x = parse(a), y = parse(b);
  if (x.rank === 3 && y.rank === 3) return a < b ? -1 : a > b ? 1 : 0;
  return x.rank - y.rank || y.major - x.major || y.minor - x.minor;
}

function pathKey(r: ServedResource): string {
  return `${r.group}/${r.version}/${r.plural}`;
}

/** Makes `target` hold exactly the properties of `source`; returns `target`. */
function replaceContents(target: ResourceStrategy, source: ResourceStrategy): ResourceStrategy {
  const t = target as unknown as Record<string, unknown>;
  for (const k of Object.keys(t)) delete t[k];
  return Object.assign(target, source);
}

function acceptedNames(spec: CrdSpec): Record<string, unknown> {
  const n = spec.names;
  const out: Record<string, unknown> = { plural: n.plural, singular: n.singular || n.kind.toLowerCase(), kind: n.kind, listKind: n.listKind || `${n.kind}List` };
  if (n.shortNames?.length) out.shortNames = n.shortNames;
  if (n.categories?.length) out.categories = n.categories;
  return out;
}

/** Sets each condition by type, keeping lastTransitionTime when the status did not change. */
function mergeConditions(current: Condition[], updates: Condition[], now: number): Condition[] {
  const out = current.map((c) => ({ ...c }));
  for (const u of updates) {
    const i = out.findIndex((c) => c.type === u.type);
    const prev = i >= 0 ? out[i] : undefined;
    const next: Condition = { type: u.type, status: u.status, lastTransitionTime: prev && prev.status === u.status ? prev.lastTransitionTime : rfc3339Now(now), reason: u.reason, message: u.message };
    if (i >= 0) out[i] = next;
    else out.push(next);
  }
  return out;
}

