// Helpers the group strategies share: loose accessors over JSON-shaped objects, table
// column builders, and the workload checks upstream repeats across apps and batch
// (selector vs template labels, int-or-percent values).
import type { KObject, PrintContext, TableColumn } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { ageSince } from '../../../machinery/duration.js';
import { selectorFromLabelSelector, validateLabelSelector, type LabelSelector } from '../../../machinery/labels.js';
import { isValidPercent, validateNonnegativeField } from '../../../machinery/validation.js';

export { asNum, asObj, asObjs, asStr, child, isObj, setDefault, type Obj } from '../core/util.js';
import { asObj, asObjs, asStr, child, isObj, type Obj } from '../core/util.js';

export const isSet = (v: unknown): boolean => v !== undefined && v !== null;

export const specOf = (obj: KObject): Obj => child(obj as Obj, 'spec');
export const readSpec = (obj: KObject): Obj => asObj(obj.spec);
export const readStatus = (obj: KObject): Obj => asObj(obj.status);

// ---- tables ---------------------------------------------------------------------------

export const col = (name: string, type: TableColumn['type'], description: string, priority = 0): TableColumn => ({ name, type, description, priority });
export const AGE = col('Age', 'string', 'Time since the object was created.');
export const CREATED_AT = col('Created At', 'date', 'Time the object was created.');
export const CONTAINERS = col('Containers', 'string', 'Names of each container in the template.', 1);
export const IMAGES = col('Images', 'string', 'Images referenced by each container in the template.', 1);
export const SELECTOR = col('Selector', 'string', 'Label selector of the pods this object manages.', 1);

export const age = (obj: KObject, ctx: PrintContext): string => ageSince(obj.metadata.creationTimestamp, ctx.now);

/** Container names and images of a pod template, each joined by ",". */
export function containerCells(template: unknown): [string, string] {
  const containers = asObjs(asObj(asObj(template).spec).containers);
  return [containers.map((c) => asStr(c.name)).join(','), containers.map((c) => asStr(c.image)).join(',')];
}

// ---- selectors ------------------------------------------------------------------------

export const asSelector = (v: unknown): LabelSelector | undefined => (isObj(v) ? (v as LabelSelector) : undefined);

/** Selector string for tables ("app=x"), "" for an empty selector, "<invalid>" for a malformed one. */
export function selectorString(ls: LabelSelector | undefined): string {
  try {
    return selectorFromLabelSelector(ls ?? {}).toString();
  } catch {
    return '<invalid>';
  }
}

/**
 * The selector checks every replicated workload shares: required, well formed, not empty
 * ("empty selector is invalid for <kind>"), and matching the pod template's labels.
 */
export function validateWorkloadSelector(spec: Obj, path: string, kindWord: string, required = true): FieldError[] {
  const ls = asSelector(spec.selector);
  const errs: FieldError[] = [];
  if (!ls) {
    if (required) errs.push(field.required(`${path}.selector`, ''));
  } else {
    errs.push(...validateLabelSelector(ls, `${path}.selector`));
    if (Object.keys(ls.matchLabels ?? {}).length + (ls.matchExpressions ?? []).length === 0) {
      // An empty selector selects everything, so the template check below cannot fail.
      errs.push(field.invalid(`${path}.selector`, ls, `empty selector is invalid for ${kindWord}`));
      return errs;
    }
  }
  // A missing selector selects nothing, so upstream also reports the template mismatch.
  const labels = asObj(asObj(spec.template).metadata).labels;
  let matches: boolean;
  try {
    matches = selectorFromLabelSelector(ls).matches(asObj(labels) as Record<string, string>);
  } catch {
    return errs; // malformed selector: already reported by validateLabelSelector
  }
  if (!matches) errs.push(field.invalid(`${path}.template.metadata.labels`, labels ?? null, '`selector` does not match template `labels`'));
  return errs;
}

/** A pod template that controllers restart forever: restartPolicy Always, no activeDeadlineSeconds. */
export function validateAlwaysRestart(template: Obj, path: string, kind: string): FieldError[] {
  const podSpec = asObj(template.spec);
  const errs: FieldError[] = [];
  if (podSpec.restartPolicy !== 'Always') errs.push(field.notSupported(`${path}.spec.restartPolicy`, podSpec.restartPolicy ?? '', ['Always']));
  if (isSet(podSpec.activeDeadlineSeconds)) errs.push(field.forbidden(`${path}.spec.activeDeadlineSeconds`, `activeDeadlineSeconds in ${kind} is not Supported`));
  return errs;
}

/** Non-negative checks for optional integer fields of `o`, at `${path}.${key}`. */
export function nonNegative(o: Obj, path: string, ...keys: string[]): FieldError[] {
  return keys.flatMap((k) => (typeof o[k] === 'number' ? validateNonnegativeField(o[k] as number, `${path}.${k}`) : []));
}

// ---- int-or-percent -------------------------------------------------------------------

/** The number an IntOrString stands for: "25%" → 25, 3 → 3, "3" → 3, anything else → 0. */
export function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return 0;
  const m = /^([0-9]+)%?$/.exec(v);
  return m ? Number(m[1]) : 0;
}

const isPercent = (v: unknown): v is string => typeof v === 'string' && isValidPercent(v).length === 0;

/** A non-negative integer, or a string of the form "N%". */
export function validatePositiveIntOrPercent(v: unknown, path: string): FieldError[] {
  if (typeof v === 'string') return isValidPercent(v).map((m) => field.invalid(path, v, m));
  if (typeof v === 'number') return validateNonnegativeField(v, path);
  return isSet(v) ? [field.invalid(path, v, "must be an integer or percentage (e.g '5%')")] : [];
}

export function validateNotMoreThan100Percent(v: unknown, path: string): FieldError[] {
  return isPercent(v) && intOrPercentValue(v) > 100 ? [field.invalid(path, v, 'must not be greater than 100%')] : [];
}
