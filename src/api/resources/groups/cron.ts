// Standard 5-field cron schedules as CronJob accepts them (the robfig/cron "standard"
// parser upstream uses): fields, ranges, steps, lists, month/day names, `?`, and the
// @-descriptors. Error messages follow that parser's wording, because the API server
// reports them verbatim. Next-run times are computed in an IANA time zone with the same
// daylight-saving behaviour: a wall-clock time skipped by a spring-forward never fires,
// one repeated by a fall-back fires twice.

export class CronParseError extends Error {}

export interface CronSchedule {
  /**
   * First activation strictly after `after` (at second 0), in `timeZone` (UTC when absent).
   * Null when the schedule never fires within five years (e.g. "0 0 30 2 *").
   */
  next(after: Date, timeZone?: string): Date | null;
}

interface Bounds { min: number; max: number; names?: Record<string, number> }

const MONTH_NAMES: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DOW_NAMES: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const FIELDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTH_NAMES },
  { min: 0, max: 6, names: DOW_NAMES },
];

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** One parsed field: the allowed values, and whether it was written as `*` or `?` (no step). */
interface FieldSet { values: Set<number>; star: boolean }

function atoi(s: string): number {
  // Go's strconv.Atoi error text, as robfig wraps it.
  if (!/^[+-]?[0-9]+$/.test(s)) throw new CronParseError(`failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number(s);
  if (n < 0) throw new CronParseError(`negative number (${n}) not allowed: ${s}`);
  return n;
}

function intOrName(s: string, b: Bounds): number {
  const named = b.names?.[s.toLowerCase()];
  return named ?? atoi(s);
}

function parseRange(expr: string, b: Bounds, into: FieldSet): void {
  const rangeAndStep = expr.split('/');
  const lowHigh = rangeAndStep[0].split('-');
  let start: number;
  let end: number;
  let star = false;
  if (lowHigh[0] === '*' || lowHigh[0] === '?') {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = intOrName(lowHigh[0], b);
    if (lowHigh.length === 1) end = start;
    else if (lowHigh.length === 2) end = intOrName(lowHigh[1], b);
    else throw new CronParseError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = atoi(rangeAndStep[1]);
    if (lowHigh.length === 1) end = b.max; // "N/step" means "N-max/step"
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new CronParseError(`too many slashes: ${expr}`);
  }
  if (start < b.min) throw new CronParseError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new CronParseError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new CronParseError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronParseError(`step of range should be a positive number: ${expr}`);
  for (let v = start; v <= end; v += step) into.values.add(v);
  if (star) into.star = true;
}

function parseField(text: string, b: Bounds): FieldSet {
  const set: FieldSet = { values: new Set(), star: false };
  for (const part of text.split(',')) parseRange(part, b, set);
  return set;
}

// ---- time zones -----------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

let supportedZones: Set<string> | undefined;

/**
 * Whether `name` is an IANA zone name Go's time.LoadLocation would load. Intl accepts zone
 * names case-insensitively while the tz database is case-sensitive, so names outside the
 * canonical list must at least be capitalised like every tz database entry.
 */
export function isKnownTimeZone(name: string): boolean {
  supportedZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (supportedZones.has(name)) return true;
  if (!name.split('/').every((part) => /^[A-Z]/.test(part))) return false;
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

interface Wall { year: number; month: number; day: number; hour: number; minute: number; second: number; weekday: number }

function wallClock(ms: number, timeZone: string): Wall {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const weekday = new Date(Date.UTC(parts.year, parts.month - 1, parts.day)).getUTCDay();
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute, second: parts.second, weekday };
}

/** The instant of a wall-clock time in `timeZone`; a time inside a DST gap maps past the gap. */
function instantOf(year: number, month: number, day: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, day);
  const offsetAt = (ms: number) => {
    const w = wallClock(ms, timeZone);
    return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
  };
  const first = guess - offsetAt(guess);
  const second = guess - offsetAt(first);
  return Math.max(first, second);
}

// ---- schedule -------------------------------------------------------------------------

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

class FieldSchedule implements CronSchedule {
  constructor(private readonly f: FieldSet[]) {}

  private dayMatches(w: Wall): boolean {
    const [, , dom, , dow] = this.f;
    const d = dom.values.has(w.day);
    const wd = dow.values.has(w.weekday);
    return dom.star || dow.star ? d && wd : d || wd;
  }

  next(after: Date, timeZone = 'UTC'): Date | null {
    const [minute, hour, , month] = this.f;
    // Start at the next whole minute; every later step keeps seconds at zero.
    let t = Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE;
    const limit = wallClock(t, timeZone).year + 5;
    for (;;) {
      const w = wallClock(t, timeZone);
      if (w.year > limit) return null;
      if (!month.values.has(w.month)) {
        t = w.month === 12 ? instantOf(w.year + 1, 1, 1, timeZone) : instantOf(w.year, w.month + 1, 1, timeZone);
      } else if (!this.dayMatches(w)) {
        const tomorrow = new Date(Date.UTC(w.year, w.month - 1, w.day + 1));
        t = instantOf(tomorrow.getUTCFullYear(), tomorrow.getUTCMonth() + 1, tomorrow.getUTCDate(), timeZone);
      } else if (!hour.values.has(w.hour)) {
        // Hours advance in absolute time, so an hour skipped by a DST change is never seen.
        t = t - w.minute * MINUTE + HOUR;
      } else if (!minute.values.has(w.minute)) {
        t += MINUTE;
      } else {
        return new Date(t);
      }
    }
  }
}

/** Parses a 5-field cron expression or an @-descriptor; throws CronParseError with upstream wording. */
export function parseCron(expr: string): CronSchedule {
  let spec = expr.trim();
  if (spec === '') throw new CronParseError('empty spec string');
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const space = spec.indexOf(' ');
    const zone = spec.slice(spec.indexOf('=') + 1, space < 0 ? undefined : space);
    if (!isKnownTimeZone(zone)) throw new CronParseError(`provided bad location ${zone}: unknown time zone ${zone}`);
    spec = space < 0 ? '' : spec.slice(space + 1).trim();
    const inner = parseCron(spec);
    return { next: (after: Date) => inner.next(after, zone) };
  }
  if (spec.startsWith('@')) {
    if (spec.startsWith('@every ')) return parseEvery(spec.slice('@every '.length).trim());
    const fields = DESCRIPTORS[spec];
    if (!fields) throw new CronParseError(`unrecognized descriptor: ${spec}`);
    spec = fields;
  }
  const parts = spec.split(/\s+/);
  if (parts.length !== 5) throw new CronParseError(`expected exactly 5 fields, found ${parts.length}: [${parts.join(' ')}]`);
  return new FieldSchedule(parts.map((p, i) => parseField(p, FIELDS[i])));
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: MINUTE, h: HOUR };

/** "@every <Go duration>": fixed intervals from the previous activation, rounded down to seconds. */
function parseEvery(text: string): CronSchedule {
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/y;
  let ms = 0;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < text.length && (m = re.exec(text))) {
    ms += Number(m[1]) * DURATION_UNITS[m[2]];
    pos = re.lastIndex;
  }
  if (text === '' || pos !== text.length) throw new CronParseError(`failed to parse duration @every ${text}: time: invalid duration ${JSON.stringify(text)}`);
  const interval = Math.max(1000, Math.floor(ms / 1000) * 1000);
  return { next: (after: Date) => new Date(Math.floor(after.getTime() / 1000) * 1000 + interval) };
}
