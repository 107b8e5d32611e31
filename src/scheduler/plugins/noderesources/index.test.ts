import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CycleState } from '../../types.js';
import { nodeInfo, podInfo, type NodeOpts, type PodOpts } from '../../testing.js';
import { balancedAllocation, nodeResourcesFit } from './index.js';

describe('NodeResourcesFit filter', () => {
  const fit = nodeResourcesFit();
  const cases: [string, PodOpts, NodeOpts, PodOpts[], string[]][] = [
    ['fits', { cpu: '1', memory: '1Gi' }, { cpu: '2' }, [{ cpu: '500m' }], []],
    ['insufficient cpu', { cpu: '2' }, { cpu: '2' }, [{ cpu: '500m' }], ['Insufficient cpu']],
    ['insufficient cpu and memory', { cpu: '3', memory: '9Gi' }, { cpu: '2', memory: '8Gi' }, [], ['Insufficient cpu', 'Insufficient memory']],
    ['too many pods', {}, { pods: '1' }, [{}], ['Too many pods']],
    ['a request-less pod fits a full node', {}, { cpu: '1' }, [{ cpu: '1' }], []],
    ['missing extended resource', { spec: { containers: [{ name: 'c', resources: { requests: { 'example.com/gpu': '1' } } }] } }, {}, [], ['Insufficient example.com/gpu']],
  ];
  for (const [name, pod, node, existing, want] of cases) {
    test(name, () => {
      const ni = nodeInfo('n', node, existing.map((p, i) => podInfo(`e${i}`, p)));
      assert.deepEqual(fit.filter(new CycleState(), podInfo('p', pod), ni)?.reasons ?? [], want);
    });
  }
});

describe('resource scoring', () => {
  test('LeastAllocated prefers the emptier node; non-zero defaults count', () => {
    const fit = nodeResourcesFit();
    const s = new CycleState();
    const p = podInfo('p', { cpu: '1', memory: '1Gi' });
    const empty = fit.score(s, p, nodeInfo('a', { cpu: '4', memory: '4Gi' }));
    const busy = fit.score(s, p, nodeInfo('b', { cpu: '4', memory: '4Gi' }, [podInfo('x', { cpu: '2', memory: '2Gi' })]));
    assert.equal(empty, 75);
    assert.equal(busy, 25);
    // A pod without requests still counts as 100m / 200Mi.
    assert.ok(fit.score(s, podInfo('q'), nodeInfo('c', { cpu: '1', memory: '1Gi' })) < 100);
  });

  test('BalancedAllocation prefers equal cpu and memory fractions', () => {
    const b = balancedAllocation();
    const s = new CycleState();
    const p = podInfo('p', { cpu: '1', memory: '1Gi' });
    assert.equal(b.score(s, p, nodeInfo('a', { cpu: '4', memory: '4Gi' })), 100);
    assert.equal(b.score(s, p, nodeInfo('b', { cpu: '2', memory: '8Gi' })), Math.floor((1 - (0.5 - 0.125) / 2) * 100));
  });
});
