// The generic store: every verb for every kind. A kind only supplies a strategy; this file
// owns resourceVersions and conflicts, uid/generation/timestamps, generateName, graceful
// deletion and finalizers, propagation policies, dry-run and the status/scale subresources.
import type { KObject, ResourceStrategy } from '../../api/types.js';
import { errors, invalidError, StatusError, type FieldError } from '../../machinery/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../machinery/validation.js';
import { deepEqual, jsonPathGet, jsonPathSet, rfc3339Now } from '../../machinery/meta.js';
import { selectorFromLabelSelector, type LabelSelector } from '../../machinery/labels.js';
import { ConflictError, KeyExistsError, NotFoundError, type ListOptions, type ListResult, type Storage } from '../../storage/types.js';
import type { ServedResource } from '../resources.js';
import { encodeObject, parseKv, type CachedObject, type WatchCache } from './watchcache.js';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface WriteContext {
  user: UserInfo;
  dryRun: boolean;
  fieldManager?: string;
  /** Warnings to send back as `Warning: 299` headers. */
  warnings: string[];
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

/** Admission: runs after validation, before persisting. Throws StatusError to reject. */
export type Admit = (op: Operation, res: ServedResource, obj: KObject, old: KObject | undefined, ctx: WriteContext) => Promise<void> | void;

export interface StoreDeps {
  storage: Storage;
  cache: WatchCache;
  now: () => number;
  admit?: Admit;
  /** Largest encoded object accepted (upstream etcd's 1.5 MiB request limit). */
  maxObjectBytes?: number;
}

const encoder = new TextEncoder();
const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;


function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return s;
}

/** Whether metadata.generation is maintained for this kind (see ResourceStrategy.generation). */
export function tracksGeneration(s: ResourceStrategy): boolean {
  return s.generation ?? (!!s.subresources?.status && s.group !== '');
}

/** Everything but metadata and status: a change here bumps generation. */
function specPart(obj: KObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return JSON.stringify(rest);
}

export class GenericStore {
  readonly strategy: ResourceStrategy;
  private maxBytes: number;

  constructor(readonly res: ServedResource, private deps: StoreDeps) {
    this.strategy = res.strategy;
    this.maxBytes = deps.maxObjectBytes ?? MAX_OBJECT_BYTES;
  }

  get cache(): WatchCache {
    return this.deps.cache;
  }

  key(namespace: string | undefined, name: string): string {
    return this.res.namespaced ? `${this.res.keyPrefix}${namespace}/${name}` : `${this.res.keyPrefix}${name}`;
  }

  /** Key prefix covering a namespace (or everything, when namespace is empty). */
  scopePrefix(namespace: string | undefined): string {
    return this.res.namespaced && namespace ? `${this.res.keyPrefix}${namespace}/` : this.res.keyPrefix;
  }

  /** Reads storage directly, e.g. at an older revision for a continued list. */
  storageList(prefix: string, opts: ListOptions): Promise<ListResult> {
    return this.deps.storage.list(prefix, opts);
  }

  notFound(name: string): StatusError {
    return errors.notFound(this.res.plural, this.res.group, name);
  }

  async get(namespace: string | undefined, name: string): Promise<CachedObject> {
    await this.deps.cache.fresh();
    const o = this.deps.cache.get(this.key(namespace, name));
    if (!o) throw this.notFound(name);
    return o;
  }

  // ---- create ----

  async create(namespace: string | undefined, input: KObject, ctx: WriteContext): Promise<KObject> {
    const obj = this.normalizeIncoming(input, namespace);
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
    const now = this.deps.now();
    meta.uid = crypto.randomUUID();
    meta.creationTimestamp = rfc3339Now(now);
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.resourceVersion;
    delete meta.selfLink;
    if (tracksGeneration(this.strategy)) meta.generation = 1;
    else delete meta.generation;
    this.strategy.defaults?.(obj);
    this.strategy.prepareForCreate?.(obj);
    this.validateCreate(obj);
    await this.deps.admit?.('CREATE', this.res, obj, undefined, ctx);
    if (ctx.dryRun) return obj;
    for (let attempt = 0; ; attempt++) {
      try {
        const key = this.key(namespace, meta.name!);
        const enc = this.encode(obj);
        const kv = await this.deps.storage.create(key, enc.bytes);
        meta.resourceVersion = String(kv.modRevision);
        this.deps.cache.noteWrite(kv.modRevision, { key, text: enc.text, obj });
        return obj;
      } catch (err) {
        if (err instanceof KeyExistsError) {
          // A generated name that collided gets another suffix, as upstream retries.
          if (input.metadata?.generateName && !input.metadata?.name && attempt < 8) {
            meta.name = meta.generateName + randomSuffix();
            continue;
          }
          throw errors.alreadyExists(this.res.plural, this.res.group, meta.name!);
        }
        throw err;
      }
    }
  }

  // ---- update (PUT), status updates, and the shared read-modify-write loop ----

  /**
   * Read-modify-write against storage. `mutate` receives a private copy of the current
   * object and returns the desired object. A resourceVersion in the desired object is a
   * precondition (409 on mismatch); without one, storage conflicts are retried.
   */
  async guaranteedUpdate(
    namespace: string | undefined,
    name: string,
    ctx: WriteContext,
    mutate: (current: KObject) => KObject | Promise<KObject>,
    opts: { subresource?: string; createIfMissing?: () => Promise<KObject> } = {},
  ): Promise<{ obj: KObject; created: boolean; deleted?: boolean }> {
    const key = this.key(namespace, name);
    for (let attempt = 0; attempt < 16; attempt++) {
      const kv = await this.deps.storage.get(key);
      if (!kv) {
        if (opts.createIfMissing) return { obj: await opts.createIfMissing(), created: true };
        throw this.notFound(name);
      }
      // The cache's copy when it is this very version (frozen); the mutator gets its own,
      // parsed from text (cheaper than structuredClone).
      const cached = this.deps.cache.get(key);
      const inCache = cached?.rev === kv.modRevision;
      const current = inCache ? cached.obj : parseKv(kv);
      const copy = inCache ? JSON.parse(cached.json) as KObject : parseKv(kv);
      const desired = this.normalizeIncoming(await mutate(copy), namespace, name);
      const precondition = desired.metadata.resourceVersion;
      if (precondition && precondition !== String(kv.modRevision)) {
        throw errors.conflict(this.res.plural, this.res.group, name);
      }
      const next = this.prepareUpdate(desired, current, opts.subresource);
      if (deepEqual(next, current)) return { obj: current, created: false };
      await this.deps.admit?.('UPDATE', this.res, next, current, ctx);
      // The last finalizer gone from a deleting object: it is deleted for real.
      const finishDelete = !!next.metadata.deletionTimestamp && !(next.metadata.finalizers?.length) &&
        !this.strategy.pendingFinalization?.(next) &&
        !(next.metadata.deletionGracePeriodSeconds && next.metadata.deletionGracePeriodSeconds > 0);
      if (ctx.dryRun) return { obj: next, created: false };
      try {
        if (finishDelete) {
          const r = await this.deps.storage.delete(key, kv.modRevision);
          this.deps.cache.noteWrite(r.revision);
          next.metadata.resourceVersion = String(r.revision);
          return { obj: next, created: false, deleted: true };
        }
        delete next.metadata.resourceVersion;
        const enc = this.encode(next);
        const out = await this.deps.storage.update(key, enc.bytes, kv.modRevision);
        next.metadata.resourceVersion = String(out.modRevision);
        this.deps.cache.noteWrite(out.modRevision, { key, text: enc.text, obj: next });
        return { obj: next, created: false };
      } catch (err) {
        if (err instanceof ConflictError || err instanceof NotFoundError) {
          if (precondition) throw errors.conflict(this.res.plural, this.res.group, name);
          continue;
        }
        throw err;
      }
    }
    throw errors.conflict(this.res.plural, this.res.group, name, 'too many concurrent updates; please try again');
  }

  /**
   * Applies generic update rules and the strategy; throws 422 on invalid results.
   * `subresource`: undefined for the main resource (status kept), 'status' (only status
   * changes), or another name for trusted server-internal writes (binding, finalize) that
   * bypass the strategy's update rules.
   */
  private prepareUpdate(desired: KObject, current: KObject, subresource?: string): KObject {
    let next: KObject;
    const s = this.strategy;
    if (subresource === 'status') {
      next = structuredClone(current);
      if (desired.status === undefined) delete next.status;
      else next.status = desired.status;
    } else {
      next = desired;
      if (!subresource && s.subresources?.status) {
        if (current.status === undefined) delete next.status;
        else next.status = structuredClone(current.status);
      }
    }
    const m = next.metadata, cm = current.metadata;
    // System-owned metadata is not client-writable.
    m.uid = cm.uid;
    m.creationTimestamp = cm.creationTimestamp;
    // Any precondition was checked already; the write is against the version read.
    m.resourceVersion = cm.resourceVersion;
    m.name = cm.name;
    if (this.res.namespaced) m.namespace = cm.namespace;
    if (cm.deletionTimestamp) {
      m.deletionTimestamp = cm.deletionTimestamp;
      if (cm.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = cm.deletionGracePeriodSeconds;
    } else {
      delete m.deletionTimestamp;
      delete m.deletionGracePeriodSeconds;
    }
    if (cm.generateName !== undefined && m.generateName === undefined) m.generateName = cm.generateName;
    delete m.selfLink;
    if (!subresource) {
      s.defaults?.(next);
      s.prepareForUpdate?.(next, current);
    }
    if (tracksGeneration(s)) {
      m.generation = cm.generation ?? 1;
      if (subresource !== 'status' && specPart(next) !== specPart(current)) m.generation += 1;
    } else delete m.generation;
    const errs: FieldError[] = [...validateObjectMetaUpdate(m, cm)];
    if (subresource === 'status') errs.push(...(s.validateStatusUpdate?.(next, current) ?? []));
    else if (!subresource) errs.push(...(s.validateUpdate?.(next, current) ?? s.validate?.(next) ?? []));
    if (errs.length) throw invalidError(this.res.kind, this.res.group, m.name ?? '', errs);
    return next;
  }

  private validateCreate(obj: KObject): void {
    const errs = [
      ...validateObjectMeta(obj.metadata, { namespaced: this.res.namespaced, nameFn: this.strategy.nameValidation ?? 'subdomain' }),
      ...(this.strategy.validate?.(obj) ?? []),
    ];
    if (errs.length) {
      throw invalidError(this.res.kind, this.res.group, obj.metadata.name ?? obj.metadata.generateName ?? '', errs);
    }
  }

  /** Sets apiVersion/kind and checks namespace/name consistency with the URL. */
  private normalizeIncoming(input: KObject, namespace: string | undefined, name?: string): KObject {
    const obj = input;
    obj.apiVersion = this.res.apiVersion;
    obj.kind = this.res.kind;
    if (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata)) obj.metadata = {};
    const meta = obj.metadata;
    if (this.res.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      if (namespace) meta.namespace = namespace;
    } else {
      delete meta.namespace;
    }
    if (name !== undefined && meta.name && meta.name !== name) {
      throw errors.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    }
    if (name !== undefined && !meta.name) meta.name = name;
    return obj;
  }

  /** The stored bytes of an object; objects over the size limit are refused (etcd's request limit). */
  private encode(obj: KObject): { text: string; bytes: Uint8Array } {
    const text = encodeObject(obj);
    const bytes = encoder.encode(text);
    if (bytes.length > this.maxBytes) {
      throw errors.tooLarge(`object is too large: encoded size ${bytes.length} bytes exceeds the limit of ${this.maxBytes} bytes`);
    }
    return { text, bytes };
  }

  // ---- delete ----

  /**
   * Deletes, or marks for deletion when finalizers or a grace period remain. Returns the
   * object and whether it is gone from storage.
   */
  async delete(namespace: string | undefined, name: string, opts: DeleteOptions, ctx: WriteContext): Promise<{ obj: KObject; deleted: boolean }> {
    const key = this.key(namespace, name);
    for (let attempt = 0; attempt < 16; attempt++) {
      const kv = await this.deps.storage.get(key);
      if (!kv) throw this.notFound(name);
      const current = parseKv(kv);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== current.metadata.uid) {
        throw errors.conflict(this.res.plural, this.res.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
        throw errors.conflict(this.res.plural, this.res.group, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
      }
      await this.deps.admit?.('DELETE', this.res, current, current, ctx);
      const next = structuredClone(current);
      const m = next.metadata;
      const finalizers = new Set(m.finalizers ?? []);
      const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : opts.orphanDependents === false ? 'Background' : undefined);
      if (policy === 'Foreground') { finalizers.add('foregroundDeletion'); finalizers.delete('orphan'); }
      if (policy === 'Orphan') { finalizers.add('orphan'); finalizers.delete('foregroundDeletion'); }
      if (policy === 'Background') { finalizers.delete('orphan'); finalizers.delete('foregroundDeletion'); }
      const grace = this.gracePeriod(current, opts);
      const now = this.deps.now();
      if (finalizers.size === 0 && grace === 0 && !this.strategy.pendingFinalization?.(current)) {
        if (ctx.dryRun) return { obj: current, deleted: true };
        try {
          const r = await this.deps.storage.delete(key, kv.modRevision);
          this.deps.cache.noteWrite(r.revision);
          current.metadata.resourceVersion = String(r.revision);
          return { obj: current, deleted: true };
        } catch (err) {
          if (err instanceof ConflictError) continue;
          if (err instanceof NotFoundError) throw this.notFound(name);
          throw err;
        }
      }
      // Graceful: mark deleting; a finalizer holder or the node agent completes it.
      if (finalizers.size) m.finalizers = [...finalizers];
      this.strategy.markDeleting?.(next);
      if (!m.deletionTimestamp) {
        m.deletionTimestamp = rfc3339Now(now + grace * 1000);
        m.deletionGracePeriodSeconds = grace;
        if (tracksGeneration(this.strategy)) m.generation = (m.generation ?? 1) + 1;
      } else if (grace < (m.deletionGracePeriodSeconds ?? 0)) {
        // A shorter grace period may only shorten an ongoing deletion.
        m.deletionTimestamp = rfc3339Now(now + grace * 1000);
        m.deletionGracePeriodSeconds = grace;
      }
      if (deepEqual(next, current)) return { obj: current, deleted: false };
      if (ctx.dryRun) return { obj: next, deleted: false };
      try {
        delete m.resourceVersion;
        const enc = this.encode(next);
        const out = await this.deps.storage.update(key, enc.bytes, kv.modRevision);
        m.resourceVersion = String(out.modRevision);
        this.deps.cache.noteWrite(out.modRevision, { key, text: enc.text, obj: next });
        return { obj: next, deleted: false };
      } catch (err) {
        if (err instanceof ConflictError || err instanceof NotFoundError) continue;
        throw err;
      }
    }
    throw errors.conflict(this.res.plural, this.res.group, name, 'too many concurrent updates; please try again');
  }

  /** Seconds of grace before the object is really deleted: the strategy decides (pods), else 0. */
  private gracePeriod(obj: KObject, opts: DeleteOptions): number {
    return Math.max(0, this.strategy.deletionGracePeriod?.(obj, opts.gracePeriodSeconds) ?? 0);
  }

  // ---- scale subresource ----

  toScale(obj: KObject): KObject {
    const sc = this.strategy.subresources?.scale;
    if (!sc) throw errors.notFoundPath();
    const replicasSpec = Number(jsonPathGet(obj, sc.specReplicasPath) ?? 0);
    const replicasStatus = Number(jsonPathGet(obj, sc.statusReplicasPath) ?? 0);
    const selector = sc.labelSelectorPath ? jsonPathGet(obj, sc.labelSelectorPath) : undefined;
    const m = obj.metadata;
    const status: Record<string, unknown> = { replicas: replicasStatus };
    const sel = typeof selector === 'string' ? selector : selector ? selectorFromLabelSelector(selector as LabelSelector).toString() : '';
    if (sel) status.selector = sel;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
      spec: { replicas: replicasSpec },
      status,
    };
  }

  /** Writes spec.replicas from a Scale object; a Scale resourceVersion is a precondition. */
  async updateScale(namespace: string | undefined, name: string, scale: KObject, ctx: WriteContext): Promise<KObject> {
    const sc = this.strategy.subresources?.scale;
    if (!sc) throw errors.notFoundPath();
    const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalidError('Scale', 'autoscaling', name, [{ type: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0` }]);
    }
    const { obj } = await this.guaranteedUpdate(namespace, name, ctx, (cur) => {
      if (scale.metadata?.resourceVersion) cur.metadata.resourceVersion = scale.metadata.resourceVersion;
      jsonPathSet(cur, sc.specReplicasPath, replicas);
      return cur;
    });
    return this.toScale(obj);
  }
}
