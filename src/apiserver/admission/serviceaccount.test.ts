import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pod, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../api/types.js';
import { StatusError } from '../../machinery/errors.js';
import type { Operation, WriteContext } from '../registry/store.js';
import type { ServedResource } from '../resources.js';
import type { ApiServer } from '../server.js';
import { serviceAccountAdmission, TOKEN_MOUNT_PATH } from './serviceaccount.js';

const PODS = { group: '', plural: 'pods', namespaced: true } as ServedResource;
const CTX: WriteContext = { user: { username: 'u', groups: [] }, dryRun: false, warnings: [] };

/** A serviceaccounts store whose watch cache is a map; counts reads and freshness waits. */
function fakeServer(sas: ServiceAccount[] = [{ metadata: { name: 'default', namespace: 'ns' } }]) {
  const items = new Map<string, { obj: ServiceAccount }>();
  const key = (ns: string | undefined, name: string) => `/registry/core/serviceaccounts/${ns}/${name}`;
  const add = (sa: ServiceAccount) => items.set(key(sa.metadata!.namespace, sa.metadata!.name!), { obj: sa });
  sas.forEach(add);
  const counts = { get: 0, fresh: 0 };
  let onFresh: (() => void) | undefined;
  const store = {
    key,
    cache: {
      get: (k: string) => { counts.get++; return items.get(k); },
      fresh: async () => { counts.fresh++; onFresh?.(); },
    },
  };
  const server = { storeFor: (g: string, p: string) => (g === '' && p === 'serviceaccounts' ? store : undefined) } as unknown as ApiServer;
  return { server: () => server, add, counts, setOnFresh: (f: () => void) => { onFresh = f; } };
}

const pod = (spec: Partial<Pod['spec']> = {}, meta: Partial<Pod['metadata']> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'ns', ...meta },
  spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec },
});

async function admit(server: () => ApiServer, p: Pod, op: Operation = 'CREATE', res = PODS): Promise<Pod> {
  await serviceAccountAdmission(server, { retryDelayMs: () => 0 })(op, res, p as unknown as KObject, undefined, CTX);
  return p;
}

const rejects = (p: Promise<unknown>, message: string) =>
  assert.rejects(p, (e: StatusError) => e.code === 403 && e.message === message && e.reason === 'Forbidden' && e.details?.kind === 'pods' && e.details?.name === 'p');

describe('ServiceAccount admission', () => {
  test('defaults the account and mounts the kube-api-access volume in every container', async () => {
    const f = fakeServer();
    const p = await admit(f.server, pod({
      initContainers: [{ name: 'init', image: 'busybox' }],
      containers: [
        { name: 'app', image: 'nginx', volumeMounts: [{ name: 'data', mountPath: '/data' }] },
        { name: 'own', image: 'nginx', volumeMounts: [{ name: 'mine', mountPath: TOKEN_MOUNT_PATH }] },
      ],
      volumes: [{ name: 'data', emptyDir: {} }, { name: 'mine', emptyDir: {} }],
    }));
    const spec = p.spec!;
    assert.equal(spec.serviceAccountName, 'default');
    assert.equal(spec.serviceAccount, 'default');
    const vol = spec.volumes![2];
    assert.match(vol.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(spec.volumes!.length, 3);
    // The exact source upstream writes, serialized in its field order.
    assert.equal(JSON.stringify(vol), JSON.stringify({
      name: vol.name,
      projected: {
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
        defaultMode: 420,
      },
    }));
    const mount = { name: vol.name, readOnly: true, mountPath: TOKEN_MOUNT_PATH };
    assert.deepEqual(spec.initContainers![0].volumeMounts, [mount]);
    assert.deepEqual(spec.containers[0].volumeMounts, [{ name: 'data', mountPath: '/data' }, mount]);
    assert.deepEqual(spec.containers[1].volumeMounts, [{ name: 'mine', mountPath: TOKEN_MOUNT_PATH }], 'an existing mount at the path wins');
    assert.equal(spec.imagePullSecrets, undefined, 'an account without pull secrets adds none');
    assert.notEqual((await admit(f.server, pod())).spec!.volumes![0].name, undefined);
  });

  test('a cache hit is answered synchronously without waiting on the cache', () => {
    const f = fakeServer();
    const out = serviceAccountAdmission(f.server)('CREATE', PODS, pod() as unknown as KObject, undefined, CTX);
    assert.equal(out, undefined);
    assert.deepEqual(f.counts, { get: 1, fresh: 0 });
  });

  test('automountServiceAccountToken: the pod wins, then the account, default true', async () => {
    const f = fakeServer([
      { metadata: { name: 'default', namespace: 'ns' } },
      { metadata: { name: 'off', namespace: 'ns' }, automountServiceAccountToken: false },
      { metadata: { name: 'on', namespace: 'ns' }, automountServiceAccountToken: true },
    ]);
    const volumes = async (spec: Partial<Pod['spec']>) => (await admit(f.server, pod(spec))).spec!.volumes?.length ?? 0;
    assert.equal(await volumes({ automountServiceAccountToken: false }), 0);
    assert.equal(await volumes({ serviceAccountName: 'off' }), 0);
    assert.equal(await volumes({ serviceAccountName: 'off', automountServiceAccountToken: true }), 1);
    assert.equal(await volumes({ serviceAccountName: 'on', automountServiceAccountToken: false }), 0);
    assert.equal(await volumes({ serviceAccountName: 'on' }), 1);
    const noMount = await admit(f.server, pod({ automountServiceAccountToken: false }));
    assert.equal(noMount.spec!.containers[0].volumeMounts, undefined);
  });

  test('an existing kube-api-access- volume is reused, and no volume is added when no container needs it', async () => {
    const f = fakeServer();
    const p = await admit(f.server, pod({ volumes: [{ name: 'kube-api-access-abcde', emptyDir: {} }] }));
    assert.deepEqual(p.spec!.volumes, [{ name: 'kube-api-access-abcde', emptyDir: {} }]);
    assert.deepEqual(p.spec!.containers[0].volumeMounts, [{ name: 'kube-api-access-abcde', readOnly: true, mountPath: TOKEN_MOUNT_PATH }]);
    const all = await admit(f.server, pod({
      containers: [{ name: 'a', image: 'x', volumeMounts: [{ name: 'v', mountPath: TOKEN_MOUNT_PATH }] }],
      volumes: [{ name: 'v', emptyDir: {} }],
    }));
    assert.deepEqual(all.spec!.volumes, [{ name: 'v', emptyDir: {} }]);
  });

  test('the deprecated serviceAccount field names the account when serviceAccountName is empty', async () => {
    const f = fakeServer([{ metadata: { name: 'legacy', namespace: 'ns' } }]);
    const p = await admit(f.server, pod({ serviceAccount: 'legacy' }));
    assert.equal(p.spec!.serviceAccountName, 'legacy');
    assert.equal(p.spec!.serviceAccount, 'legacy');
  });

  test('image pull secrets are copied from the account only when the pod has none', async () => {
    const f = fakeServer([{ metadata: { name: 'default', namespace: 'ns' }, imagePullSecrets: [{ name: 'reg' }, { name: 'reg2' }] }]);
    assert.deepEqual((await admit(f.server, pod())).spec!.imagePullSecrets, [{ name: 'reg' }, { name: 'reg2' }]);
    assert.deepEqual((await admit(f.server, pod({ imagePullSecrets: [] }))).spec!.imagePullSecrets, [{ name: 'reg' }, { name: 'reg2' }]);
    assert.deepEqual((await admit(f.server, pod({ imagePullSecrets: [{ name: 'own' }] }))).spec!.imagePullSecrets, [{ name: 'own' }]);
  });

  test('a missing account is forbidden; only "default" is looked for again', async () => {
    const f = fakeServer([]);
    await rejects(admit(f.server, pod({ serviceAccountName: 'robot' })), 'pods "p" is forbidden: error looking up service account ns/robot: serviceaccount "robot" not found');
    assert.deepEqual(f.counts, { get: 2, fresh: 1 });
    f.counts.get = f.counts.fresh = 0;
    await rejects(admit(f.server, pod()), 'pods "p" is forbidden: error looking up service account ns/default: serviceaccount "default" not found');
    assert.deepEqual(f.counts, { get: 11, fresh: 10 });
  });

  test('a default account created while admission waits is found', async () => {
    const f = fakeServer([]);
    f.setOnFresh(() => { if (f.counts.fresh === 3) f.add({ metadata: { name: 'default', namespace: 'ns' } }); });
    const p = await admit(f.server, pod());
    assert.equal(p.spec!.volumes?.length, 1);
    assert.equal(f.counts.fresh, 3);
  });

  test('only pod creates are admitted', async () => {
    const f = fakeServer([]);
    const p = pod();
    await admit(f.server, p, 'UPDATE');
    await admit(f.server, p, 'CREATE', { group: '', plural: 'configmaps' } as ServedResource);
    await admit(f.server, p, 'CREATE', { group: 'example.com', plural: 'pods' } as ServedResource);
    assert.deepEqual(p, pod());
    assert.equal(f.counts.get, 0);
  });

  test('mirror pods are left alone but may not reference accounts, secrets or token projections', async () => {
    const f = fakeServer();
    const mirror = (spec: Partial<Pod['spec']> = {}) => pod(spec, { annotations: { 'kubernetes.io/config.mirror': 'abc' } });
    const plain = mirror();
    await admit(f.server, plain);
    assert.deepEqual(plain, mirror());
    const msg = (m: string) => `pods "p" is forbidden: ${m}`;
    await rejects(admit(f.server, mirror({ serviceAccountName: 'default' })), msg('a mirror pod may not reference service accounts'));
    await rejects(admit(f.server, mirror({ volumes: [{ name: 's', secret: { secretName: 'x' } }] })), msg('a mirror pod may not reference secrets'));
    await rejects(admit(f.server, mirror({ imagePullSecrets: [{ name: 'reg' }] })), msg('a mirror pod may not reference secrets'));
    await rejects(admit(f.server, mirror({ containers: [{ name: 'a', envFrom: [{ secretRef: { name: 's' } }] }] })), msg('a mirror pod may not reference secrets'));
    await rejects(admit(f.server, mirror({ volumes: [{ name: 'p', projected: { sources: [{ secret: { name: 's' } }] } }] })), msg('a mirror pod may not reference secrets'));
    await rejects(admit(f.server, mirror({ volumes: [{ name: 't', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }] })),
      msg('a mirror pod may not use ServiceAccountToken volume projections'));
  });

  test('kubernetes.io/enforce-mountable-secrets limits secret references to the account\'s', async () => {
    const sa = (value: string): ServiceAccount => ({
      metadata: { name: 'default', namespace: 'ns', annotations: { 'kubernetes.io/enforce-mountable-secrets': value } },
      secrets: [{ name: 'ok' }], imagePullSecrets: [{ name: 'reg' }],
    });
    const f = fakeServer([sa('true')]);
    const tail = 'is not allowed because service account default does not reference that secret';
    const msg = (m: string) => `pods "p" is forbidden: ${m}`;
    const ok = await admit(f.server, pod({
      volumes: [{ name: 'v', secret: { secretName: 'ok' } }],
      containers: [{ name: 'app', image: 'x', env: [{ name: 'E', valueFrom: { secretKeyRef: { name: 'ok', key: 'k' } } }], envFrom: [{ secretRef: { name: 'ok' } }] }],
    }));
    assert.deepEqual(ok.spec!.imagePullSecrets, [{ name: 'reg' }], 'copied pull secrets are the account\'s own');
    await rejects(admit(f.server, pod({ volumes: [{ name: 'v', secret: { secretName: 'no' } }] })), msg(`volume with secret.secretName="no" ${tail}`));
    await rejects(admit(f.server, pod({ initContainers: [{ name: 'i', image: 'x', env: [{ name: 'E', valueFrom: { secretKeyRef: { name: 'no', key: 'k' } } }] }] })),
      msg(`init container i with envVar E referencing secret.secretName="no" ${tail}`));
    await rejects(admit(f.server, pod({ containers: [{ name: 'c', image: 'x', envFrom: [{ secretRef: { name: 'no' } }] }] })),
      msg(`container c with envFrom referencing secret.secretName="no" ${tail}`));
    await rejects(admit(f.server, pod({ imagePullSecrets: [{ name: 'reg' }, { name: 'other' }] })),
      msg('imagePullSecrets[1].name="other" is not allowed because service account default does not reference that imagePullSecret'));
    for (const off of ['false', 'yes', '']) {
      await admit(fakeServer([sa(off)]).server, pod({ volumes: [{ name: 'v', secret: { secretName: 'no' } }] }));
    }
  });

  test('pods share one frozen projected source', async () => {
    const f = fakeServer();
    const a = await admit(f.server, pod());
    const b = await admit(f.server, pod());
    assert.equal(a.spec!.volumes![0].projected, b.spec!.volumes![0].projected);
    assert.ok(Object.isFrozen(a.spec!.volumes![0].projected!.sources));
  });
});
