// batch/v1: CronJob and Job.
import type { KObject, ResourceStrategy } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { ageSince, humanDuration } from '../../../machinery/duration.js';
import { formatLabelSelector, selectorFromLabelSelector, validateLabelSelector } from '../../../machinery/labels.js';
import { deepEqual } from '../../../machinery/meta.js';
import { validateImmutableField } from '../../../machinery/validation.js';
import { defaultPodTemplateSpec, validatePodTemplateSpec } from '../core/podspec.js';
import { CronParseError, isKnownTimeZone, parseCron } from './cron.js';
import {
  AGE, CONTAINERS, IMAGES, SELECTOR, age, asNum, asObj, asObjs, asSelector, asStr, child, col, containerCells, isObj, isSet,
  nonNegative, readSpec, readStatus, setDefault, specOf, type Obj,
} from './util.js';

// Labels the API server puts on a Job's pod template when it generates the selector.
const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
const LEGACY_JOB_NAME_LABEL = 'job-name';
const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
const MAX_PARALLELISM_INDEXED = 100_000;

/** Upstream SetDefaults_Job, in place. */
function defaultJob(obj: KObject): void {
  const spec = specOf(obj);
  if (!isSet(spec.completions) && !isSet(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', isSet(spec.backoffLimitPerIndex) ? 2147483647 : 6);
  const templateLabels = asObj(child(spec, 'template').metadata).labels;
  if (isObj(templateLabels) && Object.keys(obj.metadata.labels ?? {}).length === 0) obj.metadata.labels = { ...templateLabels } as Record<string, string>;
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  if (isObj(spec.podFailurePolicy)) {
    for (const rule of asObjs(spec.podFailurePolicy.rules)) for (const p of asObjs(rule.onPodConditions)) setDefault(p, 'status', 'True');
  }
  setDefault(spec, 'podReplacementPolicy', isObj(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed');
  defaultPodTemplateSpec(child(spec, 'template'));
}

/** Checks shared by Jobs and CronJob job templates (upstream validateJobSpec). */
function validateJobSpecCommon(spec: Obj, path: string): FieldError[] {
  const errs = nonNegative(spec, path, 'parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished');
  const mode = spec.completionMode;
  if (isSet(mode)) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(field.notSupported(`${path}.completionMode`, mode, ['NonIndexed', 'Indexed']));
    if (mode === 'Indexed') {
      if (!isSet(spec.completions)) errs.push(field.required(`${path}.completions`, 'when completion mode is Indexed'));
      if (asNum(spec.parallelism) > MAX_PARALLELISM_INDEXED) {
        errs.push(field.invalid(`${path}.parallelism`, spec.parallelism, `must be less than or equal to ${MAX_PARALLELISM_INDEXED} when completion mode is Indexed`));
      }
    }
  }
  errs.push(...validatePodTemplateSpec(spec.template, `${path}.template`));
  const restartPolicy = asObj(asObj(spec.template).spec).restartPolicy;
  if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    errs.push(field.notSupported(`${path}.template.spec.restartPolicy`, restartPolicy ?? '', ['OnFailure', 'Never']));
  } else if (isObj(spec.podFailurePolicy) && restartPolicy !== 'Never') {
    errs.push(field.invalid(`${path}.template.spec.restartPolicy`, restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'));
  }
  return errs;
}

// ---- Job ------------------------------------------------------------------------------

/** Upstream ValidateJobSpec: the common checks plus a required selector matching the template. */
function validateJobSpec(spec: Obj): FieldError[] {
  const errs = validateJobSpecCommon(spec, 'spec');
  const ls = asSelector(spec.selector);
  if (!ls) errs.push(field.required('spec.selector', ''));
  else errs.push(...validateLabelSelector(ls, 'spec.selector'));
  const labels = asObj(asObj(spec.template).metadata).labels;
  try {
    if (!selectorFromLabelSelector(ls).matches(asObj(labels) as Record<string, string>)) {
      errs.push(field.invalid('spec.template.metadata.labels', labels ?? null, '`selector` does not match template `labels`'));
    }
  } catch { /* malformed selector: reported above */ }
  return errs;
}

/** A generated selector must select exactly the labels the server put on the template. */
function validateGeneratedSelector(obj: KObject): FieldError[] {
  const spec = readSpec(obj);
  const ls = asSelector(spec.selector);
  if (spec.manualSelector === true || !ls) return [];
  const uid = obj.metadata.uid ?? '';
  const errs: FieldError[] = [];
  if (!uid) errs.push(field.required('metadata.uid', ''));
  const templateLabels = asObj(asObj(asObj(spec.template).metadata).labels);
  for (const [key, want] of [[LEGACY_CONTROLLER_UID_LABEL, uid], [LEGACY_JOB_NAME_LABEL, obj.metadata.name ?? '']]) {
    const p = `spec.template.metadata.labels[${key}]`;
    if (!(key in templateLabels)) errs.push(field.required(p, want));
    else if (templateLabels[key] !== want) errs.push(field.invalid(p, templateLabels, `must be '${want}'`));
  }
  let generated = false;
  try { generated = selectorFromLabelSelector(ls).matches({ [CONTROLLER_UID_LABEL]: uid }); } catch { /* reported by spec validation */ }
  if (!generated) errs.push(field.invalid('spec.selector', ls, '`selector` not auto-generated'));
  return errs;
}

function validateJobUpdate(obj: KObject, old: KObject): FieldError[] {
  const spec = readSpec(obj);
  const prev = readSpec(old);
  const errs = validateJobSpec(spec);
  // Indexed Jobs may be resized when completions moves together with parallelism.
  const elastic = spec.completionMode === 'Indexed' && spec.completions === spec.parallelism && prev.completions === prev.parallelism;
  if (!elastic) errs.push(...validateImmutableField(spec.completions, prev.completions, 'spec.completions'));
  errs.push(...validateImmutableField(spec.selector, prev.selector, 'spec.selector'));
  // A Job that was created suspended may still have its pod template adjusted.
  if (prev.suspend !== true && !deepEqual(spec.template, prev.template)) errs.push(field.invalid('spec.template', spec.template, 'field is immutable'));
  for (const k of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'managedBy']) errs.push(...validateImmutableField(spec[k], prev[k], `spec.${k}`));
  return errs;
}

function hasCondition(obj: KObject, type: string): boolean {
  return asObjs(readStatus(obj).conditions).some((c) => c.type === type && c.status === 'True');
}

function jobStatus(obj: KObject): string {
  if (hasCondition(obj, 'Complete')) return 'Complete';
  if (hasCondition(obj, 'Failed')) return 'Failed';
  if (obj.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(obj, 'Suspended')) return 'Suspended';
  if (hasCondition(obj, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function jobCompletions(obj: KObject): string {
  const spec = readSpec(obj);
  const succeeded = asNum(readStatus(obj).succeeded);
  if (isSet(spec.completions)) return `${succeeded}/${asNum(spec.completions)}`;
  const parallelism = asNum(spec.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(obj: KObject, now: number): string {
  const s = readStatus(obj);
  const start = Date.parse(asStr(s.startTime));
  if (Number.isNaN(start)) return '';
  const end = Date.parse(asStr(s.completionTime));
  return humanDuration((Number.isNaN(end) ? now : end) - start);
}

const jobs: ResourceStrategy = {
  group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', singular: 'job', namespaced: true,
  categories: ['all'], subresources: { status: true },
  defaults: defaultJob,
  prepareForCreate(obj) {
    obj.status = {};
    const spec = specOf(obj);
    if (spec.manualSelector === true) return;
    const uid = obj.metadata.uid ?? '';
    const name = obj.metadata.name ?? '';
    const meta = child(child(spec, 'template'), 'metadata');
    const labels = { ...asObj(meta.labels) };
    // Labels a user already set are kept; a conflicting one then fails validation.
    for (const [k, v] of [[LEGACY_JOB_NAME_LABEL, name], [JOB_NAME_LABEL, name], [LEGACY_CONTROLLER_UID_LABEL, uid], [CONTROLLER_UID_LABEL, uid]]) {
      if (!(k in labels)) labels[k] = v;
    }
    meta.labels = labels;
    const selector = child(spec, 'selector');
    const matchLabels = { ...asObj(selector.matchLabels) };
    if (!(CONTROLLER_UID_LABEL in matchLabels)) matchLabels[CONTROLLER_UID_LABEL] = uid;
    selector.matchLabels = matchLabels;
    // Upstream defaults again when the stored object is read back, so the Job inherits the generated labels.
    defaultJob(obj);
  },
  validate: (obj) => [...validateGeneratedSelector(obj), ...validateJobSpec(readSpec(obj))],
  validateUpdate: validateJobUpdate,
  validateStatusUpdate: (obj) => nonNegative(readStatus(obj), 'status', 'active', 'succeeded', 'failed', 'terminating', 'ready'),
  columns: [
    col('Status', 'string', 'Status of the job.'),
    col('Completions', 'string', 'The number of pods which reached phase Succeeded, of the desired completions.'),
    col('Duration', 'string', 'Time required to complete the job.'),
    AGE, CONTAINERS, IMAGES, SELECTOR,
  ],
  row(obj, ctx) {
    const spec = readSpec(obj);
    return [jobStatus(obj), jobCompletions(obj), jobDuration(obj, ctx.now), age(obj, ctx), ...containerCells(spec.template), formatLabelSelector(asSelector(spec.selector))];
  },
  fieldSelectors: { 'status.successful': (obj) => String(asNum(readStatus(obj).succeeded)) },
};

// ---- CronJob --------------------------------------------------------------------------

function validateSchedule(schedule: string, allowTZ: boolean, hasTimeZone: boolean): FieldError[] {
  const errs: FieldError[] = [];
  try {
    parseCron(schedule);
  } catch (e) {
    if (!(e instanceof CronParseError)) throw e;
    errs.push(field.invalid('spec.schedule', schedule, e.message));
  }
  if (allowTZ && schedule.includes('TZ') && hasTimeZone) {
    errs.push(field.invalid('spec.schedule', schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
  } else if (!allowTZ && schedule.includes('TZ')) {
    errs.push(field.invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  return errs;
}

function validateTimeZone(tz: unknown): FieldError[] {
  if (!isSet(tz)) return [];
  const name = asStr(tz);
  if (name === '') return [field.invalid('spec.timeZone', tz, 'timeZone must be nil or non-empty string')];
  const partsOk = name.split('/').every((p) => p !== '.' && p !== '..' && !p.startsWith('-') && /^[A-Za-z._\-0-9+]{1,14}$/.test(p));
  if (!partsOk) return [field.invalid('spec.timeZone', name, `unknown time zone ${name}`)];
  if (name.toLowerCase() === 'local') return [field.invalid('spec.timeZone', name, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  return isKnownTimeZone(name) ? [] : [field.invalid('spec.timeZone', name, `unknown time zone ${name}`)];
}

function validateCronJobSpec(spec: Obj, oldSpec: Obj | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const schedule = asStr(spec.schedule);
  if (schedule === '') errs.push(field.required('spec.schedule', ''));
  else errs.push(...validateSchedule(schedule, asStr(oldSpec?.schedule).includes('TZ'), isSet(spec.timeZone)));
  errs.push(...nonNegative(spec, 'spec', 'startingDeadlineSeconds'));
  if (!oldSpec || oldSpec.timeZone !== spec.timeZone) errs.push(...validateTimeZone(spec.timeZone));
  const policy = spec.concurrencyPolicy ?? '';
  if (policy === '') errs.push(field.required('spec.concurrencyPolicy', ''));
  else if (!['Allow', 'Forbid', 'Replace'].includes(asStr(policy))) errs.push(field.notSupported('spec.concurrencyPolicy', policy, ['Allow', 'Forbid', 'Replace']));
  // The job template never carries a selector: the Job's is generated when it is created.
  const jobSpec = asObj(asObj(spec.jobTemplate).spec);
  errs.push(...validateJobSpecCommon(jobSpec, 'spec.jobTemplate.spec'));
  if (isSet(jobSpec.selector)) errs.push(field.invalid('spec.jobTemplate.spec.selector', jobSpec.selector, '`selector` will be auto-generated'));
  if (jobSpec.manualSelector === true) errs.push(field.notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  errs.push(...nonNegative(spec, 'spec', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit'));
  return errs;
}

/** Cron job names leave room for the 11-character suffix of the Jobs they create. */
const CRONJOB_NAME_MAX = 52;

const cronJobs: ResourceStrategy = {
  group: 'batch', version: 'v1', kind: 'CronJob', plural: 'cronjobs', singular: 'cronjob', namespaced: true,
  shortNames: ['cj'], categories: ['all'], subresources: { status: true },
  defaults(obj) {
    const spec = specOf(obj);
    setDefault(spec, 'concurrencyPolicy', 'Allow');
    setDefault(spec, 'suspend', false);
    setDefault(spec, 'successfulJobsHistoryLimit', 3);
    setDefault(spec, 'failedJobsHistoryLimit', 1);
    defaultPodTemplateSpec(child(child(child(spec, 'jobTemplate'), 'spec'), 'template'));
  },
  prepareForCreate(obj) { obj.status = {}; },
  validate(obj) {
    const errs: FieldError[] = [];
    const name = obj.metadata.name ?? '';
    if (name.length > CRONJOB_NAME_MAX) errs.push(field.invalid('metadata.name', name, `must be no more than ${CRONJOB_NAME_MAX} characters`));
    return [...errs, ...validateCronJobSpec(readSpec(obj), undefined)];
  },
  validateUpdate: (obj, old) => validateCronJobSpec(readSpec(obj), readSpec(old)),
  columns: [
    col('Schedule', 'string', 'The schedule in Cron format.'),
    col('Timezone', 'string', 'The time zone name for the given schedule.'),
    col('Suspend', 'boolean', 'Whether subsequent executions are suspended.'),
    col('Active', 'integer', 'The number of currently running jobs.'),
    col('Last Schedule', 'string', 'Time since the job was last successfully scheduled.'),
    AGE, CONTAINERS, IMAGES, SELECTOR,
  ],
  row(obj, ctx) {
    const spec = readSpec(obj);
    const s = readStatus(obj);
    const suspend = typeof spec.suspend === 'boolean' ? (spec.suspend ? 'True' : 'False') : '<unset>';
    const last = isSet(s.lastScheduleTime) ? ageSince(asStr(s.lastScheduleTime), ctx.now) : '<none>';
    const jobSpec = asObj(asObj(spec.jobTemplate).spec);
    return [asStr(spec.schedule), isSet(spec.timeZone) ? asStr(spec.timeZone) : '<none>', suspend, Array.isArray(s.active) ? s.active.length : 0, last, age(obj, ctx),
      ...containerCells(jobSpec.template), formatLabelSelector(asSelector(jobSpec.selector))];
  },
};

export const batchResources: ResourceStrategy[] = [cronJobs, jobs];
