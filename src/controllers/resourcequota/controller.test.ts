import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resourceListToJSON } from '../../api/helpers/quota.js';
import { computeUsed } from './controller.js';

test('used sums counted objects per hard resource', () => {
  const pods = [
    { spec: { containers: [{ name: 'a', resources: { requests: { cpu: '250m' } } }] }, status: { phase: 'Running' } },
    { spec: { containers: [{ name: 'b', resources: { requests: { cpu: '1' } } }] }, status: { phase: 'Pending' } },
    { spec: { containers: [{ name: 'c', resources: { requests: { cpu: '1' } } }] }, status: { phase: 'Succeeded' } },
  ];
  const used = computeUsed(['pods', 'requests.cpu', 'configmaps', 'count/widgets.example.com'], (g, p) => (g === '' && p === 'pods' ? pods : g === '' && p === 'configmaps' ? [{}] : undefined), Date.now());
  assert.deepEqual(resourceListToJSON(used), { configmaps: '1', pods: '2', 'requests.cpu': '1250m' });
});
