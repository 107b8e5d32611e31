// ServiceAccount admission for pod creates, as upstream's plugin of that name (1.32):
//  - a pod without spec.serviceAccountName runs as "default" (spec.serviceAccount mirrors it);
//  - the ServiceAccount must exist, else 403;
//  - unless automounting is off (the pod's automountServiceAccountToken wins over the
//    ServiceAccount's), the pod gets the kube-api-access-xxxxx projected volume (bound token,
//    cluster CA, namespace), mounted read-only in every container and init container that
//    has nothing mounted at the token path yet;
//  - a pod without imagePullSecrets takes the ServiceAccount's;
//  - with kubernetes.io/enforce-mountable-secrets=true on the ServiceAccount, the pod may only
//    reference secrets the ServiceAccount lists.
// Mirror pods are not modified; they are rejected if they reference a ServiceAccount, a
// secret or a token projection.
//
// Pod creates are a hot path: the ServiceAccount is read from the watch cache without
// awaiting, and the projected volume source is one frozen object shared by every pod
// (stored objects are frozen and never mutated in place).
import type { Container, LocalObjectReference, PodSpec, ServiceAccount, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../api/types.js';
import { deepFreeze } from '../../client/store.js';
import type { Admit } from '../registry/store.js';
import type { ServedResource } from '../resources.js';
import type { ApiServer } from '../server.js';
import { forbidden } from './resourcequota.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
export const ENFORCE_MOUNTABLE_SECRETS_ANNOTATION = 'kubernetes.io/enforce-mountable-secrets';
/** Prefix of the generated volume's name; a pod already having such a volume keeps it. */
export const TOKEN_VOLUME_PREFIX = 'kube-api-access-';
export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Upstream's bound-token lifetime for automounted tokens (one hour plus 7s, so it is recognisable). */
export const TOKEN_EXPIRATION_SECONDS = 3607;

/** Upstream's SimpleNameGenerator alphabet (no vowels, no 0/1/3). */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The projected source of every generated volume, field order as upstream serializes it. */
export const TOKEN_VOLUME_SOURCE = deepFreeze({
  sources: [
    { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
    { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
  ],
  defaultMode: 0o644,
}) as NonNullable<Volume['projected']>;

export interface ServiceAccountAdmissionOptions {
  /**
   * Pause between lookups while the "default" ServiceAccount is missing (upstream tries 10
   * times, 100-200ms apart, since the controller is about to create it). Other names are
   * looked up once.
   */
  retryDelayMs?: () => number;
}

const DEFAULT_ATTEMPTS = 10;

export function serviceAccountAdmission(server: () => ApiServer, o: ServiceAccountAdmissionOptions = {}): Admit {
  const retryDelay = o.retryDelayMs ?? (() => 100 + Math.floor(Math.random() * 100));
  return (op, res, obj) => {
    if (op !== 'CREATE' || res.group !== '' || res.plural !== 'pods') return;
    const spec = (obj.spec ??= {}) as PodSpec;
    const annotations = obj.metadata.annotations;
    if (annotations && MIRROR_POD_ANNOTATION in annotations) return checkMirrorPod(res, obj, spec);

    // spec.serviceAccount is the deprecated alias upstream's conversion reads and fills.
    const name = spec.serviceAccountName || spec.serviceAccount || DEFAULT_SERVICE_ACCOUNT;
    spec.serviceAccountName = name;
    spec.serviceAccount = name;
    const store = server().storeFor('', 'serviceaccounts');
    if (!store) return;
    const ns = obj.metadata.namespace ?? '';
    const key = store.key(ns, name);
    const cached = store.cache.get(key);
    if (cached) return admitWith(res, obj, spec, cached.obj as ServiceAccount);

    // A miss: first see every write this server acknowledged (the SA may have just been
    // created), then keep looking for "default" a while, as upstream does.
    return (async () => {
      const attempts = name === DEFAULT_SERVICE_ACCOUNT ? DEFAULT_ATTEMPTS : 1;
      const pause = retryDelay();
      for (let i = 0; i < attempts; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, pause));
        try {
          await store.cache.fresh();
        } catch (err) {
          throw forbidden(res, obj, `error looking up service account ${ns}/${name}: ${err instanceof Error ? err.message : String(err)}`);
        }
        const found = store.cache.get(key);
        if (found) return admitWith(res, obj, spec, found.obj as ServiceAccount);
      }
      throw forbidden(res, obj, `error looking up service account ${ns}/${name}: serviceaccount "${name}" not found`);
    })();
  };
}

function admitWith(res: ServedResource, obj: KObject, spec: PodSpec, sa: ServiceAccount): void {
  const automount = spec.automountServiceAccountToken ?? sa.automountServiceAccountToken ?? true;
  if (automount) mountToken(spec);
  if (!spec.imagePullSecrets?.length && sa.imagePullSecrets?.length) {
    spec.imagePullSecrets = sa.imagePullSecrets.map((r) => ({ name: r.name }));
  }
  if (enforcesMountableSecrets(sa)) {
    const why = unlistedSecret(sa, spec);
    if (why) throw forbidden(res, obj, why);
  }
}

function mountToken(spec: PodSpec): void {
  const volumes = spec.volumes;
  let volumeName: string | undefined;
  if (volumes) {
    for (const v of volumes) {
      if (v.name?.startsWith(TOKEN_VOLUME_PREFIX)) { volumeName = v.name; break; }
    }
  }
  const hasVolume = volumeName !== undefined;
  volumeName ??= TOKEN_VOLUME_PREFIX + randomSuffix();
  const inInit = mountIn(spec.initContainers, volumeName);
  const inMain = mountIn(spec.containers, volumeName);
  if (hasVolume || !(inInit || inMain)) return;
  const v: Volume = { name: volumeName, projected: TOKEN_VOLUME_SOURCE };
  if (volumes) volumes.push(v);
  else spec.volumes = [v];
}

/** Adds the token mount to each container with nothing at the token path; whether any got it. */
function mountIn(list: Container[] | undefined, volumeName: string): boolean {
  let added = false;
  if (!list) return added;
  next: for (const c of list) {
    const mounts = c.volumeMounts;
    if (mounts) {
      for (const m of mounts) if (m.mountPath === TOKEN_MOUNT_PATH) continue next;
    }
    const m: VolumeMount = { name: volumeName, readOnly: true, mountPath: TOKEN_MOUNT_PATH };
    if (mounts) mounts.push(m);
    else c.volumeMounts = [m];
    added = true;
  }
  return added;
}

function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += NAME_ALPHABET[Math.floor(Math.random() * NAME_ALPHABET.length)];
  return s;
}

/** strconv.ParseBool's true spellings; anything else (including junk) is false. */
function enforcesMountableSecrets(sa: ServiceAccount): boolean {
  const v = sa.metadata?.annotations?.[ENFORCE_MOUNTABLE_SECRETS_ANNOTATION];
  return v === '1' || v === 't' || v === 'T' || v === 'true' || v === 'TRUE' || v === 'True';
}

/** The first reference to a secret the ServiceAccount does not list, as upstream words it. */
function unlistedSecret(sa: ServiceAccount, spec: PodSpec): string | undefined {
  const saName = sa.metadata?.name ?? '';
  const mountable = new Set((sa.secrets ?? []).map((s) => s.name ?? ''));
  const tail = `is not allowed because service account ${saName} does not reference that secret`;
  for (const v of spec.volumes ?? []) {
    if (!v.secret) continue;
    const s = v.secret.secretName ?? '';
    if (!mountable.has(s)) return `volume with secret.secretName="${s}" ${tail}`;
  }
  const containers = (list: Container[] | undefined, kind: string): string | undefined => {
    for (const c of list ?? []) {
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref && !mountable.has(ref.name ?? '')) return `${kind} ${c.name} with envVar ${e.name} referencing secret.secretName="${ref.name ?? ''}" ${tail}`;
      }
      for (const e of c.envFrom ?? []) {
        const ref = e.secretRef;
        if (ref && !mountable.has(ref.name ?? '')) return `${kind} ${c.name} with envFrom referencing secret.secretName="${ref.name ?? ''}" ${tail}`;
      }
    }
    return undefined;
  };
  const inContainers = containers(spec.initContainers, 'init container') ?? containers(spec.containers, 'container');
  if (inContainers) return inContainers;
  const pull = new Set((sa.imagePullSecrets ?? []).map((s) => s.name ?? ''));
  const refs = spec.imagePullSecrets ?? [];
  for (let i = 0; i < refs.length; i++) {
    const n = refs[i].name ?? '';
    if (!pull.has(n)) return `imagePullSecrets[${i}].name="${n}" is not allowed because service account ${saName} does not reference that imagePullSecret`;
  }
  return undefined;
}

/** Upstream's checks for mirror pods, whose spec the kubelet owns and admission must not change. */
function checkMirrorPod(res: ServedResource, obj: KObject, spec: PodSpec): void {
  if (spec.serviceAccountName || spec.serviceAccount) throw forbidden(res, obj, 'a mirror pod may not reference service accounts');
  if (referencesSecrets(spec)) throw forbidden(res, obj, 'a mirror pod may not reference secrets');
  for (const v of spec.volumes ?? []) {
    if (v.projected?.sources?.some((s) => s.serviceAccountToken)) {
      throw forbidden(res, obj, 'a mirror pod may not use ServiceAccountToken volume projections');
    }
  }
}

type Ref = LocalObjectReference | null | undefined;

/** Whether anything in the spec names a secret (upstream's VisitPodSecretNames over all containers). */
function referencesSecrets(spec: PodSpec): boolean {
  if (spec.imagePullSecrets?.length) return true;
  for (const list of [spec.initContainers, spec.containers, spec.ephemeralContainers] as (Container[] | undefined)[]) {
    for (const c of list ?? []) {
      if (c.envFrom?.some((e) => e.secretRef)) return true;
      if (c.env?.some((e) => e.valueFrom?.secretKeyRef)) return true;
    }
  }
  for (const v of spec.volumes ?? []) {
    if (v.secret || v.azureFile) return true;
    const refs: Ref[] = [v.cephfs?.secretRef, v.cinder?.secretRef, v.flexVolume?.secretRef, v.rbd?.secretRef, v.scaleIO?.secretRef,
      v.iscsi?.secretRef, v.storageos?.secretRef, v.csi?.nodePublishSecretRef];
    if (refs.some((r) => r)) return true;
    if (v.projected?.sources?.some((s) => s.secret)) return true;
  }
  return false;
}
