import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Node, PodSpec, Taint } from 'kubernetes-types/core/v1.js';
import { nodeShouldRunDaemonPod, podSpecForNode, targetNodeName } from './predicates.js';
import { scaledValue } from './index.js';

const node = (name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node => ({ metadata: { name, labels }, spec: { taints } });
const spec = (extra: Partial<PodSpec> = {}): PodSpec => ({ containers: [{ name: 'c' }], ...extra });

describe('daemonset predicates', () => {
  test('nodeSelector and required node affinity', () => {
    const s = spec({
      nodeSelector: { disk: 'ssd' },
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
        { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
        { matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }] },
      ] } } },
    });
    assert.equal(nodeShouldRunDaemonPod(s, node('n', { disk: 'ssd', zone: 'a' })).shouldRun, true);
    assert.equal(nodeShouldRunDaemonPod(s, node('n', { disk: 'ssd', cores: '16' })).shouldRun, true);
    assert.equal(nodeShouldRunDaemonPod(s, node('n', { disk: 'ssd', cores: '4' })).shouldRun, false);
    assert.equal(nodeShouldRunDaemonPod(s, node('n', { zone: 'a' })).shouldRun, false);
  });

  test('taints: NoSchedule blocks new pods only, NoExecute evicts; default tolerations apply', () => {
    const noSched = node('n', {}, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);
    assert.deepEqual(nodeShouldRunDaemonPod(spec(), noSched), { shouldRun: false, shouldContinueRunning: true });
    const noExec = node('n', {}, [{ key: 'dedicated', effect: 'NoExecute' }]);
    assert.deepEqual(nodeShouldRunDaemonPod(spec(), noExec), { shouldRun: false, shouldContinueRunning: false });
    assert.equal(nodeShouldRunDaemonPod(spec({ tolerations: [{ key: 'dedicated', operator: 'Exists' }] }), noExec).shouldRun, true);
    for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
      assert.equal(nodeShouldRunDaemonPod(spec(), node('n', {}, [{ key, effect: 'NoExecute' }])).shouldRun, true);
    }
    for (const key of ['node.kubernetes.io/unschedulable', 'node.kubernetes.io/disk-pressure', 'node.kubernetes.io/memory-pressure', 'node.kubernetes.io/pid-pressure']) {
      assert.equal(nodeShouldRunDaemonPod(spec(), node('n', {}, [{ key, effect: 'NoSchedule' }])).shouldRun, true);
    }
    const netDown = node('n', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]);
    assert.equal(nodeShouldRunDaemonPod(spec(), netDown).shouldRun, false);
    assert.equal(nodeShouldRunDaemonPod(spec({ hostNetwork: true }), netDown).shouldRun, true);
  });

  test('pods are pinned by a metadata.name affinity that replaces required terms', () => {
    const s = podSpecForNode(spec({ affinity: { nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] },
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'x', operator: 'Exists' }] } }],
    } } }), 'n7');
    assert.deepEqual(s.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] }] });
    assert.equal(s.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length, 1);
    assert.equal(targetNodeName({ spec: s }), 'n7');
    assert.equal(targetNodeName({ spec: { ...s, nodeName: 'n8' } }), 'n8');
  });

  test('maxUnavailable / maxSurge percentages round up', () => {
    assert.equal(scaledValue('10%', 15, 1), 2);
    assert.equal(scaledValue(3, 15, 1), 3);
    assert.equal(scaledValue(undefined, 15, 1), 1);
  });
});
