import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { selectorFromSet } from '../../../machinery/labels.js';
import { CycleState } from '../../types.js';
import { makeCache, podInfo } from '../../testing.js';
import { MISSING_LABEL_REASON, podTopologySpread, REASON } from './index.js';

const ZONE = 'topology.kubernetes.io/zone';
const web = (n: string) => podInfo(n, { labels: { app: 'web' } });
const spread = (maxSkew: number, extra: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  maxSkew, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } }, ...extra,
});

describe('PodTopologySpread filter', () => {
  const nodes = { a1: { labels: { [ZONE]: 'a' } }, b1: { labels: { [ZONE]: 'b' } }, nolabel: {} };
  const run = (cs: TopologySpreadConstraint[], placed: Record<string, ReturnType<typeof web>[]>) => {
    const pts = podTopologySpread();
    const snap = makeCache(nodes, placed);
    const state = new CycleState();
    const p = podInfo('p', { labels: { app: 'web' }, spec: { topologySpreadConstraints: cs } });
    pts.preFilter(state, p, snap);
    return Object.fromEntries(snap.nodes().map((n) => [n.name, pts.filter(state, p, n)?.reasons[0] ?? 'ok']));
  };

  test('maxSkew 1 sends the pod to the emptier zone', () => {
    assert.deepEqual(run([spread(1)], { a1: [web('w1')] }), { a1: REASON, b1: 'ok', nolabel: MISSING_LABEL_REASON });
  });

  test('a larger maxSkew allows the fuller zone', () => {
    assert.deepEqual(run([spread(2)], { a1: [web('w1')] }), { a1: 'ok', b1: 'ok', nolabel: MISSING_LABEL_REASON });
  });

  test('minDomains above the domain count treats the global minimum as 0', () => {
    assert.deepEqual(run([spread(1, { minDomains: 3 })], { a1: [web('w1')], b1: [web('w2')] }), { a1: REASON, b1: REASON, nolabel: MISSING_LABEL_REASON });
  });

  test('ScheduleAnyway constraints do not filter', () => {
    const pts = podTopologySpread();
    const p = podInfo('p', { spec: { topologySpreadConstraints: [spread(1, { whenUnsatisfiable: 'ScheduleAnyway' })] } });
    assert.equal(pts.preFilter(new CycleState(), p, makeCache(nodes))?.status?.code, 'Skip');
  });
});

describe('PodTopologySpread score', () => {
  test('system defaults spread a service\'s pods across hosts', () => {
    const pts = podTopologySpread(() => selectorFromSet({ app: 'web' }));
    const snap = makeCache({ h1: {}, h2: {} }, { h1: [web('w1'), web('w2')] });
    const p = podInfo('p', { labels: { app: 'web' } });
    const state = new CycleState();
    assert.equal(pts.preScore(state, p, snap.nodes(), snap), undefined);
    const scores = snap.nodes().map((n) => pts.score(state, p, n));
    pts.normalize!(state, p, scores);
    assert.ok(scores[1] > scores[0], `h2 should score higher: ${scores}`);
  });

  test('no constraints and no owning service: skipped', () => {
    const pts = podTopologySpread();
    const snap = makeCache({ h1: {} });
    assert.equal(pts.preScore(new CycleState(), podInfo('p'), snap.nodes(), snap)?.code, 'Skip');
  });
});
