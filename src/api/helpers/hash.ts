// Controller history hashing: a short, stable name suffix derived from a pod template
// (Deployment's pod-template-hash, and the like). Upstream hashes with FNV-32a and spells
// the decimal value in an alphabet without vowels, so a hash never forms words; here the
// input is the template's canonical JSON (sorted keys), so equal templates hash equally.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Letters and digits that cannot spell words (upstream's safe-encoding alphabet). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-32a of a byte sequence, continuing from `seed` (the offset basis by default). */
export function fnv32a(bytes: Iterable<number>, seed = FNV_OFFSET): number {
  let h = seed >>> 0;
  for (const b of bytes) {
    h ^= b & 0xff;
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h;
}

function* utf8(s: string): Generator<number> {
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) yield c;
    else if (c < 0x800) { yield 0xc0 | (c >> 6); yield 0x80 | (c & 63); }
    else if (c < 0x10000) { yield 0xe0 | (c >> 12); yield 0x80 | ((c >> 6) & 63); yield 0x80 | (c & 63); }
    else { yield 0xf0 | (c >> 18); yield 0x80 | ((c >> 12) & 63); yield 0x80 | ((c >> 6) & 63); yield 0x80 | (c & 63); }
  }
}

/** JSON with object keys sorted and undefined members dropped: one spelling per value. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * The value with null members and empty objects and arrays removed, recursively: what a
 * typed client reads back the same (a null creationTimestamp, an empty resources block).
 */
export function pruneEmpty(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pruneEmpty);
  if (!v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const p = pruneEmpty(x);
    if (p === null || p === undefined) continue;
    if (typeof p === 'object' && (Array.isArray(p) ? p.length === 0 : Object.keys(p).length === 0)) continue;
    out[k] = p;
  }
  return out;
}

/** Maps each character to the safe alphabet by its code (upstream rand.SafeEncodeString). */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/**
 * The hash of a template: FNV-32a of its canonical JSON (empty members pruned), then, when a collision count is
 * given, of the count as four little-endian bytes; spelled as the safe-encoded decimal.
 */
export function computeHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(utf8(canonicalJson(pruneEmpty(template))));
  if (collisionCount !== undefined && collisionCount !== null) {
    const c = collisionCount >>> 0;
    h = fnv32a([c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, (c >>> 24) & 0xff], h);
  }
  return safeEncodeString(String(h));
}
