import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scaledValue } from './controller.js';

test('int-or-percent values scale and round up', () => {
  assert.equal(scaledValue(2, 10), 2);
  assert.equal(scaledValue('50%', 3), 2);
  assert.equal(scaledValue('10%', 5), 1);
  assert.equal(scaledValue(undefined, 5), 0);
});
