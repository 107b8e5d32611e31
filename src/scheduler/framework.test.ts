import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FitError, Framework, numFeasibleNodesToFind } from './framework.js';
import { defaultProfile } from './profile.js';
import { makeCache, podInfo } from './testing.js';
import { CycleState, type PodInfo, unresolvable, unschedulable } from './types.js';

const bound: [string, string][] = [];
const profile = () => defaultProfile({ binder: { name: 'FakeBinder', async bind(_s, p, n) { bound.push([p.name, n]); return undefined; } } });

describe('numFeasibleNodesToFind', () => {
  const cases: [number, number, number][] = [
    [50, 0, 50], [100, 0, 100], [500, 0, 230], [5000, 0, 500], [10_000, 0, 500], [1000, 100, 1000], [1000, 20, 200], [300, 10, 100],
  ];
  for (const [all, pct, want] of cases) test(`${all} nodes at ${pct}%`, () => assert.equal(numFeasibleNodesToFind(all, pct), want));
});

describe('FitError text', () => {
  test('histogram sorted as strings, then the PostFilter message', () => {
    const st = new Map([['a', unresolvable('node(s) had untolerated taint {key: value}')], ['b', unschedulable('Insufficient cpu')], ['c', unschedulable('Insufficient cpu')]]);
    const e = new FitError(3, st, new Set());
    e.postFilterMsg = 'preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
    assert.equal(e.text, '0/3 nodes are available: 1 node(s) had untolerated taint {key: value}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.');
    assert.equal(new FitError(0, new Map(), new Set()).text, 'no nodes available to schedule pods');
  });
});

describe('Framework.schedule', () => {
  test('picks the least allocated feasible node', () => {
    const fw = new Framework(profile());
    const cache = makeCache({ a: { cpu: '4' }, b: { cpu: '4' }, c: { cpu: '1' } }, { a: [podInfo('x', { cpu: '3' })] });
    assert.equal(fw.schedule(new CycleState(), podInfo('p', { cpu: '500m' }), cache).nodeName, 'b');
  });

  test('samples nodes round-robin once enough feasible nodes are found', () => {
    const nodes: Record<string, object> = {};
    for (let i = 0; i < 300; i++) nodes[`n${String(i).padStart(3, '0')}`] = {};
    const fw = new Framework(profile());
    const cache = makeCache(nodes);
    const r1 = fw.schedule(new CycleState(), podInfo('p1'), cache);
    assert.equal(r1.evaluatedNodes, numFeasibleNodesToFind(300));
    assert.equal(r1.feasibleNodes, numFeasibleNodesToFind(300));
    // The next cycle starts where the last one stopped, so every node gets its turn.
    const seen = new Set<string>();
    const spy = { name: 'Spy', filter: (_s: CycleState, _p: PodInfo, n: { name: string }) => { seen.add(n.name); return undefined; } };
    const p = profile();
    p.filter.push(spy);
    const fw2 = new Framework(p);
    fw2.schedule(new CycleState(), podInfo('p2'), cache);
    fw2.schedule(new CycleState(), podInfo('p3'), cache);
    fw2.schedule(new CycleState(), podInfo('p4'), cache);
    assert.equal(seen.size, 300);
  });

  test('throws a FitError with per-node statuses and the rejecting plugins', () => {
    const fw = new Framework(profile());
    const cache = makeCache({ a: { cpu: '1' }, b: { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] } });
    assert.throws(() => fw.schedule(new CycleState(), podInfo('p', { cpu: '2' }), cache), (e: unknown) => {
      assert.ok(e instanceof FitError);
      assert.equal(e.text, '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: v}.');
      assert.deepEqual([...e.unschedulablePlugins].sort(), ['NodeResourcesFit', 'TaintToleration']);
      return true;
    });
  });

  test('nominated pods of higher priority keep their room', () => {
    const nominated = podInfo('vip', { cpu: '3', priority: 100 });
    const fw = new Framework(profile(), { nominatedPods: (n) => (n === 'a' ? [nominated] : []) });
    const cache = makeCache({ a: { cpu: '4' } });
    assert.throws(() => fw.schedule(new CycleState(), podInfo('p', { cpu: '2' }), cache), FitError);
    assert.equal(fw.schedule(new CycleState(), podInfo('q', { cpu: '2', priority: 200 }), cache).nodeName, 'a');
  });

  test('the binding cycle ends in the bind plugin', async () => {
    const fw = new Framework(profile());
    bound.length = 0;
    assert.equal(await fw.runBindingCycle(new CycleState(), podInfo('p'), 'a'), undefined);
    assert.deepEqual(bound, [['p', 'a']]);
  });
});
