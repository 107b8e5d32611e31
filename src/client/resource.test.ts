import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isAlreadyExists, isConflict, isGone, isNotFound } from './errors.js';
import type { GroupVersionResource, KubeObject } from './resource.js';
import { FakeApi } from './testing/fakeapi.js';

const CONFIGMAPS: GroupVersionResource = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
const DEPLOYMENTS: GroupVersionResource = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true };
const NODES: GroupVersionResource = { group: '', version: 'v1', resource: 'nodes', namespaced: false };

interface ConfigMap extends KubeObject { data?: Record<string, string> }
const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>): ConfigMap =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data });

describe('ResourceClient', () => {
  test('paths for core, grouped and cluster-scoped resources', () => {
    const api = new FakeApi();
    assert.equal(api.client.resource(CONFIGMAPS).path('ns', 'a'), '/api/v1/namespaces/ns/configmaps/a');
    assert.equal(api.client.resource(CONFIGMAPS).path(''), '/api/v1/configmaps');
    assert.equal(api.client.resource(DEPLOYMENTS).path('ns', 'd', 'scale'), '/apis/apps/v1/namespaces/ns/deployments/d/scale');
    assert.equal(api.client.resource(NODES).path('ignored', 'n1'), '/api/v1/nodes/n1');
  });

  test('create, get, update with conflicts, patch, delete, typed errors', async () => {
    const api = new FakeApi();
    const c = api.client.resource<ConfigMap>(CONFIGMAPS);
    const created = await c.create('ns', cm('a', { k: 'v' }));
    assert.equal(created.metadata?.namespace, 'ns');
    assert.ok(created.metadata?.uid && created.metadata.resourceVersion);
    await assert.rejects(c.create('ns', cm('a')), isAlreadyExists);
    await assert.rejects(c.get('ns', 'b'), (e) => isNotFound(e) && (e as Error).message === 'configmaps "b" not found');

    const updated = await c.update('ns', { ...created, data: { k: 'v2' } });
    assert.equal(updated.data?.k, 'v2');
    await assert.rejects(c.update('ns', { ...created, data: { k: 'stale' } }), isConflict);

    const patched = await c.patch('ns', 'a', 'merge', { data: { extra: '1' } });
    assert.deepEqual(patched.data, { k: 'v2', extra: '1' });
    const jp = await c.patch('ns', 'a', 'json', [{ op: 'remove', path: '/data/extra' }]);
    assert.deepEqual(jp.data, { k: 'v2' });

    const dry = await c.create('ns', cm('dry'), { dryRun: true });
    assert.equal(dry.metadata?.name, 'dry');
    await assert.rejects(c.get('ns', 'dry'), isNotFound);

    await c.delete('ns', 'a');
    await assert.rejects(c.get('ns', 'a'), isNotFound);
    assert.equal(api.requests.at(-1)?.verb, 'get');
  });

  test('generateName, finalizers delay deletion, status subresource keeps spec', async () => {
    const api = new FakeApi();
    const d = api.client.resource<KubeObject & { spec?: { replicas: number }; status?: { ready: number } }>(DEPLOYMENTS);
    const x = await d.create('ns', { kind: 'Deployment', metadata: { generateName: 'web-', finalizers: ['f'] } as never, spec: { replicas: 1 } });
    const name = x.metadata!.name!;
    assert.match(name, /^web-[0-9a-f]{5}$/);
    assert.equal(x.metadata?.generation, 1);
    const s = await d.updateStatus('ns', { ...x, spec: { replicas: 9 }, status: { ready: 1 } });
    assert.deepEqual([s.spec?.replicas, s.status?.ready, s.metadata?.generation], [1, 1, 1]);
    const u = await d.update('ns', { ...s, spec: { replicas: 2 }, status: { ready: 7 } });
    assert.deepEqual([u.spec?.replicas, u.status?.ready, u.metadata?.generation], [2, 1, 2]);

    const pending = await d.delete('ns', name) as KubeObject;
    assert.ok(pending.metadata?.deletionTimestamp);
    const cur = await d.get('ns', name);
    await d.update('ns', { ...cur, metadata: { ...cur.metadata, finalizers: [] } as never });
    await assert.rejects(d.get('ns', name), isNotFound);
  });

  test('lists filter by selectors, page with continue, and stamp kind on items; old tokens expire', async () => {
    const api = new FakeApi();
    const c = api.client.resource<ConfigMap>(CONFIGMAPS);
    for (let i = 0; i < 5; i++) await c.create(i < 3 ? 'a' : 'b', cm(`cm${i}`, {}, { tier: i % 2 ? 'odd' : 'even' }));
    assert.equal((await c.list('')).items.length, 5);
    assert.deepEqual((await c.list('a', { labelSelector: 'tier=even' })).items.map((o) => o.metadata?.name), ['cm0', 'cm2']);
    assert.deepEqual((await c.list('', { fieldSelector: 'metadata.name=cm4' })).items.map((o) => o.metadata?.namespace), ['b']);
    const page = await c.list('', { limit: 2 });
    assert.equal(page.items.length, 2);
    assert.equal(page.metadata.remainingItemCount, 3);
    assert.equal(page.items[0].kind, 'ConfigMap');
    assert.equal(page.items[0].apiVersion, 'v1');
    const everything = await c.listAll('', { limit: 2 });
    assert.deepEqual(everything.items.map((o) => o.metadata?.name), ['cm0', 'cm1', 'cm2', 'cm3', 'cm4']);
    api.compact();
    await assert.rejects(c.list('', { limit: 2, continue: page.metadata.continue }), isGone);

    await c.deleteCollection('a', { labelSelector: 'tier=even' });
    assert.deepEqual(api.list(CONFIGMAPS).map((o) => o.metadata?.name), ['cm1', 'cm3', 'cm4']);
  });

  test('watch replays from a resourceVersion and reports expiry', async () => {
    const api = new FakeApi();
    const c = api.client.resource<ConfigMap>(CONFIGMAPS);
    const first = await c.create('ns', cm('a'));
    await c.create('ns', cm('b'));
    await c.delete('ns', 'a');
    const ac = new AbortController();
    const seen: string[] = [];
    for await (const ev of c.watch('ns', { resourceVersion: first.metadata!.resourceVersion, signal: ac.signal })) {
      seen.push(`${ev.type} ${ev.object.metadata?.name}`);
      if (seen.length === 2) ac.abort();
    }
    assert.deepEqual(seen, ['ADDED b', 'DELETED a']);
    assert.equal(api.openWatches, 0);

    api.compact();
    const evs = [];
    for await (const ev of c.watch('ns', { resourceVersion: first.metadata!.resourceVersion })) evs.push(ev);
    assert.equal(evs.length, 1);
    assert.equal(evs[0].type, 'ERROR');
    assert.equal((evs[0].object as unknown as { code: number }).code, 410);
  });
});
