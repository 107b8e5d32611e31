// LimitRange, ResourceQuota and PodTemplate.
import type { ResourceStrategy } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { ageSince } from '../../../machinery/duration.js';
import { asObj, asObjs, asStr, child, containerCells, formatLabels, isObj, quantityOf } from './util.js';
import { AGE_COLUMN, CREATED_AT_COLUMN } from './columns.js';
import { defaultPodTemplateSpec, validatePodTemplateSpec } from './podspec.js';

const LIMIT_TYPES = ['Container', 'PersistentVolumeClaim', 'Pod'];

function validateQuantities(list: unknown, path: string, errs: FieldError[]): void {
  for (const [k, q] of Object.entries(asObj(list))) {
    if ((quantityOf(q)?.sign() ?? -1) < 0) errs.push(field.invalid(`${path}[${k}]`, q, 'must be greater than or equal to 0'));
  }
}

export const limitRangeStrategy: ResourceStrategy = {
  group: '', version: 'v1', kind: 'LimitRange', plural: 'limitranges', singular: 'limitrange', namespaced: true,
  shortNames: ['limits'],
  defaults(obj) {
    // Container items: default limit <- max, default request <- default limit, then <- min.
    for (const item of asObjs(asObj(obj.spec).limits)) {
      if (item.type !== 'Container') continue;
      const def = child(item, 'default');
      const defReq = child(item, 'defaultRequest');
      for (const [k, v] of Object.entries(asObj(item.max))) if (!(k in def)) def[k] = v;
      for (const [k, v] of Object.entries(def)) if (!(k in defReq)) defReq[k] = v;
      for (const [k, v] of Object.entries(asObj(item.min))) if (!(k in defReq)) defReq[k] = v;
    }
  },
  validate(obj) {
    const errs: FieldError[] = [];
    asObjs(asObj(obj.spec).limits).forEach((item, i) => {
      const p = `spec.limits[${i}]`;
      if (!LIMIT_TYPES.includes(asStr(item.type))) errs.push(field.notSupported(`${p}.type`, item.type ?? '', LIMIT_TYPES));
      for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) validateQuantities(item[k], `${p}.${k}`, errs);
      for (const [k, q] of Object.entries(asObj(item.min))) {
        const max = asObj(item.max)[k];
        const [lo, hi] = [quantityOf(q), quantityOf(max)];
        if (lo && hi && lo.cmp(hi) > 0) {
          errs.push(field.invalid(`${p}.min[${k}]`, q, `min value ${asStr(q) || String(q)} is greater than max value ${asStr(max) || String(max)}`));
        }
      }
    });
    return errs;
  },
  columns: [CREATED_AT_COLUMN],
  row: (obj) => [obj.metadata.creationTimestamp ?? ''],
};

/** Upstream printResourceQuota: "name: used/hard" pairs, limits.* in the LIMIT column. */
function quotaCells(status: Record<string, unknown>): [string, string] {
  const hard = asObj(status.hard);
  const used = asObj(status.used);
  const req: string[] = [];
  const lim: string[] = [];
  for (const k of Object.keys(hard).sort()) {
    const cell = `${k}: ${asStr(used[k]) || (used[k] === undefined ? '0' : String(used[k]))}/${asStr(hard[k]) || String(hard[k])}`;
    (k.split('.')[0] === 'limits' && k.includes('.') ? lim : req).push(cell);
  }
  return [req.join(', '), lim.join(', ')];
}

export const resourceQuotaStrategy: ResourceStrategy = {
  group: '', version: 'v1', kind: 'ResourceQuota', plural: 'resourcequotas', singular: 'resourcequota', namespaced: true,
  shortNames: ['quota'],
  subresources: { status: true },
  generation: false,
  prepareForCreate(obj) {
    obj.status = {};
  },
  validate(obj) {
    const errs: FieldError[] = [];
    validateQuantities(asObj(obj.spec).hard, 'spec.hard', errs);
    return errs;
  },
  validateStatusUpdate(obj) {
    const errs: FieldError[] = [];
    validateQuantities(asObj(obj.status).hard, 'status.hard', errs);
    validateQuantities(asObj(obj.status).used, 'status.used', errs);
    return errs;
  },
  columns: [
    { name: 'Request', type: 'string', description: 'Request represents a minimum amount of cpu/memory that a container may consume.', priority: 0 },
    { name: 'Limit', type: 'string', description: 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.', priority: 0 },
    AGE_COLUMN,
  ],
  row(obj, ctx) {
    const [req, lim] = quotaCells(asObj(obj.status));
    return [req, lim, ageSince(obj.metadata.creationTimestamp, ctx.now)];
  },
};

export const podTemplateStrategy: ResourceStrategy = {
  group: '', version: 'v1', kind: 'PodTemplate', plural: 'podtemplates', singular: 'podtemplate', namespaced: true,
  defaults(obj) {
    if (isObj(obj.template)) defaultPodTemplateSpec(obj.template);
  },
  validate: (obj) => validatePodTemplateSpec(obj.template, 'template'),
  columns: [
    { name: 'Containers', type: 'string', description: 'Names of each container in the template.', priority: 0 },
    { name: 'Images', type: 'string', description: 'Images referenced by each container in the template.', priority: 0 },
    { name: 'Pod Labels', type: 'string', description: 'The labels for the pod template.', priority: 0 },
  ],
  row(obj) {
    const template = asObj(obj.template);
    const [names, images] = containerCells(asObj(template.spec).containers);
    return [names, images, formatLabels(asObj(template.metadata).labels)];
  },
};
