import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import { canonicalJson, hashRevisionData, planRevision, revisionName, safeEncode, templateOfRevision, templatePatch } from './history.js';

const rev = (name: string, revision: number, image: string): ControllerRevision => ({
  metadata: { name }, revision, data: templatePatch({ spec: { containers: [{ name: 'c', image }] } }),
});

describe('controller revision history', () => {
  test('data replaces the template and reads back', () => {
    const t = { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    assert.equal(templatePatch(t).spec.template.$patch, 'replace');
    assert.deepEqual(templateOfRevision({ metadata: {}, revision: 1, data: templatePatch(t) }), t);
  });

  test('hashes are stable under key order, change with the collision count, and use safe characters', () => {
    const a = hashRevisionData({ x: 1, y: [1, 2] });
    assert.equal(a, hashRevisionData({ y: [1, 2], x: 1 }));
    assert.notEqual(a, hashRevisionData({ x: 1, y: [1, 2] }, 1));
    assert.match(a, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(safeEncode('0123'), '4567');
    assert.equal(canonicalJson({ b: 1, a: undefined, c: { e: 1, d: 2 } }), '{"b":1,"c":{"d":2,"e":1}}');
    assert.equal(revisionName('web', 'abc'), 'web-abc');
  });

  test('a new template gets the next number; an old one (rollback) is renumbered', () => {
    const revs = [rev('web-1', 1, 'v1'), rev('web-2', 2, 'v2')];
    const fresh = planRevision('web', revs, templatePatch({ spec: { containers: [{ name: 'c', image: 'v3' }] } }));
    assert.equal(fresh.action, 'create');
    assert.equal(fresh.action === 'create' && fresh.number, 3);
    assert.equal(fresh.action === 'create' && fresh.name, `web-${hashRevisionData(templatePatch({ spec: { containers: [{ name: 'c', image: 'v3' }] } }))}`);
    assert.deepEqual(planRevision('web', revs, revs[1].data), { action: 'reuse', revision: revs[1] });
    assert.deepEqual(planRevision('web', revs, revs[0].data), { action: 'reuse', revision: revs[0], renumberTo: 3 });
  });
});
