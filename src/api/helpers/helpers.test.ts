import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Deployment, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { canonicalJson, computeHash, fnv32a, safeEncodeString } from './hash.js';
import { claimDecision } from './controllerref.js';
import { isPodAvailable, isPodActive, msUntilAvailable } from './pod.js';
import {
  REVISION, REVISION_HISTORY, deploymentComplete, deploymentTimedOut, equalIgnoreHash, maxSurge, maxUnavailable, newCondition, newRSReplicas,
  resolveFenceposts, setCondition, setNewReplicaSetAnnotations,
} from './deployment.js';
import { groupResourceString, preferredGroupVersions, resourcesOf } from './discovery.js';

describe('hash', () => {
  test('FNV-32a reference values', () => {
    assert.equal(fnv32a([]), 0x811c9dc5);
    assert.equal(fnv32a([...'a'].map((c) => c.charCodeAt(0))), 0xe40c292c);
    assert.equal(fnv32a([...'foobar'].map((c) => c.charCodeAt(0))), 0xbf9cf968);
  });
  test('safe encoding maps digits into the vowel-free alphabet', () => {
    assert.equal(safeEncodeString('0123456789'), '456789bcdf');
  });
  test('a template hash depends only on content, not key order or empty members; a collision count changes it', () => {
    const a = { metadata: { labels: { app: 'web', tier: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const b = { spec: { containers: [{ image: 'i', name: 'c' }] }, metadata: { creationTimestamp: null, labels: { tier: 'x', app: 'web' } } };
    assert.equal(computeHash(a), computeHash(b));
    assert.match(computeHash(a), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.notEqual(computeHash(a, 1), computeHash(a));
    assert.notEqual(computeHash({ ...a, spec: { containers: [{ name: 'c', image: 'j' }] } }), computeHash(a));
    assert.equal(canonicalJson({ b: 1, a: [undefined, { d: 2, c: 1 }] }), '{"a":[null,{"c":1,"d":2}],"b":1}');
  });
});

describe('pod state', () => {
  const pod = (ready: boolean, since: string, extra: Partial<Pod> = {}): Pod => ({
    metadata: { name: 'p' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: since }] }, ...extra,
  });
  const t = Date.parse('2026-01-01T00:00:10Z');
  test('available after minReadySeconds, strictly', () => {
    assert.equal(isPodAvailable(pod(true, '2026-01-01T00:00:00Z'), 0, t), true);
    assert.equal(isPodAvailable(pod(true, '2026-01-01T00:00:00Z'), 10, t), false);
    assert.equal(isPodAvailable(pod(true, '2026-01-01T00:00:00Z'), 9, t), true);
    assert.equal(isPodAvailable(pod(false, '2026-01-01T00:00:00Z'), 0, t), false);
    assert.equal(msUntilAvailable(pod(true, '2026-01-01T00:00:05Z'), 10, t), 5001);
  });
  test('active excludes terminated and deleting pods', () => {
    assert.equal(isPodActive(pod(true, '')), true);
    assert.equal(isPodActive(pod(true, '', { status: { phase: 'Succeeded' } })), false);
    assert.equal(isPodActive(pod(true, '', { metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' } })), false);
  });
});

describe('controller references', () => {
  const ref = (uid: string) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid, controller: true });
  const obj = (refs: ReturnType<typeof ref>[], labels = { app: 'a' }, deleting = false) => ({ metadata: { labels, ownerReferences: refs, deletionTimestamp: deleting ? 'now' : undefined } });
  const match = (l: Record<string, string> | undefined) => l?.app === 'a';
  test('decisions', () => {
    assert.equal(claimDecision(obj([ref('me')]), 'me', false, match), 'owned');
    assert.equal(claimDecision(obj([ref('me')], { app: 'b' }), 'me', false, match), 'release');
    assert.equal(claimDecision(obj([ref('me')], { app: 'b' }), 'me', true, match), 'ignore');
    assert.equal(claimDecision(obj([ref('other')]), 'me', false, match), 'ignore');
    assert.equal(claimDecision(obj([]), 'me', false, match), 'adopt');
    assert.equal(claimDecision(obj([]), 'me', true, match), 'ignore');
    assert.equal(claimDecision(obj([], { app: 'a' }, true), 'me', false, match), 'ignore');
    assert.equal(claimDecision(obj([], { app: 'b' }), 'me', false, match), 'ignore');
  });
});

describe('deployment arithmetic', () => {
  const d = (replicas: number, surge: number | string, unavailable: number | string, type = 'RollingUpdate'): Deployment => ({
    metadata: { name: 'web', generation: 2, annotations: { 'kubernetes.io/change-cause': 'why', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
    spec: { replicas, selector: {}, template: {}, strategy: { type, rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } } },
  });
  test('fenceposts: surge rounds up, unavailability down, never both zero', () => {
    assert.deepEqual(resolveFenceposts('25%', '25%', 10), { surge: 3, unavailable: 2 });
    assert.deepEqual(resolveFenceposts('25%', '25%', 1), { surge: 1, unavailable: 0 });
    assert.deepEqual(resolveFenceposts(0, '10%', 5), { surge: 0, unavailable: 1 });
    assert.deepEqual(resolveFenceposts(2, 1, 5), { surge: 2, unavailable: 1 });
    assert.equal(maxUnavailable(d(3, 0, 5)), 3);
    assert.equal(maxSurge(d(3, 1, 1, 'Recreate')), 0);
    assert.equal(maxUnavailable(d(3, 1, 1, 'Recreate')), 0);
  });
  test('new ReplicaSet size during a rolling update respects the surge', () => {
    const rs = (n: number): ReplicaSet => ({ spec: { replicas: n, selector: {} } });
    const newRS = rs(0);
    assert.equal(newRSReplicas(d(4, 1, 1), [rs(4), newRS], newRS), 1);
    assert.equal(newRSReplicas(d(4, '50%', 0), [rs(4), newRS], newRS), 2);
    assert.equal(newRSReplicas(d(4, 1, 1), [rs(5), newRS], newRS), 0);
    assert.equal(newRSReplicas(d(4, 1, 1, 'Recreate'), [rs(4), newRS], newRS), 4);
  });
  test('templates compare without the pod-template-hash label', () => {
    assert.equal(equalIgnoreHash({ metadata: { labels: { app: 'a', 'pod-template-hash': 'x' } } }, { metadata: { labels: { app: 'a' }, creationTimestamp: undefined } }), true);
    assert.equal(equalIgnoreHash({ metadata: { labels: { app: 'a' } } }, { metadata: { labels: { app: 'b' } } }), false);
  });
  test('new ReplicaSet annotations: copied, revision bumped with history, sizes on create', () => {
    const rs: ReplicaSet = { metadata: { annotations: { [REVISION]: '1' } } };
    assert.equal(setNewReplicaSetAnnotations(d(4, 1, 1), rs, 3, true), true);
    assert.deepEqual(rs.metadata?.annotations, { [REVISION]: '3', [REVISION_HISTORY]: '1', 'kubernetes.io/change-cause': 'why' });
    assert.equal(setNewReplicaSetAnnotations(d(4, 1, 1), rs, 3, true), false);
    const fresh: ReplicaSet = {};
    setNewReplicaSetAnnotations(d(4, 1, 1), fresh, 1, false);
    assert.equal(fresh.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas'], '4');
    assert.equal(fresh.metadata?.annotations?.['deployment.kubernetes.io/max-replicas'], '5');
  });
  test('conditions keep their transition time on a reason change and stay put on a repeat', () => {
    const s: DeploymentStatus = {};
    setCondition(s, newCondition('Progressing', 'True', 'A', 'm', 't1'));
    setCondition(s, newCondition('Progressing', 'True', 'A', 'm2', 't2'));
    assert.equal(s.conditions?.[0].message, 'm');
    setCondition(s, newCondition('Progressing', 'True', 'B', 'm3', 't3'));
    assert.deepEqual([s.conditions?.[0].reason, s.conditions?.[0].lastTransitionTime, s.conditions?.[0].lastUpdateTime], ['B', 't1', 't3']);
  });
  test('complete and timed out', () => {
    const dep = { ...d(2, 1, 1), spec: { ...d(2, 1, 1).spec!, progressDeadlineSeconds: 10 } };
    assert.equal(deploymentComplete(dep, { replicas: 2, updatedReplicas: 2, availableReplicas: 2, observedGeneration: 2 }), true);
    assert.equal(deploymentComplete(dep, { replicas: 2, updatedReplicas: 2, availableReplicas: 2, observedGeneration: 1 }), false);
    const s = { conditions: [newCondition('Progressing', 'True', 'ReplicaSetUpdated', '', '2026-01-01T00:00:00Z')] };
    assert.equal(deploymentTimedOut(dep, s, Date.parse('2026-01-01T00:00:10Z')), false);
    assert.equal(deploymentTimedOut(dep, s, Date.parse('2026-01-01T00:00:11Z')), true);
  });
});

describe('discovery documents', () => {
  test('preferred versions and top-level resources', () => {
    assert.deepEqual(preferredGroupVersions({ groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }] }), ['apps/v1']);
    const rs = resourcesOf({ groupVersion: 'v1', resources: [
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['list', 'delete'] },
      { name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
    ] });
    assert.deepEqual(rs, [{ group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true, verbs: ['list', 'delete'] }]);
    assert.equal(groupResourceString(rs[0]), 'pods.');
  });
});
