// autoscaling/v2: HorizontalPodAutoscaler.
import type { KObject, ResourceStrategy } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { AGE, age, asNum, asObj, asObjs, asStr, child, col, isObj, isSet, readSpec, readStatus, setDefault, specOf, type Obj } from './util.js';

const METRIC_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
/** The CPU target an HPA without metrics gets. */
const DEFAULT_CPU_UTILIZATION = 80;

/** Fills the unset parts of a scaling-rules block from the upstream defaults for that direction. */
const defaultScalingRules = (rules: unknown, defaults: Obj): Obj =>
  ({ ...defaults, ...Object.fromEntries(Object.entries(asObj(rules)).filter(([, v]) => isSet(v))) });

const SCALE_UP: Obj = {
  stabilizationWindowSeconds: 0, selectPolicy: 'Max',
  policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }],
};
const SCALE_DOWN: Obj = { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };

function validateHPA(obj: KObject): FieldError[] {
  const spec = readSpec(obj);
  const errs: FieldError[] = [];
  const ref = asObj(spec.scaleTargetRef);
  if (!asStr(ref.kind)) errs.push(field.required('spec.scaleTargetRef.kind', ''));
  if (!asStr(ref.name)) errs.push(field.required('spec.scaleTargetRef.name', ''));
  if (isSet(spec.minReplicas) && asNum(spec.minReplicas) < 1) errs.push(field.invalid('spec.minReplicas', spec.minReplicas, 'must be greater than or equal to 1'));
  if (asNum(spec.maxReplicas) < 1) errs.push(field.invalid('spec.maxReplicas', spec.maxReplicas ?? 0, 'must be greater than 0'));
  if (isSet(spec.minReplicas) && asNum(spec.minReplicas) > asNum(spec.maxReplicas)) {
    errs.push(field.invalid('spec.maxReplicas', spec.maxReplicas ?? 0, 'must be greater than or equal to `minReplicas`'));
  }
  asObjs(spec.metrics).forEach((m, i) => {
    const p = `spec.metrics[${i}]`;
    if (!asStr(m.type)) errs.push(field.required(`${p}.type`, 'must specify a metric source type'));
    else if (!METRIC_TYPES.includes(asStr(m.type))) errs.push(field.notSupported(`${p}.type`, m.type, METRIC_TYPES));
  });
  return errs;
}

/** One "current/target" cell entry per metric, as kubectl shows TARGETS. */
function metricTarget(spec: Obj, status: Obj | undefined): string {
  const target = asObj(spec.target);
  const cur = asObj(status?.current);
  const util = (v: unknown) => (typeof v === 'number' ? `${v}%` : undefined);
  if (isSet(target.averageValue)) {
    const avg = isSet(cur.averageValue) ? String(cur.averageValue) : '<unknown>';
    return `${avg}/${String(target.averageValue)}`;
  }
  if (isSet(target.value)) return `${isSet(cur.value) ? String(cur.value) : '<unknown>'}/${String(target.value)}`;
  return `${util(cur.averageUtilization) ?? '<unknown>'}/${util(target.averageUtilization) ?? '<auto>'}`;
}

/** Upstream formatHPAMetrics: at most two entries, then "+ N more...". */
export function formatHPAMetrics(specs: Obj[], statuses: Obj[]): string {
  if (specs.length === 0) return '<none>';
  const list = specs.map((m, i) => {
    const st = statuses[i];
    switch (m.type) {
      case 'External': {
        const e = asObj(m.external);
        return `${metricTarget(e, asObj(st?.external))}${isSet(asObj(e.target).averageValue) ? ' (avg)' : ''}`;
      }
      case 'Pods': return metricTarget(asObj(m.pods), asObj(st?.pods));
      case 'Object': {
        const o = asObj(m.object);
        return `${metricTarget(o, asObj(st?.object))}${isSet(asObj(o.target).averageValue) ? ' (avg)' : ''}`;
      }
      case 'Resource': {
        const r = asObj(m.resource);
        return `${asStr(r.name)}: ${metricTarget(r, asObj(st?.resource))}`;
      }
      case 'ContainerResource': {
        const r = asObj(m.containerResource);
        return `${asStr(r.name)}: ${metricTarget(r, asObj(st?.containerResource))}`;
      }
      default: return '<unknown type>';
    }
  });
  const max = 2;
  return list.length > max ? `${list.slice(0, max).join(', ')} + ${list.length - max} more...` : list.join(', ');
}

const horizontalPodAutoscalers: ResourceStrategy = {
  group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', namespaced: true,
  shortNames: ['hpa'], categories: ['all'], subresources: { status: true },
  defaults(obj) {
    const spec = specOf(obj);
    setDefault(spec, 'minReplicas', 1);
    if (asObjs(spec.metrics).length === 0) {
      spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
    }
    if (isObj(spec.behavior)) {
      const behavior = child(spec, 'behavior');
      behavior.scaleUp = defaultScalingRules(behavior.scaleUp, SCALE_UP);
      behavior.scaleDown = defaultScalingRules(behavior.scaleDown, SCALE_DOWN);
    }
  },
  prepareForCreate(obj) { obj.status = { desiredReplicas: 0 }; },
  validate: validateHPA,
  validateUpdate: validateHPA,
  columns: [
    col('Reference', 'string', 'The target resource to scale.'),
    col('Targets', 'string', 'Current and target values of the metrics.'),
    col('MinPods', 'string', 'The lower limit for the number of replicas.'),
    col('MaxPods', 'string', 'The upper limit for the number of replicas.'),
    col('Replicas', 'string', 'Current number of replicas of pods managed by this autoscaler.'),
    AGE,
  ],
  row(obj, ctx) {
    const spec = readSpec(obj);
    const status = readStatus(obj);
    const ref = asObj(spec.scaleTargetRef);
    return [`${asStr(ref.kind)}/${asStr(ref.name)}`, formatHPAMetrics(asObjs(spec.metrics), asObjs(status.currentMetrics)),
      isSet(spec.minReplicas) ? String(spec.minReplicas) : '<unset>', asNum(spec.maxReplicas), asNum(status.currentReplicas), age(obj, ctx)];
  },
};

export const autoscalingResources: ResourceStrategy[] = [horizontalPodAutoscalers];
