import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { CycleState } from '../../types.js';
import { nodeInfo, podInfo } from '../../testing.js';
import { taintToleration } from './index.js';
import { nodeUnschedulable } from '../nodeunschedulable/index.js';
import { nodePorts } from '../nodeports/index.js';
import { nodeName } from '../nodename/index.js';

describe('TaintToleration', () => {
  const tt = taintToleration();
  const cases: [string, Taint[], Toleration[], string | undefined][] = [
    ['no taints', [], [], undefined],
    ['untolerated NoSchedule', [{ key: 'k', value: 'v', effect: 'NoSchedule' }], [], 'node(s) had untolerated taint {k: v}'],
    ['tolerated', [{ key: 'k', value: 'v', effect: 'NoSchedule' }], [{ key: 'k', operator: 'Exists' }], undefined],
    ['NoExecute also filters', [{ key: 'k', effect: 'NoExecute' }], [], 'node(s) had untolerated taint {k: }'],
    ['PreferNoSchedule does not filter', [{ key: 'k', effect: 'PreferNoSchedule' }], [], undefined],
  ];
  for (const [name, taints, tolerations, want] of cases) {
    test(name, () => {
      const s = tt.filter(new CycleState(), podInfo('p', { spec: { tolerations } }), nodeInfo('n', { taints }));
      assert.equal(s?.reasons[0], want);
      if (s) assert.equal(s.code, 'UnschedulableAndUnresolvable');
    });
  }

  test('scores fewer untolerated PreferNoSchedule taints higher', () => {
    const state = new CycleState();
    const p = podInfo('p');
    const nodes = [nodeInfo('a'), nodeInfo('b', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }, { key: 'y', effect: 'PreferNoSchedule' }] }), nodeInfo('c', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] })];
    assert.equal(tt.preScore(state, p, nodes, undefined as never), undefined);
    const scores = nodes.map((n) => tt.score(state, p, n));
    tt.normalize!(state, p, scores);
    assert.deepEqual(scores, [100, 0, 50]);
  });
});

describe('simple filters', () => {
  test('NodeUnschedulable', () => {
    const s = new CycleState();
    assert.equal(nodeUnschedulable.filter(s, podInfo('p'), nodeInfo('n', { unschedulable: true }))?.reasons[0], 'node(s) were unschedulable');
    const tolerant = podInfo('p', { spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } });
    assert.equal(nodeUnschedulable.filter(s, tolerant, nodeInfo('n', { unschedulable: true })), undefined);
  });

  test('NodePorts: same port and protocol conflicts; 0.0.0.0 conflicts with any IP', () => {
    const port = (hostPort: number, hostIP?: string, protocol?: string) => ({ spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort, hostIP, protocol }] }] } });
    const s = new CycleState();
    const node = nodeInfo('n', {}, [podInfo('e', port(8080, '10.0.0.1'))]);
    assert.ok(nodePorts.filter(s, podInfo('p', port(8080)), node));
    assert.ok(nodePorts.filter(s, podInfo('p', port(8080, '10.0.0.1')), node));
    assert.equal(nodePorts.filter(s, podInfo('p', port(8080, '10.0.0.2')), node), undefined);
    assert.equal(nodePorts.filter(s, podInfo('p', port(8080, undefined, 'UDP')), node), undefined);
    assert.equal(nodePorts.preFilter(s, podInfo('q'), undefined as never)?.status?.code, 'Skip');
  });

  test('NodeName narrows to the named node', () => {
    const p = podInfo('p', { spec: { nodeName: 'b' } });
    assert.deepEqual([...nodeName.preFilter(new CycleState(), p, undefined as never)!.nodeNames!], ['b']);
    assert.ok(nodeName.filter(new CycleState(), p, nodeInfo('a')));
  });
});
