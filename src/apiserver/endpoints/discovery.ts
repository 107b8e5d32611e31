// Discovery documents, legacy (APIVersions / APIGroupList / APIResourceList) and
// aggregated (apidiscovery.k8s.io/v2 APIGroupDiscoveryList), generated from the table of
// served resources. Documents are cached until the table changes.
import type { ResourceTable, ServedResource } from '../resources.js';

export const AGGREGATED_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

interface Sub { name: string; kind: string; group?: string; version?: string; verbs: string[] }

/** Subresources served by dedicated handlers rather than the generic status/scale ones. */
const EXTRA_SUBRESOURCES: Record<string, Sub[]> = {
  '/pods': [
    { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
    { name: 'binding', kind: 'Binding', verbs: ['create'] },
    { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
    { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
    { name: 'log', kind: 'Pod', verbs: ['get'] },
    { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
  ],
  '/serviceaccounts': [{ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] }],
  '/namespaces': [{ name: 'finalize', kind: 'Namespace', verbs: ['update'] }],
  'certificates.k8s.io/certificatesigningrequests': [{ name: 'approval', kind: 'CertificateSigningRequest', verbs: ['get', 'patch', 'update'] }],
};

export function subresourcesOf(r: ServedResource): Sub[] {
  const subs: Sub[] = [];
  const s = r.strategy.subresources;
  if (s?.scale) subs.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] });
  if (s?.status) subs.push({ name: 'status', kind: r.kind, verbs: ['get', 'patch', 'update'] });
  subs.push(...(EXTRA_SUBRESOURCES[`${r.group}/${r.plural}`] ?? []));
  return subs.sort((a, b) => a.name.localeCompare(b.name));
}

export class Discovery {
  private cache = new Map<string, string>();
  private gen = -1;

  constructor(private table: ResourceTable, private serverAddress: () => string) {}

  private cached(key: string, build: () => unknown): string {
    if (this.gen !== this.table.generation) {
      this.cache.clear();
      this.gen = this.table.generation;
    }
    let v = this.cache.get(key);
    if (v === undefined) this.cache.set(key, (v = JSON.stringify(build())));
    return v;
  }

  apiVersions(): string {
    return this.cached('api', () => ({
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: this.serverAddress() }],
    }));
  }

  apiGroupList(): string {
    return this.cached('apis', () => ({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: this.table.groups().filter((g) => g.name !== '').map((g) => this.groupDoc(g.name, g.versions)),
    }));
  }

  apiGroup(name: string): string | undefined {
    const g = this.table.groups().find((x) => x.name === name && name !== '');
    if (!g) return undefined;
    return this.cached(`group/${name}`, () => ({ kind: 'APIGroup', apiVersion: 'v1', ...this.groupDoc(g.name, g.versions) }));
  }

  private groupDoc(name: string, versions: string[]) {
    const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
    return { name, versions: vs, preferredVersion: vs[0] };
  }

  resourceList(group: string, version: string): string | undefined {
    const rs = this.table.resourcesOf(group, version);
    if (!rs.length) return undefined;
    return this.cached(`rl/${group}/${version}`, () => ({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: group ? `${group}/${version}` : version,
      resources: rs.flatMap((r) => {
        const main: Record<string, unknown> = {
          name: r.plural,
          singularName: r.strategy.singular,
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: r.verbs,
        };
        if (r.strategy.shortNames?.length) main.shortNames = r.strategy.shortNames;
        if (r.strategy.categories?.length) main.categories = r.strategy.categories;
        const subs = subresourcesOf(r).map((s) => {
          const e: Record<string, unknown> = { name: `${r.plural}/${s.name}`, singularName: '', namespaced: r.namespaced };
          if (s.group !== undefined) { e.group = s.group; e.version = s.version; }
          e.kind = s.kind;
          e.verbs = s.verbs;
          return e;
        });
        return [main, ...subs];
      }),
    }));
  }

  /** Aggregated discovery for /api (core only) or /apis (all named groups). */
  aggregated(core: boolean): string {
    return this.cached(core ? 'agg/api' : 'agg/apis', () => ({
      kind: 'APIGroupDiscoveryList',
      apiVersion: 'apidiscovery.k8s.io/v2',
      metadata: {},
      items: this.table.groups().filter((g) => (g.name === '') === core).map((g) => ({
        metadata: g.name ? { name: g.name } : {},
        versions: g.versions.map((v) => ({
          version: v,
          freshness: 'Current',
          resources: this.table.resourcesOf(g.name, v).map((r) => {
            const d: Record<string, unknown> = {
              resource: r.plural,
              responseKind: { group: r.group, version: r.version, kind: r.kind },
              scope: r.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: r.strategy.singular,
              verbs: r.verbs,
            };
            if (r.strategy.shortNames?.length) d.shortNames = r.strategy.shortNames;
            if (r.strategy.categories?.length) d.categories = r.strategy.categories;
            const subs = subresourcesOf(r);
            if (subs.length) {
              d.subresources = subs.map((s) => ({
                subresource: s.name,
                responseKind: { group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind },
                verbs: s.verbs,
              }));
            }
            return d;
          }),
        })),
      })),
    }));
  }
}

/**
 * Whether Accept lists aggregated discovery v2, the only version served. Clients that
 * offer only v2beta1 (kubectl ≤ 1.29) cannot parse v2 and get the legacy documents.
 */
export function wantsAggregated(accept: string | undefined): boolean {
  return !!accept && accept.split(',').some((range) => {
    const params = range.split(';').map((p) => p.trim());
    return params.includes('g=apidiscovery.k8s.io') && params.includes('v=v2') && params.includes('as=APIGroupDiscoveryList');
  });
}
