import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { KObject } from '../../api/types.js';
import { StatusError } from '../../machinery/errors.js';
import type { Operation, WriteContext } from '../registry/store.js';
import type { ServedResource } from '../resources.js';
import type { ApiServer } from '../server.js';
import { priorityAdmission } from './priority.js';

const PODS = { group: '', plural: 'pods', namespaced: true } as ServedResource;
const CLASSES = { group: 'scheduling.k8s.io', plural: 'priorityclasses', namespaced: false } as ServedResource;
const CTX: WriteContext = { user: { username: 'u', groups: [] }, dryRun: false, warnings: [] };

const pc = (name: string, value: number, extra: Partial<PriorityClass> = {}): PriorityClass =>
  ({ metadata: { name }, value, preemptionPolicy: 'PreemptLowerPriority', ...extra });

/** A priorityclasses store whose watch cache is a map. */
function fakeServer(classes: PriorityClass[]) {
  const key = (_ns: string | undefined, name: string) => `/pc/${name}`;
  const items = new Map(classes.map((c) => [key(undefined, c.metadata!.name!), { obj: c }]));
  const store = { key, scopePrefix: () => '/pc/', cache: { get: (k: string) => items.get(k), range: () => items.values() } };
  const server = { storeFor: (g: string, p: string) => (g === 'scheduling.k8s.io' && p === 'priorityclasses' ? store : undefined) } as unknown as ApiServer;
  return () => server;
}

const pod = (spec: Partial<Pod['spec']> = {}): Pod => ({ metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'nginx' }], ...spec } });

async function admit(classes: PriorityClass[], obj: Pod | PriorityClass, op: Operation = 'CREATE', res = PODS) {
  await priorityAdmission(fakeServer(classes))(op, res, obj as unknown as KObject, undefined, CTX);
  return obj;
}

const rejects = (p: Promise<unknown>, message: string) =>
  assert.rejects(p, (e: StatusError) => e.code === 403 && e.reason === 'Forbidden' && e.message === message);

describe('Priority admission', () => {
  test('the class sets priority and preemptionPolicy', async () => {
    const p = await admit([pc('high', 1000, { preemptionPolicy: 'Never' })], pod({ priorityClassName: 'high' })) as Pod;
    assert.deepEqual([p.spec!.priority, p.spec!.preemptionPolicy], [1000, 'Never']);
  });

  test('no class name: the global default (lowest value if several), else 0 and PreemptLowerPriority', async () => {
    const none = await admit([pc('high', 1000)], pod()) as Pod;
    assert.deepEqual([none.spec!.priorityClassName, none.spec!.priority, none.spec!.preemptionPolicy], [undefined, 0, 'PreemptLowerPriority']);
    const d = await admit([pc('a', 50, { globalDefault: true }), pc('b', 10, { globalDefault: true, preemptionPolicy: 'Never' })], pod()) as Pod;
    assert.deepEqual([d.spec!.priorityClassName, d.spec!.priority, d.spec!.preemptionPolicy], ['b', 10, 'Never']);
  });

  test('an unknown class, or a priority or policy that disagrees with the class, is forbidden', async () => {
    await rejects(admit([], pod({ priorityClassName: 'nope' })), 'pods "p" is forbidden: no PriorityClass with name nope was found');
    await rejects(admit([pc('high', 1000)], pod({ priorityClassName: 'high', priority: 5 })),
      'pods "p" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name');
    await rejects(admit([pc('high', 1000)], pod({ priorityClassName: 'high', preemptionPolicy: 'Never' })),
      'pods "p" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name');
    const same = await admit([pc('high', 1000)], pod({ priorityClassName: 'high', priority: 1000 })) as Pod;
    assert.equal(same.spec!.priority, 1000);
  });

  test('only one PriorityClass may be the global default; updates and other ops of pods pass', async () => {
    await rejects(admit([pc('a', 1, { globalDefault: true })], pc('b', 2, { globalDefault: true }), 'CREATE', CLASSES),
      'priorityclasses.scheduling.k8s.io "b" is forbidden: PriorityClass a is already marked as default. Only one default can exist');
    await admit([pc('a', 1, { globalDefault: true })], pc('a', 1, { globalDefault: true }), 'UPDATE', CLASSES);
    const p = pod({ priorityClassName: 'nope' });
    await admit([], p, 'UPDATE');
    assert.equal(p.spec!.priority, undefined);
  });
});
