// Discovery: every served top-level resource, read from the legacy discovery documents
// (/api/v1, /apis and each preferred /apis/{group}/{version}).
import type { APIGroupList, APIResourceList } from 'kubernetes-types/meta/v1.js';
import { preferredGroupVersions, resourcesOf, type DiscoveredResource } from '../api/helpers/discovery.js';
import type { Client } from './resource.js';
import { decodeResponse } from './transport.js';

/** Resources of every group version that answered, and the failures of those that did not. */
export async function discoverResources(client: Client, signal?: AbortSignal): Promise<{ resources: DiscoveredResource[]; failed: Map<string, string> }> {
  const get = async <T>(path: string): Promise<T> => decodeResponse<T>(await client.rest.request({ method: 'GET', path, signal }));
  const failed = new Map<string, string>();
  const resources = resourcesOf(await get<APIResourceList>('/api/v1'));
  const gvs = preferredGroupVersions(await get<APIGroupList>('/apis'));
  const lists = await Promise.all(gvs.map((gv) => get<APIResourceList>(`/apis/${gv}`).catch((e: unknown) => {
    failed.set(gv, e instanceof Error ? e.message : String(e));
    return undefined;
  })));
  for (const l of lists) if (l) resources.push(...resourcesOf(l));
  return { resources, failed };
}
