// Field selectors (?fieldSelector=, `kubectl --field-selector`): comma-joined
// `field=value`, `field==value` and `field!=value` terms, ANDed. Values escape '\', ','
// and '=' with a backslash. Which fields a resource supports is the caller's business:
// it checks `requirements` against its own list and reports unknown ones.
import { errors } from './errors.js';

export interface FieldRequirement {
  readonly field: string;
  /** '==' is normalized to '='. */
  readonly operator: '=' | '!=';
  readonly value: string;
}

/** Reads a field of the object being matched; undefined counts as "". */
export type FieldGetter = (field: string) => string | undefined;

export class FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}

  get empty(): boolean { return this.requirements.length === 0; }

  matches(get: FieldGetter): boolean {
    for (const r of this.requirements) {
      if (((get(r.field) ?? '') === r.value) !== (r.operator === '=')) return false;
    }
    return true;
  }

  /** The value a field must equal, if some `=` term pins it (e.g. metadata.name for a single-object watch). */
  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator === '=')?.value;
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
  }
}

const everythingFields = new FieldSelector([]);
export function everythingFieldSelector(): FieldSelector { return everythingFields; }

export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** Undoes escapeFieldValue; throws StatusError 400 on a bad escape or a bare ',' / '='. */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') throw errors.badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      // Go prints the offending rune with %v, i.e. as its code point number.
      throw errors.badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw errors.badRequest('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Splits on commas that are not escaped. */
function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') { terms.push(s.slice(start, i)); start = i + 1; }
  }
  terms.push(s.slice(start));
  return terms;
}

/** Parses a field selector; terms come out sorted, as upstream sorts them. Throws StatusError 400. */
export function parseFieldSelector(selector: string): FieldSelector {
  if (selector === '') return everythingFields;
  const reqs: FieldRequirement[] = [];
  for (const part of splitTerms(selector).sort()) {
    if (part === '') continue;
    const m = /!=|==|=/.exec(part);
    if (!m) throw errors.badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    reqs.push({
      field: part.slice(0, m.index),
      operator: m[0] === '!=' ? '!=' : '=',
      value: unescapeFieldValue(part.slice(m.index + m[0].length)),
    });
  }
  return reqs.length ? new FieldSelector(reqs) : everythingFields;
}

/** fields.SelectorFromSet: every field must equal its value. */
export function fieldSelectorFromSet(set: Readonly<Record<string, string>>): FieldSelector {
  return new FieldSelector(Object.keys(set).map((f) => ({ field: f, operator: '=' as const, value: set[f] })));
}
