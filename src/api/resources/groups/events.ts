// events.k8s.io/v1: Event. The same objects as core/v1 events, seen through the newer field
// names (regarding, note, deprecated*); tables and field selectors follow the core printer.
import type { KObject, ResourceStrategy } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { ageSince } from '../../../machinery/duration.js';
import { isDNS1123Subdomain, isQualifiedName, validateImmutableField } from '../../../machinery/validation.js';
import { asNum, asObj, asStr, col, isObj, isSet } from './util.js';

const LENGTH_LIMIT = 128;
const NOTE_LIMIT = 1024;

function validateEventCreate(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const regarding = asObj(obj.regarding);
  const namespace = obj.metadata.namespace ?? '';
  // Paths use the internal (core) field names, as upstream reports them.
  if (!asStr(regarding.namespace) && namespace !== 'default' && namespace !== 'kube-system') {
    errs.push(field.invalid('involvedObject.namespace', asStr(regarding.namespace), 'does not match event.namespace'));
  }
  const controller = asStr(obj.reportingController);
  if (!controller) errs.push(field.required('reportingController', ''));
  errs.push(...isQualifiedName(controller).map((m) => field.invalid('reportingController', controller, m)));
  const instance = asStr(obj.reportingInstance);
  if (!instance) errs.push(field.required('reportingInstance', ''));
  if (instance.length > LENGTH_LIMIT) errs.push(field.invalid('reportingInstance', '', `can have at most ${LENGTH_LIMIT} characters`));
  for (const k of ['action', 'reason']) {
    const v = asStr(obj[k]);
    if (!v) errs.push(field.required(k, ''));
    if (v.length > LENGTH_LIMIT) errs.push(field.invalid(k, '', `can have at most ${LENGTH_LIMIT} characters`));
  }
  if (asStr(obj.note).length > NOTE_LIMIT) errs.push(field.invalid('message', '', `can have at most ${NOTE_LIMIT} characters`));
  errs.push(...isDNS1123Subdomain(namespace).map((m) => field.invalid('namespace', namespace, m)));
  if (isObj(obj.series)) {
    if (asNum(obj.series.count) < 2) errs.push(field.invalid('series.count', '', 'should be at least 2'));
    if (!asStr(obj.series.lastObservedTime)) errs.push(field.required('series.lastObservedTime', ''));
  }
  if (!asStr(obj.eventTime)) errs.push(field.required('eventTime', ''));
  if (obj.type !== 'Normal' && obj.type !== 'Warning') errs.push(field.invalid('type', '', `has invalid value: ${asStr(obj.type)}`));
  if (isSet(obj.deprecatedFirstTimestamp)) errs.push(field.invalid('firstTimestamp', '', 'needs to be unset'));
  if (isSet(obj.deprecatedLastTimestamp)) errs.push(field.invalid('lastTimestamp', '', 'needs to be unset'));
  if (asNum(obj.deprecatedCount) !== 0) errs.push(field.invalid('count', '', 'needs to be unset'));
  const source = asObj(obj.deprecatedSource);
  if (asStr(source.component) || asStr(source.host)) errs.push(field.invalid('source', '', 'needs to be unset'));
  return errs;
}

/** Fields fixed once an event exists (v1 name → internal name used in messages); the series may still grow. */
const IMMUTABLE: [string, string][] = [
  ['regarding', 'involvedObject'], ['reason', 'reason'], ['note', 'message'], ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'], ['deprecatedLastTimestamp', 'lastTimestamp'], ['deprecatedCount', 'count'],
  ['type', 'type'], ['eventTime', 'eventTime'], ['action', 'action'], ['related', 'related'],
  ['reportingController', 'reportingController'], ['reportingInstance', 'reportingInstance'],
];

const validateEventUpdate = (obj: KObject, old: KObject): FieldError[] =>
  IMMUTABLE.flatMap(([k, path]) => validateImmutableField(obj[k], old[k], path));

/** A MicroTime or Time age; "<unknown>" when unset. */
const since = (ts: unknown, now: number): string => ageSince(asStr(ts) || undefined, now);

function eventRow(obj: KObject, now: number): unknown[] {
  const first = isSet(obj.deprecatedFirstTimestamp) ? since(obj.deprecatedFirstTimestamp, now) : since(obj.eventTime, now);
  let last = isSet(obj.deprecatedLastTimestamp) ? since(obj.deprecatedLastTimestamp, now) : first;
  let count = asNum(obj.deprecatedCount);
  if (isObj(obj.series)) {
    last = since(obj.series.lastObservedTime, now);
    count = asNum(obj.series.count);
  } else if (count === 0) {
    count = 1; // singleton events carry no count in this API
  }
  const regarding = asObj(obj.regarding);
  const kind = asStr(regarding.kind).toLowerCase();
  const target = asStr(regarding.name) ? `${kind}/${asStr(regarding.name)}` : kind;
  const source = asObj(obj.deprecatedSource);
  const component = asStr(source.component) || asStr(obj.reportingController);
  const host = asStr(source.host) || asStr(obj.reportingInstance);
  return [last, asStr(obj.type), asStr(obj.reason), target, asStr(regarding.fieldPath), host ? `${component}, ${host}` : component,
    asStr(obj.note).trim(), first, count, obj.metadata.name ?? ''];
}

const regardingField = (k: string) => (obj: KObject) => asStr(asObj(obj.regarding)[k]);

const events: ResourceStrategy = {
  group: 'events.k8s.io', version: 'v1', kind: 'Event', plural: 'events', singular: 'event', namespaced: true,
  shortNames: ['ev'],
  validate: validateEventCreate,
  validateUpdate: validateEventUpdate,
  // Upstream's event table puts NAME last (wide only), after the other columns.
  columns: [
    col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'string', 'Type of this event (Normal, Warning).'),
    col('Reason', 'string', 'Why the action was taken.'),
    col('Object', 'string', 'The object this event is about.'),
    col('Subobject', 'string', 'The field of the object this event is about.', 1),
    col('Source', 'string', 'The component reporting this event.', 1),
    col('Message', 'string', 'A human-readable description of the status of this operation.'),
    col('First Seen', 'string', 'The time at which the event was first recorded.', 1),
    col('Count', 'string', 'The number of times this event has occurred.', 1),
    { ...col('Name', 'string', 'Name of the event.', 1), format: 'name' },
  ],
  row: (obj, ctx) => eventRow(obj, ctx.now),
  fieldSelectors: {
    reason: (obj) => asStr(obj.reason),
    type: (obj) => asStr(obj.type),
    reportingController: (obj) => asStr(obj.reportingController),
    'regarding.kind': regardingField('kind'),
    'regarding.namespace': regardingField('namespace'),
    'regarding.name': regardingField('name'),
    'regarding.uid': regardingField('uid'),
    'regarding.apiVersion': regardingField('apiVersion'),
    'regarding.resourceVersion': regardingField('resourceVersion'),
    'regarding.fieldPath': regardingField('fieldPath'),
  },
};

export const eventsResources: ResourceStrategy[] = [events];
