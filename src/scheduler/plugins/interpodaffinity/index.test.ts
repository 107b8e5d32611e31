import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { CycleState, type PodInfo } from '../../types.js';
import { makeCache, podInfo } from '../../testing.js';
import { AFFINITY_REASON, ANTI_AFFINITY_REASON, EXISTING_ANTI_AFFINITY_REASON, interPodAffinity } from './index.js';

const ZONE = 'topology.kubernetes.io/zone';
const term = (app: string, topologyKey = ZONE, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({ labelSelector: { matchLabels: { app } }, topologyKey, ...extra });
const nodes = { a1: { labels: { [ZONE]: 'a' } }, a2: { labels: { [ZONE]: 'a' } }, b1: { labels: { [ZONE]: 'b' } } };

/** Which nodes pass the filter for pod, with existing pods placed per node. */
function feasible(pod: PodInfo, placed: Record<string, PodInfo[]>, nsLabels: Record<string, Record<string, string>> = {}): Record<string, string> {
  const ipa = interPodAffinity();
  const snap = makeCache(nodes, placed, nsLabels);
  const state = new CycleState();
  const pre = ipa.preFilter(state, pod, snap);
  const out: Record<string, string> = {};
  for (const n of snap.nodes()) out[n.name] = pre?.status?.code === 'Skip' ? 'ok' : ipa.filter(state, pod, n)?.reasons[0] ?? 'ok';
  return out;
}

describe('InterPodAffinity filter', () => {
  test('required affinity: only the zone with a matching pod', () => {
    const p = podInfo('p', { spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } } } });
    assert.deepEqual(feasible(p, { b1: [podInfo('db', { labels: { app: 'db' } })] }), { a1: AFFINITY_REASON, a2: AFFINITY_REASON, b1: 'ok' });
  });

  test('required affinity: the first pod of a group that matches itself goes anywhere', () => {
    const p = podInfo('p', { labels: { app: 'web' }, spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web')] } } } });
    assert.deepEqual(feasible(p, {}), { a1: 'ok', a2: 'ok', b1: 'ok' });
  });

  test('required anti-affinity of the incoming pod', () => {
    const p = podInfo('p', { spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web')] } } } });
    assert.deepEqual(feasible(p, { a2: [podInfo('w', { labels: { app: 'web' } })] }), { a1: ANTI_AFFINITY_REASON, a2: ANTI_AFFINITY_REASON, b1: 'ok' });
  });

  test('required anti-affinity of existing pods', () => {
    const guard = podInfo('g', { spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', 'kubernetes.io/hostname')] } } } });
    const p = podInfo('p', { labels: { app: 'web' } });
    assert.deepEqual(feasible(p, { a1: [guard] }), { a1: EXISTING_ANTI_AFFINITY_REASON, a2: 'ok', b1: 'ok' });
  });

  test('namespaces and namespaceSelector decide which pods a term sees', () => {
    const other = podInfo('db', { ns: 'prod', labels: { app: 'db' } });
    const inOwnNs = podInfo('p', { spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } } } });
    assert.equal(feasible(inOwnNs, { b1: [other] }).b1, AFFINITY_REASON);
    const bySelector = podInfo('p', { spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', ZONE, { namespaceSelector: { matchLabels: { env: 'prod' } } })] } } } });
    assert.equal(feasible(bySelector, { b1: [other] }, { prod: { env: 'prod' } }).b1, 'ok');
    const byName = podInfo('p', { spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', ZONE, { namespaces: ['prod'] })] } } } });
    assert.equal(feasible(byName, { b1: [other] }).b1, 'ok');
  });
});

describe('InterPodAffinity score', () => {
  test('preferred affinity and anti-affinity weigh zones', () => {
    const ipa = interPodAffinity();
    const snap = makeCache(nodes, { a1: [podInfo('db', { labels: { app: 'db' } })], b1: [podInfo('w', { labels: { app: 'web' } })] });
    const p = podInfo('p', { spec: { affinity: {
      podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term('db') }] },
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 20, podAffinityTerm: term('web') }] },
    } } });
    const state = new CycleState();
    const ns = snap.nodes();
    assert.equal(ipa.preScore(state, p, ns, snap), undefined);
    const scores = ns.map((n) => ipa.score(state, p, n));
    assert.deepEqual(scores, [50, 50, -20]);
    ipa.normalize!(state, p, scores);
    assert.deepEqual(scores, [100, 100, 0]);
  });
});
