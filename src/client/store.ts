// The informer cache: objects keyed "namespace/name" (or "name" when cluster-scoped),
// secondary indices computed by named functions, and listers that read through them.
//
// Cached objects are shared by every reader and are deep-frozen: never mutate one; copy
// it first (structuredClone / deepClone) and write the copy through the API.
import { everything, parseSelector, type Selector } from '../machinery/labels.js';
import type { KubeObject } from './resource.js';

export type IndexFunc<T> = (obj: T) => string[];
export type Indexers<T> = Record<string, IndexFunc<T>>;

export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Ready-made index functions, by the names listers and controllers expect. */
export const NAMESPACE_INDEX = 'namespace';
export const byNamespace: IndexFunc<KubeObject> = (o) => [o.metadata?.namespace ?? ''];
export const byOwnerUid: IndexFunc<KubeObject> = (o) => (o.metadata?.ownerReferences ?? []).map((r) => r.uid);
export const byControllerUid: IndexFunc<KubeObject> = (o) => (o.metadata?.ownerReferences ?? []).filter((r) => r.controller).map((r) => r.uid);
/** Pods by spec.nodeName ("" for unscheduled pods). */
export const byNodeName: IndexFunc<KubeObject> = (o) => {
  const node = (o as { spec?: { nodeName?: unknown } }).spec?.nodeName;
  return [typeof node === 'string' ? node : ''];
};

export function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

interface Index<T> { fn: IndexFunc<T>; values: Map<string, Set<string>> }

export class Indexer<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indices = new Map<string, Index<T>>();

  constructor(indexers: Indexers<T> = {}, private readonly freeze = true) {
    this.addIndexers(indexers);
  }

  /** Adds indices (also after objects are stored: they are indexed now). A name may be added once. */
  addIndexers(indexers: Indexers<T>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.indices.has(name)) {
        if (this.indices.get(name)!.fn !== fn) throw new Error(`indexer ${JSON.stringify(name)} already exists`);
        continue;
      }
      const idx: Index<T> = { fn, values: new Map() };
      this.indices.set(name, idx);
      for (const [key, obj] of this.items) this.indexOne(idx, key, obj);
    }
  }

  hasIndex(name: string): boolean { return this.indices.has(name); }

  private indexOne(idx: Index<T>, key: string, obj: T): void {
    for (const v of idx.fn(obj)) {
      let keys = idx.values.get(v);
      if (!keys) idx.values.set(v, (keys = new Set()));
      keys.add(key);
    }
  }

  private unindexOne(idx: Index<T>, key: string, obj: T): void {
    for (const v of idx.fn(obj)) {
      const keys = idx.values.get(v);
      if (keys?.delete(key) && keys.size === 0) idx.values.delete(v);
    }
  }

  /** Stores obj (frozen) and returns what it replaced. */
  set(obj: T): T | undefined {
    const key = objectKey(obj);
    if (this.freeze) deepFreeze(obj);
    const old = this.items.get(key);
    for (const idx of this.indices.values()) {
      if (old) this.unindexOne(idx, key, old);
      this.indexOne(idx, key, obj);
    }
    this.items.set(key, obj);
    return old;
  }

  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    for (const idx of this.indices.values()) this.unindexOne(idx, key, old);
    this.items.delete(key);
    return old;
  }

  get(key: string): T | undefined { return this.items.get(key); }
  has(key: string): boolean { return this.items.has(key); }
  keys(): string[] { return [...this.items.keys()]; }
  list(): T[] { return [...this.items.values()]; }
  get size(): number { return this.items.size; }

  /** Keys whose index function produced value; throws for an unknown index. */
  indexKeys(indexName: string, value: string): string[] {
    const idx = this.indices.get(indexName);
    if (!idx) throw new Error(`index ${JSON.stringify(indexName)} does not exist`);
    return [...(idx.values.get(value) ?? [])];
  }

  byIndex(indexName: string, value: string): T[] {
    return this.indexKeys(indexName, value).map((k) => this.items.get(k)!);
  }

  /** The values an index currently holds (e.g. every namespace with objects). */
  indexValues(indexName: string): string[] {
    const idx = this.indices.get(indexName);
    if (!idx) throw new Error(`index ${JSON.stringify(indexName)} does not exist`);
    return [...idx.values.keys()];
  }
}

const toSelector = (s: Selector | string | undefined): Selector => (typeof s === 'string' ? parseSelector(s) : s ?? everything());

/** Read access to a cache. Returned objects are frozen and shared. */
export class Lister<T extends KubeObject = KubeObject> {
  constructor(readonly indexer: Indexer<T>) {}

  /** namespace "" for cluster-scoped objects. */
  get(namespace: string, name: string): T | undefined {
    return this.indexer.get(namespace ? `${namespace}/${name}` : name);
  }

  list(selector?: Selector | string): T[] {
    const sel = toSelector(selector);
    const all = this.indexer.list();
    return sel.empty ? all : all.filter((o) => sel.matches(o.metadata?.labels));
  }

  listNamespace(namespace: string, selector?: Selector | string): T[] {
    const sel = toSelector(selector);
    const objs = this.indexer.hasIndex(NAMESPACE_INDEX)
      ? this.indexer.byIndex(NAMESPACE_INDEX, namespace)
      : this.indexer.list().filter((o) => (o.metadata?.namespace ?? '') === namespace);
    return sel.empty ? objs : objs.filter((o) => sel.matches(o.metadata?.labels));
  }

  byIndex(indexName: string, value: string): T[] { return this.indexer.byIndex(indexName, value); }
}
