import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIpv4Cidr } from '../../api/helpers/ipv4.js';
import { CidrSet } from './controller.js';

test('CIDR set hands out free /24s in order, skipping occupied, reusing released', () => {
  const s = new CidrSet(parseIpv4Cidr('10.42.0.0/22')!);
  s.occupy('10.42.1.0/24');
  s.occupy('192.168.0.0/24');
  assert.equal(s.allocateNext(), '10.42.0.0/24');
  assert.equal(s.allocateNext(), '10.42.2.0/24');
  assert.equal(s.allocateNext(), '10.42.3.0/24');
  assert.equal(s.allocateNext(), undefined);
  s.release('10.42.2.0/24');
  assert.equal(s.allocateNext(), '10.42.2.0/24');
});
