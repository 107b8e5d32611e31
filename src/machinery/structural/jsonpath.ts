// A small evaluator for the kubectl JSONPath forms CRD printer columns and selectable
// fields use: `.spec.replicas`, `.metadata.labels['app.kubernetes.io/name']`,
// `.items[0]`, `.items[*].name`, `..name`, and filters such as
// `.status.conditions[?(@.type=="Ready")].status`. Missing keys yield no results.
import { isPlainObject } from './types.js';

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'wildcard' }
  | { kind: 'recursive'; name: string | null }
  | { kind: 'index'; start: number | null; end: number | null; single: boolean }
  | { kind: 'filter'; path: Step[]; op?: string; value?: unknown };

export type JsonPath = (root: unknown) => unknown[];

class Parser {
  i = 0;
  constructor(private s: string) {}

  fail(msg: string): never {
    throw new Error(`invalid JSONPath ${JSON.stringify(this.s)}: ${msg}`);
  }

  peek(n = 0): string { return this.s[this.i + n] ?? ''; }

  ident(): string {
    const m = /^[^.[\]()\s=!<>'"{}]+/.exec(this.s.slice(this.i));
    if (!m) this.fail(`expected a field name at ${this.i}`);
    this.i += m[0].length;
    return m[0];
  }

  quoted(): string {
    const q = this.peek();
    const end = this.s.indexOf(q, this.i + 1);
    if (end < 0) this.fail('unterminated string');
    const v = this.s.slice(this.i + 1, end);
    this.i = end + 1;
    return v;
  }

  steps(stop: (c: string) => boolean): Step[] {
    const out: Step[] = [];
    if (this.peek() === '$' || this.peek() === '@') this.i++;
    while (this.i < this.s.length && !stop(this.peek())) {
      const c = this.peek();
      if (c === '.' && this.peek(1) === '.') {
        this.i += 2;
        if (this.peek() === '*') { this.i++; out.push({ kind: 'recursive', name: null }); } else out.push({ kind: 'recursive', name: this.ident() });
      } else if (c === '.') {
        this.i++;
        if (this.peek() === '*') { this.i++; out.push({ kind: 'wildcard' }); } else if (this.i < this.s.length && !stop(this.peek())) out.push({ kind: 'field', name: this.ident() });
      } else if (c === '[') {
        this.i++;
        out.push(this.bracket());
        if (this.peek() !== ']') this.fail(`expected ] at ${this.i}`);
        this.i++;
      } else if (out.length === 0) {
        out.push({ kind: 'field', name: this.ident() });
      } else this.fail(`unexpected ${JSON.stringify(c)} at ${this.i}`);
    }
    return out;
  }

  bracket(): Step {
    const c = this.peek();
    if (c === '*') { this.i++; return { kind: 'wildcard' }; }
    if (c === "'" || c === '"') return { kind: 'field', name: this.quoted() };
    if (c === '?') {
      this.i++;
      if (this.peek() !== '(') this.fail('expected ( after ?');
      this.i++;
      while (this.peek() === ' ') this.i++;
      const path = this.steps((x) => x === ')' || x === ' ' || x === '=' || x === '!' || x === '<' || x === '>');
      while (this.peek() === ' ') this.i++;
      let op: string | undefined;
      let value: unknown;
      const m = /^(==|!=|<=|>=|<|>)/.exec(this.s.slice(this.i));
      if (m) {
        op = m[1];
        this.i += op.length;
        while (this.peek() === ' ') this.i++;
        if (this.peek() === "'" || this.peek() === '"') value = this.quoted();
        else {
          const lit = /^[^)\s]+/.exec(this.s.slice(this.i));
          if (!lit) this.fail('expected a value');
          this.i += lit[0].length;
          value = lit[0] === 'true' ? true : lit[0] === 'false' ? false : Number.isNaN(Number(lit[0])) ? lit[0] : Number(lit[0]);
        }
        while (this.peek() === ' ') this.i++;
      }
      if (this.peek() !== ')') this.fail(`expected ) at ${this.i}`);
      this.i++;
      return { kind: 'filter', path, op, value };
    }
    const m = /^(-?\d*)(?::(-?\d*))?/.exec(this.s.slice(this.i));
    if (!m || (m[1] === '' && m[2] === undefined)) this.fail(`unexpected ${JSON.stringify(c)} at ${this.i}`);
    this.i += m[0].length;
    const num = (x: string | undefined) => (x === undefined || x === '' ? null : Number(x));
    return { kind: 'index', start: num(m[1]), end: num(m[2]), single: m[2] === undefined };
  }
}

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isPlainObject(v)) return Object.values(v);
  return [];
}

function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case '==': return a === b || (typeof a === 'number' && String(a) === b);
    case '!=': return !(a === b || (typeof a === 'number' && String(a) === b));
    default: {
      if (typeof a !== 'number' || typeof b !== 'number') return false;
      return op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b;
    }
  }
}

function apply(steps: Step[], values: unknown[]): unknown[] {
  let cur = values;
  for (const st of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      switch (st.kind) {
        case 'field':
          if (isPlainObject(v) && Object.hasOwn(v, st.name)) next.push(v[st.name]);
          break;
        case 'wildcard':
          next.push(...children(v));
          break;
        case 'recursive': {
          const visit = (x: unknown): void => {
            if (st.name === null) next.push(...children(x));
            else if (isPlainObject(x) && Object.hasOwn(x, st.name)) next.push(x[st.name]);
            children(x).forEach(visit);
          };
          visit(v);
          break;
        }
        case 'index': {
          if (!Array.isArray(v)) break;
          const norm = (n: number) => (n < 0 ? n + v.length : n);
          if (st.single) {
            const i = norm(st.start ?? 0);
            if (i >= 0 && i < v.length) next.push(v[i]);
          } else next.push(...v.slice(st.start === null ? 0 : norm(st.start), st.end === null ? v.length : norm(st.end)));
          break;
        }
        case 'filter':
          for (const item of Array.isArray(v) ? v : [v]) {
            const found = apply(st.path, [item]);
            if (st.op === undefined ? found.length > 0 : found.some((f) => compare(f, st.op!, st.value))) next.push(item);
          }
          break;
      }
    }
    cur = next;
  }
  return cur;
}

/** Compiles a JSONPath (with or without surrounding braces); throws on syntax errors. */
export function compileJsonPath(expr: string): JsonPath {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  const p = new Parser(s);
  const steps = p.steps(() => false);
  return (root) => apply(steps, [root]);
}

/** The values `expr` selects in `root` (empty when nothing matches). */
export function jsonPathValues(root: unknown, expr: string): unknown[] {
  return compileJsonPath(expr)(root);
}

/** How kubectl's JSONPath printer shows one value: strings bare, other scalars as text, objects as JSON. */
export function formatJsonPathValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
