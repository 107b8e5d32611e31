import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../util/clock.js';
import { ControllerExpectations, EXPECTATIONS_TTL_MS, UIDTrackingExpectations } from './expectations.js';

test('expectations are satisfied when observed, absent, or expired', () => {
  const clock = new FakeClock();
  const e = new ControllerExpectations(clock);
  assert.equal(e.satisfied('ns/rs'), true, 'nothing recorded');
  e.expectCreations('ns/rs', 2);
  assert.equal(e.satisfied('ns/rs'), false);
  e.creationObserved('ns/rs');
  assert.equal(e.satisfied('ns/rs'), false);
  e.creationObserved('ns/rs');
  assert.equal(e.satisfied('ns/rs'), true);
  assert.deepEqual(e.get('ns/rs'), { add: 0, del: 0 });

  e.expectDeletions('ns/rs', 1);
  e.raise('ns/rs', 1, 0);
  assert.deepEqual(e.get('ns/rs'), { add: 1, del: 1 });
  clock.advance(EXPECTATIONS_TTL_MS);
  assert.equal(e.satisfied('ns/rs'), false, 'exactly at the TTL it still holds');
  clock.advance(1);
  assert.equal(e.satisfied('ns/rs'), true, 'expired');
  e.delete('ns/rs');
  assert.equal(e.get('ns/rs'), undefined);
});

test('UID tracking counts each deleted object once', () => {
  const e = new UIDTrackingExpectations(new FakeClock());
  e.expectDeletionsOf('ns/rs', ['ns/p1', 'ns/p2']);
  e.deletionObservedOf('ns/rs', 'ns/p1');
  e.deletionObservedOf('ns/rs', 'ns/p1');
  assert.equal(e.satisfied('ns/rs'), false);
  e.deletionObservedOf('ns/rs', 'ns/p2');
  assert.equal(e.satisfied('ns/rs'), true);
});
