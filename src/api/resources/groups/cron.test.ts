import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CronParseError, isKnownTimeZone, parseCron } from './cron.js';

const next = (expr: string, after: string, tz?: string) => parseCron(expr).next(new Date(after), tz)?.toISOString() ?? null;

describe('parseCron errors', () => {
  const cases: [string, string][] = [
    ['', 'empty spec string'],
    ['* * * *', 'expected exactly 5 fields, found 4: [* * * *]'],
    ['* * * * * *', 'expected exactly 5 fields, found 6: [* * * * * *]'],
    ['60 * * * *', 'end of range (60) above maximum (59): 60'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['*/2/3 * * * *', 'too many slashes: */2/3'],
    ['x * * * *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ['* * * * 7', 'end of range (7) above maximum (6): 7'],
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ['@every 1x', 'failed to parse duration @every 1x: time: invalid duration "1x"'],
  ];
  for (const [expr, message] of cases) {
    test(JSON.stringify(expr), () => assert.throws(() => parseCron(expr), (e: unknown) => e instanceof CronParseError && e.message === message));
  }
});

describe('next activation', () => {
  const cases: [string, string, string, string | undefined, string | null][] = [
    ['every minute', '* * * * *', '2024-01-01T00:00:30Z', undefined, '2024-01-01T00:01:00.000Z'],
    ['step', '*/15 * * * *', '2024-01-01T00:15:00Z', undefined, '2024-01-01T00:30:00.000Z'],
    ['list and range', '0 9-17/4,22 * * *', '2024-01-01T10:00:00Z', undefined, '2024-01-01T13:00:00.000Z'],
    ['N/step means N-max', '50/5 * * * *', '2024-01-01T00:51:00Z', undefined, '2024-01-01T00:55:00.000Z'],
    ['names', '0 0 * JAN,feb MON', '2024-01-02T00:00:00Z', undefined, '2024-01-08T00:00:00.000Z'],
    // When both day fields are restricted, either may match.
    ['dom or dow', '0 0 13 * FRI', '2024-09-01T00:00:00Z', undefined, '2024-09-06T00:00:00.000Z'],
    ['dom and star dow', '0 0 13 * *', '2024-09-01T00:00:00Z', undefined, '2024-09-13T00:00:00.000Z'],
    ['@hourly', '@hourly', '2024-01-01T05:59:59Z', undefined, '2024-01-01T06:00:00.000Z'],
    ['@daily', '@daily', '2024-01-01T05:00:00Z', undefined, '2024-01-02T00:00:00.000Z'],
    ['@weekly', '@weekly', '2024-01-01T00:00:00Z', undefined, '2024-01-07T00:00:00.000Z'],
    ['@monthly', '@monthly', '2024-01-15T00:00:00Z', undefined, '2024-02-01T00:00:00.000Z'],
    ['@yearly', '@yearly', '2024-03-01T00:00:00Z', undefined, '2025-01-01T00:00:00.000Z'],
    ['leap day', '0 0 29 2 *', '2024-03-01T00:00:00Z', undefined, '2028-02-29T00:00:00.000Z'],
    ['never', '0 0 30 2 *', '2024-01-01T00:00:00Z', undefined, null],
    ['zone offset', '0 9 * * *', '2024-01-01T00:00:00Z', 'Asia/Kolkata', '2024-01-01T03:30:00.000Z'],
    // 02:30 does not exist in New York on 2024-03-10: that day is skipped.
    ['spring forward', '30 2 * * *', '2024-03-09T12:00:00Z', 'America/New_York', '2024-03-11T06:30:00.000Z'],
    ['spring forward day', '30 2 * * *', '2024-03-09T00:00:00Z', 'America/New_York', '2024-03-09T07:30:00.000Z'],
    // 01:30 happens twice on 2024-11-03: once in EDT, once in EST.
    ['fall back first', '30 1 * * *', '2024-11-03T04:00:00Z', 'America/New_York', '2024-11-03T05:30:00.000Z'],
    ['fall back second', '30 1 * * *', '2024-11-03T05:30:00Z', 'America/New_York', '2024-11-03T06:30:00.000Z'],
    ['midnight in zone', '@daily', '2024-07-01T12:00:00Z', 'Europe/Berlin', '2024-07-01T22:00:00.000Z'],
    ['TZ prefix', 'TZ=Europe/Berlin 0 0 * * *', '2024-07-01T12:00:00Z', undefined, '2024-07-01T22:00:00.000Z'],
    ['@every', '@every 1h30m', '2024-01-01T00:00:10.500Z', undefined, '2024-01-01T01:30:10.000Z'],
  ];
  for (const [name, expr, after, tz, want] of cases) {
    test(name, () => assert.equal(next(expr, after, tz), want));
  }
});

describe('isKnownTimeZone', () => {
  const cases: [string, boolean][] = [
    ['America/New_York', true], ['UTC', true], ['Etc/UTC', true], ['US/Eastern', true],
    ['america/new_york', false], ['Mars/Olympus', false], ['Local', false], ['', false],
  ];
  for (const [zone, want] of cases) test(JSON.stringify(zone), () => assert.equal(isKnownTimeZone(zone), want));
});
