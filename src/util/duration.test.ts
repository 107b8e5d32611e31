import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from './duration.js';

test('parseDuration reads Go durations', () => {
  const cases: [string, number][] = [['5s', 5000], ['1m', 60_000], ['500ms', 500], ['1m30s', 90_000], ['1.5h', 5_400_000], ['0', 0], ['250us', 0.25], ['2h3m4s5ms', 7_384_005]];
  for (const [s, ms] of cases) assert.equal(parseDuration(s), ms, s);
  for (const bad of ['', '5', 's', '5x', '-5s', '5 s', '1m30']) assert.throws(() => parseDuration(bad), /invalid duration/, bad);
});
