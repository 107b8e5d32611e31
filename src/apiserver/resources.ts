// The set of served resources: built-in strategies plus those CRDs add at run time.
// Lookups by URL (group, version, plural) and by kind; discovery is generated from it.
import { DEFAULT_VERBS, type ResourceStrategy } from '../api/types.js';

export interface ServedResource {
  strategy: ResourceStrategy;
  group: string;
  version: string;
  plural: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  /** Storage key prefix, ending in '/'. */
  keyPrefix: string;
  verbs: string[];
  /** "apps/v1" or "v1". */
  apiVersion: string;
  /** Set for custom resources (served from a CRD). */
  crd?: { name: string; storage: boolean };
}

export type ResourceListener = () => void;

export function keyPrefixFor(group: string, plural: string): string {
  return group ? `/registry/${group}/${plural}/` : `/registry/core/${plural}/`;
}

export class ResourceTable {
  private byPath = new Map<string, ServedResource>();
  private order: ServedResource[] = [];
  private listeners = new Set<ResourceListener>();
  /** Bumped on every change so cached discovery documents can be invalidated. */
  generation = 0;

  constructor(strategies: ResourceStrategy[] = []) {
    for (const s of strategies) this.add(s);
  }

  add(strategy: ResourceStrategy, crd?: ServedResource['crd']): ServedResource {
    const r: ServedResource = {
      strategy,
      group: strategy.group,
      version: strategy.version,
      plural: strategy.plural,
      kind: strategy.kind,
      listKind: strategy.listKind ?? `${strategy.kind}List`,
      namespaced: strategy.namespaced,
      keyPrefix: keyPrefixFor(strategy.group, strategy.plural),
      verbs: strategy.verbs ?? DEFAULT_VERBS,
      apiVersion: strategy.group ? `${strategy.group}/${strategy.version}` : strategy.version,
      crd,
    };
    const k = pathKey(r.group, r.version, r.plural);
    const existing = this.byPath.get(k);
    if (existing) this.order[this.order.indexOf(existing)] = r;
    else this.order.push(r);
    this.byPath.set(k, r);
    this.changed();
    return r;
  }

  remove(group: string, version: string, plural: string): void {
    const k = pathKey(group, version, plural);
    const r = this.byPath.get(k);
    if (!r) return;
    this.byPath.delete(k);
    this.order.splice(this.order.indexOf(r), 1);
    this.changed();
  }

  get(group: string, version: string, plural: string): ServedResource | undefined {
    return this.byPath.get(pathKey(group, version, plural));
  }

  byKind(group: string, version: string, kind: string): ServedResource | undefined {
    return this.order.find((r) => r.group === group && r.version === version && r.kind === kind);
  }

  /** Resources of a group (any version) sharing a plural: the same storage. */
  all(): readonly ServedResource[] {
    return this.order;
  }

  /** Groups in first-seen order, each with versions in first-seen order (preferred first). */
  groups(): { name: string; versions: string[] }[] {
    const out: { name: string; versions: string[] }[] = [];
    for (const r of this.order) {
      let g = out.find((x) => x.name === r.group);
      if (!g) out.push((g = { name: r.group, versions: [] }));
      if (!g.versions.includes(r.version)) g.versions.push(r.version);
    }
    return out;
  }

  resourcesOf(group: string, version: string): ServedResource[] {
    return this.order.filter((r) => r.group === group && r.version === version);
  }

  onChange(fn: ResourceListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.generation++;
    for (const fn of this.listeners) fn();
  }
}

function pathKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}
