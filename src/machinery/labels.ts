// Label selectors: the string syntax of ?labelSelector= and `kubectl -l`, and the
// structured metav1.LabelSelector of workload specs. Both compile to one Selector that is
// built once and matched many times (list filtering, watch fan-out, controllers).
import { errors, field, type FieldError } from './errors.js';
import { isQualifiedName, isValidLabelValue, validateLabelName, validateLabels } from './validation.js';

/** selection.Operator values, as upstream spells them. */
export type Operator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  /** Sorted for parsed selectors; as given for LabelSelector expressions. */
  readonly values: readonly string[];
}

export type Labels = Readonly<Record<string, string>> | null | undefined;

export interface Selector {
  matches(labels: Labels): boolean;
  /** True when the selector matches everything. */
  readonly empty: boolean;
  /** False only for the selector that matches nothing (from a null LabelSelector). */
  readonly selectable: boolean;
  readonly requirements: readonly Requirement[];
  /** Canonical text: requirements sorted by key, joined by ','. "" for everything and nothing. */
  toString(): string;
  /** The value a label must have, when the selector pins it (=, ==, or `in` with one value). */
  requiresExactMatch(key: string): string | undefined;
}

export interface LabelSelectorRequirement { key: string; operator: string; values?: string[] | null }
export interface LabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: LabelSelectorRequirement[] | null;
}

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** strconv.ParseInt(s, 10, 64) as a bigint, or undefined. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v >= -(2n ** 63n) && v < 2n ** 63n ? v : undefined;
}

function requirementString(r: Requirement): string {
  const key = r.operator === '!' ? `!${r.key}` : r.key;
  const vals = r.values.length === 1 ? r.values[0] : [...r.values].sort().join(',');
  switch (r.operator) {
    case 'exists': case '!': return key;
    case 'in': return `${key} in (${vals})`;
    case 'notin': return `${key} notin (${vals})`;
    case 'gt': return `${key}>${vals}`;
    case 'lt': return `${key}<${vals}`;
    default: return `${key}${r.operator}${vals}`;
  }
}

type Predicate = (labels: Readonly<Record<string, string>>) => boolean;

function compile(r: Requirement): Predicate {
  const { key, values } = r;
  const one = values[0];
  const set = values.length > 4 ? new Set(values) : undefined;
  const hasValue = set ? (v: string) => set.has(v) : values.length === 1 ? (v: string) => v === one : (v: string) => values.includes(v);
  switch (r.operator) {
    case 'in': case '=': case '==':
      return (l) => has(l, key) && hasValue(l[key]);
    case 'notin': case '!=':
      return (l) => !has(l, key) || !hasValue(l[key]);
    case 'exists': return (l) => has(l, key);
    case '!': return (l) => !has(l, key);
    case 'gt': case 'lt': {
      const bound = values.length === 1 ? parseInt64(one) : undefined;
      if (bound === undefined) return () => false;
      const gt = r.operator === 'gt';
      return (l) => {
        if (!has(l, key)) return false;
        const v = parseInt64(l[key]);
        return v !== undefined && (gt ? v > bound : v < bound);
      };
    }
  }
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

class RequirementsSelector implements Selector {
  readonly selectable = true;
  private readonly preds: Predicate[];
  private text?: string;
  constructor(readonly requirements: readonly Requirement[]) {
    this.preds = requirements.map(compile);
  }
  get empty(): boolean { return this.requirements.length === 0; }
  matches(labels: Labels): boolean {
    const l = labels ?? EMPTY;
    for (const p of this.preds) if (!p(l)) return false;
    return true;
  }
  toString(): string {
    return (this.text ??= this.requirements.map(requirementString).join(','));
  }
  requiresExactMatch(key: string): string | undefined {
    const r = this.requirements.find((x) => x.key === key);
    if (!r || r.values.length !== 1) return undefined;
    return r.operator === '=' || r.operator === '==' || r.operator === 'in' ? r.values[0] : undefined;
  }
}

const nothingSelector: Selector = Object.freeze({
  selectable: false, empty: false, requirements: [],
  matches: () => false, toString: () => '', requiresExactMatch: () => undefined,
});

const everythingSelector: Selector = new RequirementsSelector([]);

export function everything(): Selector { return everythingSelector; }
export function nothing(): Selector { return nothingSelector; }

function sortByKey(reqs: Requirement[]): Requirement[] {
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// ---- requirement construction (labels.NewRequirement) ---------------------------------

/** Renders a []string bad value the way Go's field errors do (JSON; nil as null). */
function invalidValues(path: string, vals: readonly string[], detail: string): FieldError {
  return field.invalid(path, vals.length ? vals : null, detail);
}

/** Errors of labels.NewRequirement; paths are relative ("key", "values[0]") as upstream reports them. */
function requirementErrors(key: string, op: Operator, vals: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length) errs.push(field.invalid('key', key, keyErrs.join('; ')));
  const vp = 'values';
  switch (op) {
    case 'in': case 'notin':
      if (vals.length === 0) errs.push(invalidValues(vp, vals, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=': case '==': case '!=':
      if (vals.length !== 1) errs.push(invalidValues(vp, vals, 'exact-match compatibility requires one single value'));
      break;
    case 'exists': case '!':
      if (vals.length !== 0) errs.push(invalidValues(vp, vals, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt': case 'lt':
      if (vals.length !== 1) errs.push(invalidValues(vp, vals, "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(field.invalid(`${vp}[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  vals.forEach((v, i) => {
    const m = isValidLabelValue(v);
    if (m.length) errs.push(field.invalid(`${vp}[${i}][${key}]`, v, m.join('; ')));
  });
  return errs;
}

/** Go's utilerrors.Aggregate text: one message alone, several as "[a, b]", duplicates dropped. */
function aggregate(errs: FieldError[]): string {
  const msgs = [...new Set(errs.map((e) => `${e.field || '<nil>'}: ${e.message}`))];
  return msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
}

// ---- string syntax (labels.Parse) ------------------------------------------------------

const enum Tok { Error, End, ClosedPar, Comma, DoesNotExist, DoubleEquals, Equals, GreaterThan, Identifier, In, LessThan, NotEquals, NotIn, OpenPar }

const symbolTokens: Record<string, Tok> = {
  ')': Tok.ClosedPar, ',': Tok.Comma, '!': Tok.DoesNotExist, '==': Tok.DoubleEquals, '=': Tok.Equals,
  '>': Tok.GreaterThan, '<': Tok.LessThan, '!=': Tok.NotEquals, '(': Tok.OpenPar,
};
const isSpecial = (c: string) => '=!(),><'.includes(c);
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';

interface Item { tok: Tok; lit: string }

function lex(s: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isSpace(s[i])) i++;
    if (i >= s.length) { items.push({ tok: Tok.End, lit: '' }); return items; }
    if (isSpecial(s[i])) {
      // Longest run of symbol characters that still forms a known token.
      let buf = '';
      let last: Item | undefined;
      while (i < s.length && isSpecial(s[i])) {
        buf += s[i];
        const t = symbolTokens[buf];
        if (t !== undefined) { last = { tok: t, lit: buf }; i++; }
        else if (last) break;
        else i++;
      }
      items.push(last ?? { tok: Tok.Error, lit: `error expected: keyword found '${buf}'` });
    } else {
      const start = i;
      while (i < s.length && !isSpecial(s[i]) && !isSpace(s[i])) i++;
      const word = s.slice(start, i);
      items.push({ tok: word === 'in' ? Tok.In : word === 'notin' ? Tok.NotIn : Tok.Identifier, lit: word });
    }
  }
}

class ParseError extends Error {}

class Parser {
  private pos = 0;
  constructor(private readonly items: Item[]) {}

  /** In value position the keywords `in`/`notin` are plain identifiers. */
  private peek(values: boolean): Item {
    const it = this.items[this.pos];
    return values && (it.tok === Tok.In || it.tok === Tok.NotIn) ? { tok: Tok.Identifier, lit: it.lit } : it;
  }
  private next(values: boolean): Item {
    const it = this.peek(values);
    this.pos++;
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek(true);
      if (tok === Tok.End) return reqs;
      if (tok !== Tok.Identifier && tok !== Tok.DoesNotExist) throw new ParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      reqs.push(this.requirement());
      const t = this.next(true);
      if (t.tok === Tok.End) return reqs;
      if (t.tok !== Tok.Comma) throw new ParseError(`found '${t.lit}', expected: ',' or 'end of string'`);
      const t2 = this.peek(true);
      if (t2.tok !== Tok.Identifier && t2.tok !== Tok.DoesNotExist) throw new ParseError(`found '${t2.lit}', expected: identifier after ','`);
    }
  }

  private requirement(): Requirement {
    let op: Operator | undefined;
    let t = this.next(true);
    if (t.tok === Tok.DoesNotExist) { op = '!'; t = this.next(true); }
    if (t.tok !== Tok.Identifier) throw new ParseError(`unable to parse requirement: found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw new ParseError(`unable to parse requirement: <nil>: ${field.invalid('', key, keyErrs.join('; ')).message}`);
    const after = this.peek(true).tok;
    if (after === Tok.End || after === Tok.Comma) op ??= 'exists';
    let values: string[] = [];
    if (op !== 'exists' && op !== '!') {
      op = this.operator();
      values = op === 'in' || op === 'notin' ? this.valueSet() : this.exactValue();
    }
    const errs = requirementErrors(key, op, values);
    if (errs.length) throw new ParseError(`unable to parse requirement: ${aggregate(errs)}`);
    return { key, operator: op, values };
  }

  private operator(): Operator {
    const { tok, lit } = this.next(false);
    switch (tok) {
      case Tok.In: return 'in';
      case Tok.NotIn: return 'notin';
      case Tok.Equals: return '=';
      case Tok.DoubleEquals: return '==';
      case Tok.NotEquals: return '!=';
      case Tok.GreaterThan: return 'gt';
      case Tok.LessThan: return 'lt';
      default: throw new ParseError(`unable to parse requirement: found '${lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  /** "(a,b)": empty members count as "", and the result is a sorted set. */
  private valueSet(): string[] {
    const open = this.next(true);
    if (open.tok !== Tok.OpenPar) throw new ParseError(`unable to parse requirement: found '${open.lit}' expected: '('`);
    const first = this.peek(true);
    if (first.tok === Tok.ClosedPar) { this.pos++; return ['']; }
    if (first.tok !== Tok.Identifier && first.tok !== Tok.Comma) throw new ParseError(`unable to parse requirement: found '${first.lit}', expected: ',', ')' or identifier`);
    const set = new Set<string>();
    for (;;) {
      const { tok, lit } = this.next(true);
      if (tok === Tok.Identifier) {
        set.add(lit);
        const t2 = this.peek(true);
        if (t2.tok === Tok.Comma) continue;
        if (t2.tok === Tok.ClosedPar) break;
        throw new ParseError(`unable to parse requirement: found '${t2.lit}', expected: ',' or ')'`);
      } else if (tok === Tok.Comma) {
        if (set.size === 0) set.add('');
        const t2 = this.peek(true).tok;
        if (t2 === Tok.ClosedPar) { set.add(''); break; }
        if (t2 === Tok.Comma) set.add('');
      } else {
        throw new ParseError(`unable to parse requirement: found '${lit}', expected: ',', or identifier`);
      }
    }
    if (this.next(true).tok !== Tok.ClosedPar) throw new ParseError(`unable to parse requirement: found '${first.lit}', expected: ')'`);
    return [...set].sort();
  }

  private exactValue(): string[] {
    const t = this.peek(true);
    if (t.tok === Tok.End || t.tok === Tok.Comma) return [''];
    this.pos++;
    if (t.tok === Tok.Identifier) return [t.lit];
    throw new ParseError(`unable to parse requirement: found '${t.lit}', expected: identifier`);
  }
}

/** Parses the string form; throws StatusError 400 (BadRequest) with upstream's message. */
export function parseSelector(selector: string): Selector {
  if (selector === '') return everythingSelector;
  try {
    return new RequirementsSelector(sortByKey(new Parser(lex(selector)).parse()));
  } catch (e) {
    if (e instanceof ParseError) throw errors.badRequest(e.message);
    throw e;
  }
}

// ---- sets and metav1.LabelSelector -----------------------------------------------------

/** labels.SelectorFromSet: every key must equal its value; an absent or empty set matches everything. */
export function selectorFromSet(set: Labels): Selector {
  if (!set) return everythingSelector;
  const keys = Object.keys(set);
  if (keys.length === 0) return everythingSelector;
  return new RequirementsSelector(sortByKey(keys.map((k) => ({ key: k, operator: '=' as const, values: [set[k]] }))));
}

const exprOps: Record<string, Operator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * metav1.LabelSelectorAsSelector: null/undefined selects nothing, {} selects everything.
 * Throws StatusError 400 when a requirement is malformed.
 */
export function selectorFromLabelSelector(ls: LabelSelector | null | undefined): Selector {
  if (ls == null) return nothingSelector;
  const matchLabels = ls.matchLabels ?? {};
  const exprs = ls.matchExpressions ?? [];
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(matchLabels)) {
    const errs = requirementErrors(k, '=', [v]);
    if (errs.length) throw errors.badRequest(aggregate(errs));
    reqs.push({ key: k, operator: '=', values: [v] });
  }
  for (const e of exprs) {
    const op = exprOps[e.operator];
    if (!op) throw errors.badRequest(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    const values = [...(e.values ?? [])];
    const errs = requirementErrors(e.key, op, values);
    if (errs.length) throw errors.badRequest(aggregate(errs));
    reqs.push({ key: e.key, operator: op, values });
  }
  return reqs.length ? new RequirementsSelector(sortByKey(reqs)) : everythingSelector;
}

/** metav1.FormatLabelSelector, as kubectl and `describe` print it: "<none>" when empty, "<error>" when malformed. */
export function formatLabelSelector(ls: LabelSelector | null | undefined): string {
  let s: string;
  try { s = selectorFromLabelSelector(ls).toString(); } catch { return '<error>'; }
  return s === '' ? '<none>' : s;
}

/** labels.Set String(): "k=v" pairs sorted by key, joined by ','. */
export function formatLabels(labels: Labels): string {
  if (!labels) return '';
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
}

export interface LabelSelectorValidationOptions {
  allowInvalidLabelValueInSelector?: boolean;
  allowUnknownOperatorInRequirement?: boolean;
}

/** metav1 validation.ValidateLabelSelector for selectors embedded in specs. */
export function validateLabelSelector(ls: LabelSelector | null | undefined, path: string, opts: LabelSelectorValidationOptions = {}): FieldError[] {
  if (ls == null) return [];
  const errs = validateLabels(ls.matchLabels, `${path}.matchLabels`);
  (ls.matchExpressions ?? []).forEach((e, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In': case 'NotIn':
        if (values.length === 0) errs.push(field.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists': case 'DoesNotExist':
        if (values.length > 0) errs.push(field.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        if (!opts.allowUnknownOperatorInRequirement) errs.push(field.invalid(`${p}.operator`, e.operator, 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(e.key, `${p}.key`));
    if (!opts.allowInvalidLabelValueInSelector) {
      values.forEach((v, j) => { for (const m of isValidLabelValue(v)) errs.push(field.invalid(`${p}.values[${j}]`, v, m)); });
    }
  });
  return errs;
}
