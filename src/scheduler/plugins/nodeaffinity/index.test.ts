import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { CycleState } from '../../types.js';
import { nodeInfo, podInfo } from '../../testing.js';
import { nodeAffinity, REASON } from './index.js';

describe('NodeAffinity', () => {
  const na = nodeAffinity();
  const required = (values: string[]): Partial<PodSpec> => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values }] }] } } } });
  const cases: [string, Partial<PodSpec>, Record<string, string>, boolean][] = [
    ['nodeSelector matches', { nodeSelector: { disk: 'ssd' } }, { disk: 'ssd' }, true],
    ['nodeSelector does not match', { nodeSelector: { disk: 'ssd' } }, { disk: 'hdd' }, false],
    ['required term matches', required(['ssd', 'nvme']), { disk: 'nvme' }, true],
    ['required term does not match', required(['ssd']), {}, false],
  ];
  for (const [name, spec, labels, fits] of cases) {
    test(name, () => {
      const s = na.filter(new CycleState(), podInfo('p', { spec }), nodeInfo('n', { labels }));
      assert.equal(s?.reasons[0], fits ? undefined : REASON);
    });
  }

  test('PreFilter skips pods without constraints and narrows on metadata.name', () => {
    assert.equal(na.preFilter(new CycleState(), podInfo('p'), undefined as never)?.status?.code, 'Skip');
    const pinned = podInfo('p', { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a', 'b'] }] }] } } } } });
    assert.deepEqual([...na.preFilter(new CycleState(), pinned, undefined as never)!.nodeNames!], ['a', 'b']);
  });

  test('preferred terms score by weight, normalized to 100', () => {
    const p = podInfo('p', { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
      { weight: 10, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
      { weight: 30, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
    ] } } } });
    const s = new CycleState();
    const nodes = [nodeInfo('a', { labels: { disk: 'ssd' } }), nodeInfo('b', { labels: { disk: 'ssd', zone: 'a' } }), nodeInfo('c')];
    const scores = nodes.map((n) => na.score(s, p, n));
    assert.deepEqual(scores, [10, 40, 0]);
    na.normalize!(s, p, scores);
    assert.deepEqual(scores, [25, 100, 0]);
  });
});
