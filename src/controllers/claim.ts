// ControllerRef claiming shared by the workload controllers (upstream ControllerRefManager):
// each sync, a controller adopts the orphans its selector matches and releases the objects
// it controls that no longer match, then works only with what it owns. The decisions are
// the pure claimDecision; this file adds the API writes and the candidate lookup.
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import {
  byControllerUid, isInvalid, isNotFound,
  type IndexFunc, type KubeObject, type Lister, type ResourceClient,
} from '../client/index.js';
import { claimDecision, ownerRefsPatch } from '../api/helpers/controllerref.js';
import { selectorFromLabelSelector, type Selector } from '../machinery/labels.js';
import { labelsEqual, newControllerRef } from '../machinery/meta.js';

/** Objects by the uid of their controller. */
export const CONTROLLER_UID_INDEX = 'controllerUid';
/** Objects without a controller, by namespace: the orphans a controller may adopt. */
export const ORPHAN_INDEX = 'orphanNamespace';

export const orphansByNamespace: IndexFunc<KubeObject> = (o) =>
  (o.metadata?.ownerReferences?.some((r) => r.controller === true) ? [] : [o.metadata?.namespace ?? '']);

/** The indexers claimCandidates reads; register them on the informer of the owned kind. */
export const CLAIM_INDEXERS = { [CONTROLLER_UID_INDEX]: byControllerUid, [ORPHAN_INDEX]: orphansByNamespace };

/**
 * Everything a claim can act on for an owner: what it controls (matching or not) and the
 * orphans of its namespace. The same outcome as claiming over the whole namespace, since
 * objects another controller owns are never touched, without reading the whole namespace.
 */
export function claimCandidates<T extends KubeObject>(lister: Lister<T>, owner: KubeObject): T[] {
  return [
    ...lister.byIndex(CONTROLLER_UID_INDEX, owner.metadata?.uid ?? ''),
    ...lister.byIndex(ORPHAN_INDEX, owner.metadata?.namespace ?? ''),
  ];
}

// Parsed owner selectors, keyed by the (frozen, shared) selector object of a cached owner.
const parsed = new WeakMap<LabelSelector, Selector | null>();

/**
 * Whether an owner's spec.selector selects these labels, for finding the owners that may
 * adopt an orphan. An empty or invalid selector selects nothing here (upstream's
 * GetPod*Sets skip them), so a select-all owner is not woken by every orphan.
 */
export function selectorSelects(selector: LabelSelector | null | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (!selector) return false;
  let sel = parsed.get(selector);
  if (sel === undefined) {
    try { sel = selectorFromLabelSelector(selector); } catch { sel = null; }
    if (Object.isFrozen(selector)) parsed.set(selector, sel);
  }
  return !!sel && !sel.empty && sel.matches(labels);
}

type Selecting = KubeObject & { spec?: { selector?: LabelSelector | null } };

const controllerRefOf = (o: KubeObject) => o.metadata?.ownerReferences?.find((r) => r.controller === true);

/** The cached owner of kind an object's controller reference names, if it is that very object (same uid). */
export function resolveController<T extends KubeObject>(lister: Lister<T>, kind: string, obj: KubeObject): T | undefined {
  const ref = controllerRefOf(obj);
  if (!ref || ref.kind !== kind) return undefined;
  const owner = lister.get(obj.metadata?.namespace ?? '', ref.name);
  return owner?.metadata?.uid === ref.uid ? owner : undefined;
}

/**
 * The owners an add (old undefined) or update of a dependent concerns, as the upstream
 * workload controllers' event handlers find them: its controller, and the previous one
 * when the reference changed; for an orphan, every owner in its namespace whose selector
 * matches it (candidates to adopt it), on add or when its labels or reference changed.
 */
export function ownersToSync<T extends Selecting>(lister: Lister<T>, kind: string, old: KubeObject | undefined, cur: KubeObject): T[] {
  const out: T[] = [];
  const oldRef = old && controllerRefOf(old), curRef = controllerRefOf(cur);
  const refChanged = !!old && oldRef?.uid !== curRef?.uid;
  if (refChanged && oldRef) {
    const prev = resolveController(lister, kind, old!);
    if (prev) out.push(prev);
  }
  if (curRef) {
    const owner = resolveController(lister, kind, cur);
    if (owner) out.push(owner);
    return out;
  }
  if (!old || refChanged || !labelsEqual(old.metadata?.labels, cur.metadata?.labels)) {
    for (const o of lister.listNamespace(cur.metadata?.namespace ?? '')) if (selectorSelects(o.spec?.selector, cur.metadata?.labels)) out.push(o);
  }
  return out;
}

export interface ClaimOptions<T extends KubeObject> {
  /** The owner as the cache has it; its uid and deletionTimestamp drive the decisions. */
  owner: KubeObject;
  /** apiVersion and kind of the controller reference written on adoption. */
  apiVersion: string;
  kind: string;
  /** Reads the owner from the server before the first adoption of a claim (see claimObjects). */
  ownerClient: { get(namespace: string, name: string): Promise<KubeObject> };
  /** Writes the claimed objects. */
  client: ResourceClient<T>;
  /** Whether the owner wants obj: its selector, plus any extra condition of the kind. */
  matches(obj: T): boolean;
  /** Finalizers added on adoption and removed on release (the Job tracking finalizer). */
  finalizers?: readonly string[];
  /** False: adopt orphans but never release (StatefulSet ControllerRevisions). Default true. */
  release?: boolean;
}

/**
 * Claims the candidates for the owner and answers those it owns afterwards, in candidate
 * order: owned ones as given, adopted ones as the adoption patch returned them.
 *
 * Adoption first re-reads the owner from the server, once per claim: a cache can still
 * show an owner that was deleted, replaced under the same name, or is being deleted, and
 * none of those may take objects. A deleting owner neither adopts nor releases. Patches
 * carry the object's uid and resourceVersion, so a decision made on a stale copy fails
 * rather than applies. Objects gone meanwhile (and, on release, already-changed ones the
 * server rejects as invalid) are skipped; other failures are thrown after every write of
 * the claim has been tried, so the caller retries the sync.
 */
export async function claimObjects<T extends KubeObject>(candidates: readonly T[], opts: ClaimOptions<T>): Promise<T[]> {
  const { owner } = opts;
  const uid = owner.metadata?.uid ?? '';
  const ns = owner.metadata?.namespace ?? '';
  const deleting = !!owner.metadata?.deletionTimestamp;
  const extra = opts.finalizers ?? [];
  let live: Promise<boolean> | undefined;
  const mayAdopt = () => (live ??= opts.ownerClient.get(ns, owner.metadata?.name ?? '').then(
    (fresh) => fresh.metadata?.uid === uid && !fresh.metadata?.deletionTimestamp,
    (e) => { if (isNotFound(e)) return false; throw e; }));

  const results = await Promise.allSettled(candidates.map(async (obj): Promise<T | undefined> => {
    const d = claimDecision(obj, uid, deleting, () => opts.matches(obj));
    if (d === 'owned') return obj;
    const name = obj.metadata?.name ?? '';
    const refs = obj.metadata?.ownerReferences ?? [];
    const finalizers = (obj.metadata as { finalizers?: readonly string[] } | undefined)?.finalizers ?? [];
    if (d === 'adopt') {
      if (!(await mayAdopt())) return undefined;
      const missing = extra.filter((f) => !finalizers.includes(f));
      const body = ownerRefsPatch(obj, [...refs, newControllerRef(owner, opts.apiVersion, opts.kind)], missing.length ? [...finalizers, ...missing] : undefined);
      try {
        return await opts.client.patch(obj.metadata?.namespace ?? ns, name, 'merge', body);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    }
    if (d === 'release' && opts.release !== false) {
      const dropping = finalizers.some((f) => extra.includes(f));
      const body = ownerRefsPatch(obj, refs.filter((r) => r.uid !== uid), dropping ? finalizers.filter((f) => !extra.includes(f)) : undefined);
      try {
        await opts.client.patch(obj.metadata?.namespace ?? ns, name, 'merge', body);
      } catch (e) {
        if (!isNotFound(e) && !isInvalid(e)) throw e;
      }
    }
    return undefined;
  }));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
}
