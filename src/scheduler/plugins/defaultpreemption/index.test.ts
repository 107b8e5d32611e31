import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { FitError, Framework } from '../../framework.js';
import { defaultProfile } from '../../profile.js';
import { makeCache, podInfo } from '../../testing.js';
import { CycleState, type PodInfo } from '../../types.js';
import { defaultPreemption, NO_VICTIMS, pickCandidate, splitByPDB, type PreemptionHandle } from './index.js';

function setup(nodes: Record<string, { cpu: string }>, placed: Record<string, PodInfo[]>, pdbs: PodDisruptionBudget[] = []) {
  const profile = defaultProfile({ binder: { name: 'B', bind: async () => undefined } });
  const fw = new Framework(profile);
  const cache = makeCache(nodes, placed);
  const evicted: string[] = [];
  const h: PreemptionHandle = {
    preFilterPlugins: profile.preFilter,
    runFilters: (s, p, n) => fw.runFilters(s, p, n),
    pdbs: () => pdbs,
    nominatedPods: () => [],
    evict: async (v) => { evicted.push(v.name); },
    clearNomination: async () => undefined,
    random: () => 0,
  };
  const run = async (pod: PodInfo) => {
    const state = new CycleState();
    try {
      fw.schedule(state, pod, cache);
      assert.fail('expected a FitError');
    } catch (e) {
      assert.ok(e instanceof FitError);
      return defaultPreemption(h).postFilter(state, pod, e.statuses, cache);
    }
  };
  return { run, evicted };
}

describe('DefaultPreemption', () => {
  test('evicts the fewest, lowest-priority pods needed', async () => {
    const { run, evicted } = setup({ a: { cpu: '4' }, b: { cpu: '4' } }, {
      a: [podInfo('a-low', { cpu: '2', priority: 1 }), podInfo('a-mid', { cpu: '2', priority: 5 })],
      b: [podInfo('b-mid1', { cpu: '2', priority: 5 }), podInfo('b-mid2', { cpu: '2', priority: 5 })],
    });
    const r = await run(podInfo('p', { cpu: '2', priority: 10 }));
    assert.equal(r.nominatedNodeName, 'a');
    assert.deepEqual(evicted, ['a-low']);
  });

  test('no lower-priority pods: no victims found', async () => {
    const { run, evicted } = setup({ a: { cpu: '1' } }, { a: [podInfo('x', { cpu: '1', priority: 10 })] });
    const r = await run(podInfo('p', { cpu: '1', priority: 10 }));
    assert.equal(r.status?.reasons[0], `preemption: 0/1 nodes are available: 1 ${NO_VICTIMS}.`);
    assert.deepEqual(evicted, []);
  });

  test('preemptionPolicy Never is not eligible', async () => {
    const { run } = setup({ a: { cpu: '1' } }, { a: [podInfo('x', { cpu: '1' })] });
    const r = await run(podInfo('p', { cpu: '1', priority: 10, spec: { preemptionPolicy: 'Never' } }));
    assert.equal(r.status?.reasons[0], 'preemption: not eligible due to preemptionPolicy=Never.');
  });

  test('prefers a node whose victims no PodDisruptionBudget protects', async () => {
    const pdb: PodDisruptionBudget = { metadata: { name: 'b', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'guarded' } } }, status: { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } };
    const { run, evicted } = setup({ a: { cpu: '2' }, b: { cpu: '2' } }, {
      a: [podInfo('guarded', { cpu: '2', priority: 1, labels: { app: 'guarded' } })],
      b: [podInfo('free', { cpu: '2', priority: 3 })],
    }, [pdb]);
    const r = await run(podInfo('p', { cpu: '2', priority: 10 }));
    assert.equal(r.nominatedNodeName, 'b');
    assert.deepEqual(evicted, ['free']);
  });

  test('PDB budgets are spent pod by pod', () => {
    const pdb: PodDisruptionBudget = { metadata: { name: 'b', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'x' } } }, status: { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 } };
    const pods = [podInfo('x1', { labels: { app: 'x' } }), podInfo('x2', { labels: { app: 'x' } }), podInfo('y')];
    const r = splitByPDB(pods, [pdb]);
    assert.deepEqual(r.violating.map((p) => p.name), ['x2']);
    assert.deepEqual(r.ok.map((p) => p.name), ['x1', 'y']);
  });

  test('candidate order: violations, top victim priority, priority sum, count', () => {
    const v = (prio: number) => podInfo(`v${prio}`, { priority: prio });
    const best = pickCandidate([
      { node: 'a', victims: [v(5)], pdbViolations: 1 },
      { node: 'b', victims: [v(5), v(1)], pdbViolations: 0 },
      { node: 'c', victims: [v(5)], pdbViolations: 0 },
      { node: 'd', victims: [v(7)], pdbViolations: 0 },
    ]);
    assert.equal(best?.node, 'c');
  });
});
