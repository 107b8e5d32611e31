// ControllerRevisions: the immutable history DaemonSets and StatefulSets keep of their pod
// templates. A revision stores the template as a patch that replaces spec.template, is
// named <owner>-<hash of that data>, and carries an increasing revision number; a
// rollback to an earlier template reuses (and renumbers) the matching revision.
import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';

/** Label with the revision's hash (DaemonSet pods and revisions carry it too). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';
/** Label upstream's history package puts on every ControllerRevision it creates. */
export const REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';

/** The revision data for a template: a strategic-merge patch that replaces spec.template. */
export function templatePatch(template: PodTemplateSpec | undefined): { spec: { template: Record<string, unknown> } } {
  return { spec: { template: { ...(structuredClone(template ?? {}) as Record<string, unknown>), $patch: 'replace' } } };
}

/** The pod template a revision recorded. */
export function templateOfRevision(rev: ControllerRevision): PodTemplateSpec {
  const data = rev.data as { spec?: { template?: Record<string, unknown> } } | undefined;
  const { $patch: _p, ...template } = structuredClone(data?.spec?.template ?? {});
  return template as PodTemplateSpec;
}

/** JSON with object keys sorted, so equal data always hashes and compares the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** Maps each character onto consonants and digits, so names never spell words (upstream rand.SafeEncodeString). */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += ALPHANUMS[s.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/** 32-bit FNV-1a over UTF-8 bytes. */
function fnv32a(bytes: Iterable<number>, h = 0x811c9dc5): number {
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

function utf8(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

/** The hash naming a revision; a collision count (bumped on a name clash) changes it. */
export function hashRevisionData(data: unknown, collisionCount?: number): string {
  let h = fnv32a(utf8(canonicalJson(data)));
  if (collisionCount) {
    const n = collisionCount >>> 0;
    h = fnv32a([n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24], h);
  }
  return safeEncode(String(h));
}

/** <prefix>-<hash>, the prefix cut so the name stays a valid object name. */
export function revisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

/** Oldest first by revision number, then by name. */
export function sortRevisions(revs: readonly ControllerRevision[]): ControllerRevision[] {
  return [...revs].sort((a, b) => a.revision - b.revision || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

/** One more than the highest revision number (1 for none). */
export function nextRevisionNumber(revs: readonly ControllerRevision[]): number {
  return revs.reduce((m, r) => Math.max(m, r.revision), 0) + 1;
}

/** Revisions holding exactly this data, oldest first. */
export function equalRevisions(revs: readonly ControllerRevision[], data: unknown): ControllerRevision[] {
  const want = canonicalJson(data);
  return sortRevisions(revs.filter((r) => canonicalJson(r.data) === want));
}

/** True when two revisions record the same data. */
export function revisionsEqual(a: ControllerRevision, b: ControllerRevision): boolean {
  return canonicalJson(a.data) === canonicalJson(b.data);
}

/**
 * What to do to make `data` the owner's update revision: reuse an equal revision (giving
 * it the next number when it is not already the newest, as a rollback does), or create
 * one named from the hash.
 */
export type RevisionPlan =
  | { action: 'reuse'; revision: ControllerRevision; renumberTo?: number }
  | { action: 'create'; name: string; hash: string; number: number };

export function planRevision(owner: string, revs: readonly ControllerRevision[], data: unknown, collisionCount?: number): RevisionPlan {
  const sorted = sortRevisions(revs);
  const equal = equalRevisions(sorted, data);
  const next = nextRevisionNumber(sorted);
  if (equal.length) {
    const newest = equal[equal.length - 1];
    const isLatest = sorted[sorted.length - 1] === newest;
    return isLatest ? { action: 'reuse', revision: newest } : { action: 'reuse', revision: newest, renumberTo: next };
  }
  const hash = hashRevisionData(data, collisionCount);
  return { action: 'create', name: revisionName(owner, hash), hash, number: next };
}
