import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fallbackPodCIDR, nodeAddress, PodAddresses, podRange, intToIpv4 } from './ipam.js';

test('pod ranges skip network, gateway and broadcast', () => {
  const r = podRange('10.42.3.0/24')!;
  assert.equal(intToIpv4(r.first), '10.42.3.2');
  assert.equal(intToIpv4(r.last), '10.42.3.254');
  assert.equal(intToIpv4(podRange('10.42.3.77/24')!.first), '10.42.3.2');
  assert.equal(podRange('fd00::/64'), undefined);
  assert.equal(podRange('10.0.0.0/31'), undefined);
});

test('node addresses and fallback CIDRs are distinct per index', () => {
  assert.equal(nodeAddress(0), '198.18.0.1');
  assert.equal(nodeAddress(255), '198.18.1.0');
  assert.equal(fallbackPodCIDR(0), '10.42.0.0/24');
  assert.equal(fallbackPodCIDR(255), '10.42.255.0/24');
  assert.equal(fallbackPodCIDR(256), '10.44.0.0/24');
  const cidrs = new Set(Array.from({ length: 5000 }, (_, i) => fallbackPodCIDR(i)));
  assert.equal(cidrs.size, 5000);
  assert.ok(![...cidrs].some((c) => c.startsWith('10.43.')));
});

test('addresses are unique while held and reused after release', () => {
  const a = new PodAddresses();
  const got = Array.from({ length: 253 }, () => a.allocate('10.42.0.0/24'));
  assert.equal(new Set(got).size, 253);
  assert.ok(got.every((ip) => ip && /^10\.42\.0\.(\d+)$/.test(ip)));
  assert.equal(a.allocate('10.42.0.0/24'), undefined);
  a.release('10.42.0.9');
  assert.equal(a.allocate('10.42.0.0/24'), '10.42.0.9');
  const b = new PodAddresses();
  b.reserve('10.42.1.2');
  assert.equal(b.allocate('10.42.1.0/24'), '10.42.1.3');
});
