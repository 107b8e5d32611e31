import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject, ResourceStrategy } from '../../types.js';
import { batchResources } from './batch.js';

const strategy = (kind: string): ResourceStrategy => batchResources.find((s) => s.kind === kind)!;
const NOW = Date.parse('2024-01-01T01:00:00Z');
const podTemplate = (restartPolicy = 'Never') => ({ spec: { restartPolicy, containers: [{ name: 'pi', image: 'perl' }] } });

function create(kind: string, spec: Record<string, unknown>, name = 'pi'): { obj: KObject; errors: string[] } {
  const s = strategy(kind);
  const obj: KObject = { apiVersion: 'batch/v1', kind, metadata: { name, namespace: 'default', uid: 'uid-1', creationTimestamp: '2024-01-01T00:00:00Z' }, spec };
  s.defaults?.(obj);
  s.prepareForCreate?.(obj);
  return { obj, errors: (s.validate?.(obj) ?? []).map((e) => `${e.field}: ${e.message}`) };
}

describe('Job', () => {
  test('defaults and generated selector', () => {
    const { obj, errors } = create('Job', { template: podTemplate() });
    assert.deepEqual(errors, []);
    const spec = obj.spec as Record<string, any>;
    assert.deepEqual(
      [spec.completions, spec.parallelism, spec.backoffLimit, spec.completionMode, spec.suspend, spec.podReplacementPolicy, spec.manualSelector],
      [1, 1, 6, 'NonIndexed', false, 'TerminatingOrFailed', undefined],
    );
    assert.deepEqual(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'uid-1' } });
    const labels = { 'batch.kubernetes.io/controller-uid': 'uid-1', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': 'uid-1', 'job-name': 'pi' };
    assert.deepEqual(spec.template.metadata.labels, labels);
    assert.deepEqual(obj.metadata.labels, labels);
    assert.deepEqual(obj.status, {});
  });

  test('parallelism alone leaves completions unset', () => {
    const spec = create('Job', { parallelism: 3, template: podTemplate() }).obj.spec as Record<string, unknown>;
    assert.deepEqual([spec.completions, spec.parallelism], [undefined, 3]);
  });

  const cases: [string, Record<string, unknown>, string[]][] = [
    ['restartPolicy Always', { template: podTemplate('Always') }, ['spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"']],
    ['negative backoffLimit', { backoffLimit: -1, template: podTemplate() }, ['spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0']],
    ['indexed without completions', { completionMode: 'Indexed', parallelism: 2, template: podTemplate() }, ['spec.completions: Required value: when completion mode is Indexed']],
    ['foreign selector', { selector: { matchLabels: { app: 'x' } }, template: podTemplate() }, [
      'spec.selector: Invalid value: {"matchLabels":{"app":"x","batch.kubernetes.io/controller-uid":"uid-1"}}: `selector` not auto-generated',
      'spec.template.metadata.labels: Invalid value: {"job-name":"pi","batch.kubernetes.io/job-name":"pi","controller-uid":"uid-1","batch.kubernetes.io/controller-uid":"uid-1"}: `selector` does not match template `labels`',
    ]],
    ['manual selector', { manualSelector: true, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, ...podTemplate() } }, []],
  ];
  for (const [name, spec, want] of cases) test(name, () => assert.deepEqual(create('Job', spec).errors, want));

  test('template is immutable unless suspended', () => {
    const s = strategy('Job');
    for (const suspend of [false, true]) {
      const { obj: old } = create('Job', { suspend, template: podTemplate() });
      const obj = structuredClone(old);
      (obj.spec as any).template.spec.containers[0].image = 'perl:2';
      const errs = s.validateUpdate!(obj, old);
      assert.deepEqual(errs.map((e) => [e.field, e.message.endsWith(': field is immutable')]), suspend ? [] : [['spec.template', true]]);
    }
  });

  test('table rows', () => {
    const s = strategy('Job');
    assert.deepEqual(s.columns!.map((c) => [c.name, c.priority]), [['Status', 0], ['Completions', 0], ['Duration', 0], ['Age', 0], ['Containers', 1], ['Images', 1], ['Selector', 1]]);
    const { obj } = create('Job', { template: podTemplate() });
    obj.status = { startTime: '2024-01-01T00:00:00Z', succeeded: 0 };
    assert.deepEqual(s.row!(obj, { now: NOW }), ['Running', '0/1', '60m', '60m', 'pi', 'perl', 'batch.kubernetes.io/controller-uid=uid-1']);
    obj.status = { startTime: '2024-01-01T00:00:00Z', completionTime: '2024-01-01T00:00:42Z', succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
    assert.deepEqual(s.row!(obj, { now: NOW }).slice(0, 3), ['Complete', '1/1', '42s']);
    assert.equal(s.fieldSelectors!['status.successful'](obj), '1');
    const parallel = create('Job', { parallelism: 3, template: podTemplate() }).obj;
    assert.deepEqual(s.row!(parallel, { now: NOW }).slice(0, 3), ['Running', '0/1 of 3', '']);
  });
});

describe('CronJob', () => {
  const jobTemplate = (restartPolicy = 'OnFailure') => ({ spec: { template: podTemplate(restartPolicy) } });

  test('defaults', () => {
    const { obj, errors } = create('CronJob', { schedule: '*/5 * * * *', jobTemplate: jobTemplate() });
    assert.deepEqual(errors, []);
    const spec = obj.spec as Record<string, any>;
    assert.deepEqual([spec.concurrencyPolicy, spec.suspend, spec.successfulJobsHistoryLimit, spec.failedJobsHistoryLimit], ['Allow', false, 3, 1]);
    assert.equal(spec.jobTemplate.spec.template.spec.dnsPolicy, 'ClusterFirst');
    assert.equal(spec.jobTemplate.spec.backoffLimit, undefined);
  });

  const cases: [string, Record<string, unknown>, string[]][] = [
    ['bad schedule', { schedule: 'every day', jobTemplate: jobTemplate() }, ['spec.schedule: Invalid value: "every day": expected exactly 5 fields, found 2: [every day]']],
    ['missing schedule', { jobTemplate: jobTemplate() }, ['spec.schedule: Required value']],
    ['TZ in schedule', { schedule: 'TZ=UTC 0 * * * *', jobTemplate: jobTemplate() }, ['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']],
    ['unknown time zone', { schedule: '@daily', timeZone: 'Mars/Olympus', jobTemplate: jobTemplate() }, ['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus']],
    ['local time zone', { schedule: '@daily', timeZone: 'Local', jobTemplate: jobTemplate() }, ['spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones']],
    ['bad concurrency policy', { schedule: '@daily', concurrencyPolicy: 'Sometimes', jobTemplate: jobTemplate() }, ['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"']],
    ['job template restart policy', { schedule: '@daily', jobTemplate: jobTemplate('Always') }, ['spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"']],
  ];
  for (const [name, spec, want] of cases) test(name, () => assert.deepEqual(create('CronJob', spec).errors, want));

  test('name length', () => {
    assert.deepEqual(create('CronJob', { schedule: '@daily', jobTemplate: jobTemplate() }, 'x'.repeat(53)).errors, [`metadata.name: Invalid value: "${'x'.repeat(53)}": must be no more than 52 characters`]);
  });

  test('table row', () => {
    const s = strategy('CronJob');
    assert.deepEqual(s.columns!.slice(0, 6).map((c) => [c.name, c.type]), [
      ['Schedule', 'string'], ['Timezone', 'string'], ['Suspend', 'boolean'], ['Active', 'integer'], ['Last Schedule', 'string'], ['Age', 'string'],
    ]);
    const { obj } = create('CronJob', { schedule: '0 3 * * *', timeZone: 'Europe/Paris', jobTemplate: jobTemplate() });
    obj.status = { active: [{ name: 'pi-1' }], lastScheduleTime: '2024-01-01T00:59:00Z' };
    assert.deepEqual(s.row!(obj, { now: NOW }), ['0 3 * * *', 'Europe/Paris', 'False', 1, '60s', '60m', 'pi', 'perl', '<none>']);
  });
});
