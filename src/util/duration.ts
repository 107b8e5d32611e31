// Go duration strings ("500ms", "5s", "1m30s", "1.5h"), as kubectl and kwok flags take them.

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in a Go duration string; throws on anything time.ParseDuration rejects (except sign: negatives are refused too). */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  const term = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let ms = 0;
  let i = 0;
  while (i < s.length) {
    term.lastIndex = i;
    const m = term.exec(s);
    if (!m) throw new Error(`invalid duration ${JSON.stringify(s)}`);
    ms += Number(m[1]) * UNIT_MS[m[2]];
    i = term.lastIndex;
  }
  if (i === 0) throw new Error(`invalid duration ${JSON.stringify(s)}`);
  return ms;
}
