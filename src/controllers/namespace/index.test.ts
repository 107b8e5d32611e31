import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deletionConditions } from './index.js';

test('deletion conditions: upstream reasons and messages, transition times kept while the status holds', () => {
  const pass = { discoveryFailures: [], deleteFailures: [], remaining: new Map([['pods.', 2], ['deployments.apps', 1]]), finalizers: new Map([['example.com/x', 1]]), estimateSeconds: 0 };
  const first = deletionConditions(pass, 't1');
  assert.deepEqual(first.map((c) => [c.type, c.status, c.reason]), [
    ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered'],
    ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions'],
    ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted'],
    ['NamespaceContentRemaining', 'True', 'SomeResourcesRemain'],
    ['NamespaceFinalizersRemaining', 'True', 'SomeFinalizersRemain'],
  ]);
  assert.equal(first[3].message, 'Some resources are remaining: deployments.apps has 1 resource instances, pods. has 2 resource instances');
  assert.equal(first[4].message, 'Some content in the namespace has finalizers remaining: example.com/x in 1 resource instances');
  const done = deletionConditions({ ...pass, remaining: new Map(), finalizers: new Map() }, 't2', first);
  assert.deepEqual([done[0].lastTransitionTime, done[3].lastTransitionTime, done[3].reason, done[3].message], ['t1', 't2', 'ContentRemoved', 'All content successfully removed']);
});
