import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../util/clock.js';
import { Informer, SharedInformerFactory } from './informer.js';
import type { GroupVersionResource, KubeObject } from './resource.js';
import { byNodeName, byOwnerUid } from './store.js';
import { FakeApi } from './testing/fakeapi.js';
import { eventually } from './testing/eventually.js';

const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods', namespaced: true };
interface Pod extends KubeObject { spec?: { nodeName?: string } }
const pod = (name: string, labels: Record<string, string> = {}, nodeName?: string, owner?: string): Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, labels, ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: owner, controller: true }] : undefined },
  spec: { nodeName },
});

/** Records handler calls as strings. */
function recorder(inf: Informer<Pod>) {
  const log: string[] = [];
  inf.addEventHandler({
    onAdd: (o, initial) => log.push(`add ${o.metadata?.name}${initial ? ' initial' : ''}`),
    onUpdate: (a, b) => log.push(`update ${b.metadata?.name} ${a.metadata?.resourceVersion}->${b.metadata?.resourceVersion}`),
    onDelete: (o, unknown) => log.push(`delete ${o.metadata?.name}${unknown ? ' tombstone' : ''}`),
  });
  return log;
}

function setup() {
  const api = new FakeApi();
  const pods = api.client.resource<Pod>(PODS);
  const clock = new FakeClock();
  const inf = new Informer<Pod>(pods, { clock, pageSize: 2, indexers: { node: byNodeName, owner: byOwnerUid } });
  const ac = new AbortController();
  return { api, pods, clock, inf, ac, log: recorder(inf) };
}

const lists = (api: FakeApi) => api.requests.filter((r) => r.verb === 'list' && !r.query.get('continue')).length;

describe('Informer', () => {
  test('lists (paged), syncs, then follows the watch; indexers and listers answer from the cache', async () => {
    const { api, pods, inf, ac, log } = setup();
    await pods.create('a', pod('p1', { app: 'web' }, 'n1', 'rs1'));
    await pods.create('a', pod('p2', { app: 'db' }, 'n2', 'rs1'));
    await pods.create('b', pod('p3', { app: 'web' }));
    const running = inf.start(ac.signal);
    assert.equal(inf.hasSynced(), false);
    assert.equal(await inf.waitForSync(ac.signal), true);
    assert.deepEqual(log.sort(), ['add p1 initial', 'add p2 initial', 'add p3 initial']);
    assert.ok(api.requests.some((r) => r.verb === 'list' && r.query.get('continue')), 'second page requested');

    await eventually(() => api.openWatches === 1, 'watch open');
    const w = api.requests.find((r) => r.verb === 'watch')!;
    assert.equal(w.query.get('allowWatchBookmarks'), 'true');
    assert.equal(w.query.get('resourceVersion'), api.resourceVersion);

    const p1 = await pods.get('a', 'p1');
    await pods.update('a', { ...p1, metadata: { ...p1.metadata, labels: { app: 'web', v: '2' } } });
    await pods.delete('a', 'p2');
    await pods.create('b', pod('p4', {}, 'n1'));
    await eventually(() => log.length === 6, 'watch events');
    assert.deepEqual(log.slice(3), [`update p1 ${p1.metadata?.resourceVersion}->${Number(p1.metadata?.resourceVersion) + 3}`, 'delete p2', 'add p4']);

    assert.deepEqual(inf.lister.list('app=web').map((p) => p.metadata?.name).sort(), ['p1', 'p3']);
    assert.deepEqual(inf.lister.listNamespace('b').map((p) => p.metadata?.name).sort(), ['p3', 'p4']);
    assert.equal(inf.lister.get('a', 'p1')?.metadata?.labels?.v, '2');
    assert.deepEqual(inf.indexer.byIndex('node', 'n1').map((p) => p.metadata?.name).sort(), ['p1', 'p4']);
    assert.deepEqual(inf.indexer.byIndex('owner', 'rs1').map((p) => p.metadata?.name), ['p1']);
    assert.throws(() => { (inf.lister.get('a', 'p1')!.metadata!.labels as Record<string, string>).x = 'y'; }, TypeError, 'cached objects are frozen');

    ac.abort();
    await running;
    assert.equal(api.openWatches, 0);
  });

  for (const style of ['event', 'status'] as const) {
    test(`relists on 410 (${style}), delivering tombstones for objects that vanished meanwhile`, async () => {
      const { api, pods, inf, ac, log, clock } = setup();
      api.expiredWatchStyle = style;
      await pods.create('a', pod('keep'));
      await pods.create('a', pod('gone'));
      const running = inf.start(ac.signal);
      await inf.waitForSync(ac.signal);
      await eventually(() => api.openWatches === 1, 'watch open');

      // While the informer is disconnected (backing off: its stream ended empty at once),
      // history is compacted and changes happen.
      api.closeWatches();
      await pods.delete('a', 'gone');
      await pods.create('a', pod('new'));
      api.compact();
      const listsBefore = lists(api);
      await eventually(() => { clock.advance(1000); return lists(api) > listsBefore; }, 'relist');
      await eventually(() => log.includes('delete gone tombstone') && log.includes('add new'), 'relist events');
      assert.ok(log.some((l) => l.startsWith('update keep')), 'survivors are re-delivered as updates');
      assert.deepEqual(inf.lister.list().map((p) => p.metadata?.name).sort(), ['keep', 'new']);
      const lastWatch = api.requests.filter((r) => r.verb === 'watch').at(-1)!;
      assert.equal(lastWatch.query.get('resourceVersion'), api.resourceVersion);
      ac.abort();
      await running;
    });
  }

  test('a stream that ends is resumed from the last seen resourceVersion without relisting; bookmarks advance it', async () => {
    const { api, pods, inf, ac, log } = setup();
    const running = inf.start(ac.signal);
    await inf.waitForSync(ac.signal);
    await eventually(() => api.openWatches === 1, 'watch open');
    await pods.create('a', pod('x'));
    await eventually(() => log.includes('add x'), 'add x');
    await pods.create('other', pod('y'));
    api.bookmark();
    await eventually(() => inf.lastSyncResourceVersion === api.resourceVersion, 'bookmark applied');
    const rv = api.resourceVersion;
    api.closeWatches();
    await eventually(() => api.requests.filter((r) => r.verb === 'watch').length === 2 && api.openWatches === 1, 're-watch');
    assert.equal(api.requests.filter((r) => r.verb === 'watch')[1].query.get('resourceVersion'), rv);
    assert.equal(lists(api), 1);
    ac.abort();
    await running;
  });

  test('a non-410 ERROR event causes a relist after backoff', async () => {
    const { api, inf, ac, clock } = setup();
    let served = false;
    api.prependReactor((r) => {
      if (r.verb !== 'watch' || served) return undefined;
      served = true;
      throw new Error('unreachable'); // transport failure: resume, no relist
    });
    const running = inf.start(ac.signal);
    await inf.waitForSync(ac.signal);
    await eventually(() => { clock.advance(1000); return api.openWatches === 1; }, 'watch after transport failure');
    assert.equal(lists(api), 1);

    // Now inject an ERROR event carrying a 500 Status into the live stream.
    const w = (api as unknown as { watchers: Set<{ pipe: { push(b: Uint8Array): void } }> }).watchers.values().next().value!;
    w.pipe.push(Buffer.from(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 500, reason: 'InternalError', message: 'boom' } }) + '\n'));
    await eventually(() => { clock.advance(1000); return lists(api) === 2; }, 'relist after ERROR');
    ac.abort();
    await running;
  });

  test('resync re-delivers cached objects; a late handler gets the cache as adds', async () => {
    const api = new FakeApi();
    const clock = new FakeClock();
    const pods = api.client.resource<Pod>(PODS);
    await pods.create('a', pod('p'));
    const inf = new Informer<Pod>(pods, { clock, resyncPeriodMs: 30_000 });
    const ac = new AbortController();
    const running = inf.start(ac.signal);
    await inf.waitForSync();
    const log = recorder(inf);
    assert.deepEqual(log, ['add p initial']);
    clock.advance(30_000);
    assert.equal(log.at(-1)?.startsWith('update p'), true);
    ac.abort();
    await running;
  });
});

describe('SharedInformerFactory', () => {
  test('one informer per resource, shared and started once', async () => {
    const api = new FakeApi();
    const f = new SharedInformerFactory(api.client, { clock: new FakeClock() });
    const a = f.informerFor<Pod>(PODS, { indexers: { node: byNodeName } });
    const b = f.informerFor<Pod>(PODS, { indexers: { owner: byOwnerUid } });
    assert.equal(a, b);
    assert.ok(a.indexer.hasIndex('node') && a.indexer.hasIndex('owner') && a.indexer.hasIndex('namespace'));
    const ac = new AbortController();
    const running = f.start(ac.signal);
    f.start(ac.signal);
    assert.equal(await f.waitForSync(ac.signal), true);
    await eventually(() => api.openWatches === 1, 'single watch');
    assert.equal(lists(api), 1);
    ac.abort();
    await running;
  });
});
