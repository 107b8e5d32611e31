import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../client/index.js';
import { FakeApi } from '../client/testing/index.js';
import { errors } from '../machinery/errors.js';
import { Indexer, Lister } from '../client/index.js';
import { claimObjects, orphansByNamespace, ownersToSync, selectorSelects } from './claim.js';

const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const OWNERS = { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true };
type P = Pod & KubeObject;
const F = 'example.com/tracking';

function setup(ownerExtra: Record<string, unknown> = {}) {
  const api = new FakeApi();
  const owners = api.client.resource<KubeObject>(OWNERS);
  const pods = api.client.resource<P>(PODS);
  const mkOwner = async () => owners.create('ns', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'o', ...ownerExtra } });
  const mkPod = (name: string, labels: Record<string, string>, meta: Record<string, unknown> = {}) =>
    pods.create('ns', { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels, ...meta }, spec: { containers: [] } });
  const claim = (owner: KubeObject, cands: P[], extra: { finalizers?: string[]; release?: boolean } = {}) => claimObjects(cands, {
    owner, apiVersion: 'apps/v1', kind: 'ReplicaSet', ownerClient: owners, client: pods,
    matches: (p) => p.metadata?.labels?.app === 'a', ...extra,
  });
  const writes = () => api.requests.filter((r) => r.verb === 'patch').map((r) => r.name);
  return { api, owners, pods, mkOwner, mkPod, claim, writes, get: (n: string) => api.get<P>(PODS, 'ns', n)! };
}

describe('claimObjects', () => {
  test('adopts matching orphans (adding finalizers), releases non-matching owned objects (removing them), keeps order', async () => {
    const s = setup();
    const owner = await s.mkOwner();
    const uid = owner.metadata!.uid!;
    const mine = { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'o', uid, controller: true }] };
    const owned = await s.mkPod('owned', { app: 'a' }, mine);
    const orphan = await s.mkPod('orphan', { app: 'a' }, { finalizers: ['other'] });
    const stray = await s.mkPod('stray', { app: 'b' }, { ...mine, finalizers: [F, 'other'] });
    const foreign = await s.mkPod('foreign', { app: 'a' }, { ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'x', controller: true }] });
    const unmatched = await s.mkPod('unmatched', { app: 'b' });
    const got = await s.claim(owner, [orphan, owned, stray, foreign, unmatched], { finalizers: [F] });
    assert.deepEqual(got.map((p) => p.metadata?.name), ['orphan', 'owned']);
    assert.deepEqual(s.get('orphan').metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'o', uid, controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(s.get('orphan').metadata?.finalizers, ['other', F]);
    assert.deepEqual(got[0].metadata?.finalizers, ['other', F], 'the adopted object as patched');
    assert.equal(s.get('stray').metadata?.ownerReferences, undefined);
    assert.deepEqual(s.get('stray').metadata?.finalizers, ['other']);
    assert.deepEqual(s.writes().sort(), ['orphan', 'stray'], 'owned, foreign and unmatched pods are not written');
    const adoption = s.api.requests.find((r) => r.verb === 'patch' && r.name === 'orphan')!.body as { metadata: Record<string, unknown> };
    assert.equal(adoption.metadata.uid, orphan.metadata?.uid, 'guarded by uid');
    assert.equal(adoption.metadata.resourceVersion, orphan.metadata?.resourceVersion, 'guarded by resourceVersion');
  });

  test('a deleting owner neither adopts nor releases, and does not read itself', async () => {
    const s = setup({ finalizers: ['hold'] });
    const created = await s.mkOwner();
    await s.owners.delete('ns', 'o');
    const owner = s.api.get<KubeObject>(OWNERS, 'ns', 'o')!;
    assert.ok(owner.metadata?.deletionTimestamp);
    const orphan = await s.mkPod('orphan', { app: 'a' });
    const stray = await s.mkPod('stray', { app: 'b' }, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'o', uid: created.metadata!.uid!, controller: true }] });
    const before = s.api.requests.length;
    assert.deepEqual(await s.claim(owner, [orphan, stray]), []);
    assert.deepEqual(s.api.requests.slice(before), []);
  });

  test('adoption re-reads the owner once: one deleted or replaced on the server adopts nothing', async () => {
    const s = setup();
    const owner = await s.mkOwner();
    const a = await s.mkPod('a', { app: 'a' });
    const b = await s.mkPod('b', { app: 'a' });
    // The server's copy is being deleted although the cached one is not.
    const stop = s.api.prependReactor((r) => (r.verb === 'get' && r.resource === 'replicasets'
      ? { ...s.api.get<KubeObject>(OWNERS, 'ns', 'o'), metadata: { ...owner.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } } : undefined));
    assert.deepEqual(await s.claim(owner, [a, b]), []);
    assert.equal(s.api.requests.filter((r) => r.verb === 'get').length, 1);
    stop();
    // Replaced under the same name: another uid.
    await s.owners.delete('ns', 'o');
    await s.mkOwner();
    assert.deepEqual(await s.claim(owner, [a, b]), []);
    // Gone.
    await s.owners.delete('ns', 'o');
    assert.deepEqual(await s.claim(owner, [a, b]), []);
    assert.deepEqual(s.writes(), []);
  });

  test('release can be turned off; write failures other than NotFound are raised after the rest are tried', async () => {
    const s = setup();
    const owner = await s.mkOwner();
    const ref = { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'o', uid: owner.metadata!.uid!, controller: true }] };
    const stray = await s.mkPod('stray', { app: 'b' }, ref);
    assert.deepEqual(await s.claim(owner, [stray], { release: false }), []);
    assert.deepEqual(s.writes(), []);
    const gone = await s.mkPod('gone', { app: 'a' });
    const broken = await s.mkPod('broken', { app: 'a' });
    const fine = await s.mkPod('fine', { app: 'a' });
    await s.pods.delete('ns', 'gone');
    s.api.prependReactor((r) => { if (r.verb === 'patch' && r.name === 'broken') throw errors.conflict('pods', '', 'broken'); return undefined; });
    await assert.rejects(s.claim(owner, [gone, broken, fine]), /has been modified/);
    assert.equal(s.get('fine').metadata?.ownerReferences?.[0]?.uid, owner.metadata?.uid);
  });
});

describe('claim helpers', () => {
  test('orphans are indexed by namespace; controlled objects are not', () => {
    assert.deepEqual(orphansByNamespace({ metadata: { namespace: 'ns', ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u' }] } }), ['ns']);
    assert.deepEqual(orphansByNamespace({ metadata: { namespace: 'ns', ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u', controller: true }] } }), []);
  });

  test('owner selectors: empty and invalid select nothing', () => {
    assert.equal(selectorSelects({ matchLabels: { app: 'a' } }, { app: 'a', x: 'y' }), true);
    assert.equal(selectorSelects({ matchLabels: { app: 'a' } }, { app: 'b' }), false);
    assert.equal(selectorSelects({}, { app: 'a' }), false);
    assert.equal(selectorSelects(undefined, { app: 'a' }), false);
    assert.equal(selectorSelects({ matchExpressions: [{ key: 'app', operator: 'Bogus' }] }, { app: 'a' }), false);
    const frozen = Object.freeze({ matchLabels: Object.freeze({ app: 'a' }) });
    assert.equal(selectorSelects(frozen, { app: 'a' }), true);
    assert.equal(selectorSelects(frozen, { app: 'a' }), true, 'cached parse');
  });

  test('ownersToSync: the controller (and the previous one), or for orphans the owners selecting them', () => {
    type O = KubeObject & { spec?: { selector?: { matchLabels?: Record<string, string> } } };
    const idx = new Indexer<O>();
    const own = (name: string, uid: string, app: string): O => ({ metadata: { namespace: 'ns', name, uid }, spec: { selector: { matchLabels: { app } } } });
    idx.set(own('a', 'ua', 'a'));
    idx.set(own('b', 'ub', 'b'));
    idx.set({ metadata: { namespace: 'other', name: 'c', uid: 'uc' }, spec: { selector: { matchLabels: { app: 'a' } } } });
    const lister = new Lister(idx);
    const names = (xs: O[]) => xs.map((x) => x.metadata?.name).sort();
    const ref = (name: string, uid: string, kind = 'ReplicaSet') => [{ apiVersion: 'apps/v1', kind, name, uid, controller: true }];
    const pod = (labels: Record<string, string>, ownerReferences?: ReturnType<typeof ref>): KubeObject => ({ metadata: { namespace: 'ns', name: 'p', labels, ownerReferences } });
    assert.deepEqual(names(ownersToSync(lister, 'ReplicaSet', undefined, pod({ app: 'a' }))), ['a']);
    assert.deepEqual(names(ownersToSync(lister, 'ReplicaSet', undefined, pod({ app: 'a' }, ref('b', 'ub')))), ['b']);
    assert.deepEqual(names(ownersToSync(lister, 'ReplicaSet', undefined, pod({ app: 'a' }, ref('b', 'stale')))), [], 'uid must match');
    assert.deepEqual(names(ownersToSync(lister, 'ReplicaSet', undefined, pod({ app: 'a' }, ref('b', 'ub', 'Job')))), [], 'kind must match');
    assert.deepEqual(names(ownersToSync(lister, 'ReplicaSet', pod({ app: 'a' }), pod({ app: 'a' }))), [], 'unchanged orphan');
    assert.deepEqual(names(ownersToSync(lister, 'ReplicaSet', pod({ app: 'x' }), pod({ app: 'b' }))), ['b'], 'relabelled orphan');
    assert.deepEqual(names(ownersToSync(lister, 'ReplicaSet', pod({ app: 'b' }, ref('a', 'ua')), pod({ app: 'b' }))), ['a', 'b'], 'released: old owner and candidates');
  });
});
