// Resource clients: one per group/version/resource, speaking the REST conventions of the
// API (paths, query parameters, patch content types) over any RestClient.
import { decodeResponse, type Query, type RestClient, type WatchEvent } from './transport.js';
import type { Status } from '../machinery/errors.js';

/** The metadata fields the client machinery reads. Any Kubernetes object type fits. */
export interface ObjectMetaLike {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: { [key: string]: string };
  annotations?: { [key: string]: string };
  ownerReferences?: readonly { uid: string; kind: string; name: string; apiVersion: string; controller?: boolean }[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
  generation?: number;
}
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMetaLike;
}

export interface ObjectList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export interface GroupVersionResource {
  /** "" for the core group. */
  group: string;
  version: string;
  /** Plural lower-case name, e.g. "deployments". */
  resource: string;
  namespaced: boolean;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  signal?: AbortSignal;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
  signal?: AbortSignal;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
  signal?: AbortSignal;
}

export interface PatchOptions extends WriteOptions {
  subresource?: string;
  /** Server-side apply only: take ownership of conflicting fields. */
  force?: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
  signal?: AbortSignal;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';
const patchContentTypes: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export function apiPrefix(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/** "apps/v1" or "v1". */
export function apiVersionOf(gvr: Pick<GroupVersionResource, 'group' | 'version'>): string {
  return gvr.group ? `${gvr.group}/${gvr.version}` : gvr.version;
}

const writeQuery = (o: WriteOptions = {}): Query => ({ dryRun: o.dryRun ? 'All' : undefined, fieldManager: o.fieldManager, fieldValidation: o.fieldValidation });

export class ResourceClient<T extends KubeObject = KubeObject> {
  constructor(readonly rest: RestClient, readonly gvr: GroupVersionResource) {}

  /** Collection path; namespace "" on a namespaced resource means all namespaces. */
  path(namespace: string, name?: string, subresource?: string): string {
    const { group, version, resource, namespaced } = this.gvr;
    let p = apiPrefix(group, version);
    if (namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
    p += `/${resource}`;
    if (name !== undefined) {
      if (!name) throw new Error(`${resource}: a resource name is required`);
      p += `/${encodeURIComponent(name)}`;
    }
    if (subresource) p += `/${subresource}`;
    return p;
  }

  private async call<R>(method: string, path: string, query?: Query, body?: unknown, signal?: AbortSignal, contentType?: string): Promise<R> {
    return decodeResponse<R>(await this.rest.request({ method, path, query, body, signal, contentType }));
  }

  get(namespace: string, name: string, opts: { resourceVersion?: string; signal?: AbortSignal } = {}): Promise<T> {
    return this.call('GET', this.path(namespace, name), { resourceVersion: opts.resourceVersion }, undefined, opts.signal);
  }

  /** One page. Items get the kind and apiVersion the list implies, so cached objects know what they are. */
  async list(namespace: string, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const { signal, ...q } = opts;
    const list = await this.call<ObjectList<T>>('GET', this.path(namespace), q, undefined, signal);
    list.items ??= [];
    list.metadata ??= {};
    const kind = list.kind?.endsWith('List') ? list.kind.slice(0, -4) : undefined;
    for (const item of list.items) {
      if (kind && !item.kind) item.kind = kind;
      if (list.apiVersion && !item.apiVersion) item.apiVersion = list.apiVersion;
    }
    return list;
  }

  /** All pages of a list, read at the first page's resourceVersion. */
  async listAll(namespace: string, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const first = await this.list(namespace, opts);
    let cont = first.metadata.continue;
    while (cont) {
      const page = await this.list(namespace, { ...opts, continue: cont, resourceVersion: undefined, resourceVersionMatch: undefined });
      first.items.push(...page.items);
      cont = page.metadata.continue;
    }
    first.metadata.continue = undefined;
    return first;
  }

  watch(namespace: string, opts: WatchOptions = {}): AsyncIterable<WatchEvent<T>> {
    const { signal, ...q } = opts;
    return this.rest.stream<T>({ method: 'GET', path: this.path(namespace), query: { watch: true, ...q }, signal });
  }

  create(namespace: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.call('POST', this.path(namespace), writeQuery(opts), obj, opts.signal);
  }

  /** PUT; obj.metadata.resourceVersion, when set, makes it a compare-and-swap. */
  update(namespace: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.call('PUT', this.path(namespace, nameOf(obj)), writeQuery(opts), obj, opts.signal);
  }

  updateStatus(namespace: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.call('PUT', this.path(namespace, nameOf(obj), 'status'), writeQuery(opts), obj, opts.signal);
  }

  /** patchType is a short name or a full content type. */
  patch(namespace: string, name: string, patchType: PatchType | string, body: unknown, opts: PatchOptions = {}): Promise<T> {
    const contentType = patchContentTypes[patchType as PatchType] ?? patchType;
    const query = { ...writeQuery(opts), force: opts.force };
    return this.call('PATCH', this.path(namespace, name, opts.subresource), query, body, opts.signal, contentType);
  }

  /** The deleted object (or the object now pending deletion), or a Success Status. */
  delete(namespace: string, name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    return this.call('DELETE', this.path(namespace, name), undefined, deleteBody(opts), opts.signal);
  }

  deleteCollection(namespace: string, opts: DeleteOptions & Omit<ListOptions, 'signal'> = {}): Promise<ObjectList<T> | Status> {
    const { labelSelector, fieldSelector, limit, continue: cont, resourceVersion, resourceVersionMatch } = opts;
    return this.call('DELETE', this.path(namespace), { labelSelector, fieldSelector, limit, continue: cont, resourceVersion, resourceVersionMatch }, deleteBody(opts), opts.signal);
  }
}

function nameOf(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error('object has no metadata.name');
  return name;
}

function deleteBody(o: DeleteOptions): Record<string, unknown> {
  return {
    kind: 'DeleteOptions', apiVersion: 'v1',
    gracePeriodSeconds: o.gracePeriodSeconds, propagationPolicy: o.propagationPolicy,
    preconditions: o.preconditions, dryRun: o.dryRun ? ['All'] : undefined,
  };
}

/** Entry point: resource clients over one RestClient. */
export class Client {
  constructor(readonly rest: RestClient) {}
  resource<T extends KubeObject = KubeObject>(gvr: GroupVersionResource): ResourceClient<T> {
    return new ResourceClient<T>(this.rest, gvr);
  }
}
