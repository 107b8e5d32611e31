// Reading the discovery documents (/api/v1, /apis, /apis/{group}/{version}) into the
// resource list controllers iterate over: top-level resources only, with their verbs.
import type { APIGroupList, APIResourceList } from 'kubernetes-types/meta/v1.js';

export interface DiscoveredResource {
  group: string;
  version: string;
  /** Plural name, e.g. "deployments". */
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

/** The group versions to read: the preferred version of every group (the core group is implicit). */
export function preferredGroupVersions(groups: APIGroupList): string[] {
  return (groups.groups ?? []).map((g) => g.preferredVersion?.groupVersion ?? g.versions?.[0]?.groupVersion).filter((gv): gv is string => !!gv);
}

/** The resources of one APIResourceList, subresources ("pods/status") left out. */
export function resourcesOf(list: APIResourceList): DiscoveredResource[] {
  const gv = list.groupVersion ?? 'v1';
  const slash = gv.indexOf('/');
  const group = slash < 0 ? '' : gv.slice(0, slash);
  const version = slash < 0 ? gv : gv.slice(slash + 1);
  return (list.resources ?? []).filter((r) => !r.name.includes('/')).map((r) => ({
    group, version, resource: r.name, kind: r.kind, namespaced: r.namespaced, verbs: [...(r.verbs ?? [])],
  }));
}

/** "deployments.apps", or "pods." for the core group, as upstream prints a GroupResource in messages. */
export const groupResourceString = (r: { group: string; resource: string }): string => `${r.resource}.${r.group}`;

export const hasVerbs = (r: DiscoveredResource, ...verbs: string[]): boolean => verbs.every((v) => r.verbs.includes(v));
