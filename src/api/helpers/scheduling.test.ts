import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Node, NodeSelectorTerm, PodSpec, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { nodeSelectorTermMatches, podMatchesNodeSelectorAndAffinity, podNonZeroRequests, podRequests, toleratesTaint } from './scheduling.js';

const c = (cpu?: string, memory?: string, restartPolicy?: string) => ({
  name: 'c', image: 'i', restartPolicy, resources: { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } },
});

describe('podRequests', () => {
  const cases: [string, PodSpec, Record<string, number>][] = [
    ['sums containers', { containers: [c('100m', '1Ki'), c('250m')] }, { cpu: 350, memory: 1024 }],
    ['an init container larger than the sum wins', { initContainers: [c('2')], containers: [c('500m'), c('500m')] }, { cpu: 2000 }],
    ['sidecars add to the containers and stack under later init containers', { initContainers: [c('1', undefined, 'Always'), c('1500m')], containers: [c('200m')] }, { cpu: 2500 }],
    ['overhead is added', { containers: [c('100m')], overhead: { cpu: '50m', memory: '10' } }, { cpu: 150, memory: 10 }],
    ['extended resources count', { containers: [{ name: 'c', resources: { requests: { 'example.com/gpu': '2' } } }] }, { 'example.com/gpu': 2 }],
  ];
  for (const [name, spec, want] of cases) test(name, () => assert.deepEqual(podRequests(spec), want));

  test('non-zero requests default to 100m and 200Mi per container', () => {
    assert.deepEqual(podNonZeroRequests({ containers: [c(), c('1')] }), { cpu: 1100, memory: 2 * 200 * 1024 * 1024 });
  });
});

describe('toleratesTaint', () => {
  const taint: Taint = { key: 'k', value: 'v', effect: 'NoSchedule' };
  const cases: [string, Toleration, boolean][] = [
    ['equal key and value', { key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }, true],
    ['operator defaults to Equal', { key: 'k', value: 'v' }, true],
    ['different value', { key: 'k', value: 'w' }, false],
    ['Exists on the key', { key: 'k', operator: 'Exists' }, true],
    ['Exists without key tolerates everything', { operator: 'Exists' }, true],
    ['other effect', { key: 'k', operator: 'Exists', effect: 'NoExecute' }, false],
    ['empty key with Equal tolerates nothing', { value: 'v' }, false],
  ];
  for (const [name, t, want] of cases) test(name, () => assert.equal(toleratesTaint(t, taint), want));
});

describe('node selector terms', () => {
  const node: Node = { metadata: { name: 'n1', labels: { zone: 'a', cores: '8' } } };
  const cases: [string, NodeSelectorTerm, boolean][] = [
    ['In', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }, true],
    ['NotIn', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, false],
    ['NotIn on a missing label', { matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['a'] }] }, true],
    ['Exists / DoesNotExist', { matchExpressions: [{ key: 'zone', operator: 'Exists' }, { key: 'x', operator: 'DoesNotExist' }] }, true],
    ['Gt', { matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] }, true],
    ['Lt', { matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['4'] }] }, false],
    ['matchFields metadata.name', { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }, true],
    ['matchFields other name', { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }, false],
    ['an empty term matches nothing', {}, false],
  ];
  for (const [name, term, want] of cases) test(name, () => assert.equal(nodeSelectorTermMatches(term, node), want));

  test('nodeSelector and required affinity must both hold', () => {
    const spec: PodSpec = { containers: [], nodeSelector: { zone: 'a' }, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cores', operator: 'In', values: ['16'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } } } };
    assert.equal(podMatchesNodeSelectorAndAffinity(spec, node), true);
    assert.equal(podMatchesNodeSelectorAndAffinity({ ...spec, nodeSelector: { zone: 'b' } }, node), false);
  });
});
