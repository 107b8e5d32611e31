import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { intToIpv4, ipv4ToInt, parseIpv4Cidr } from './ipv4.js';
import { noExecuteTolerationSeconds, toleratesTaint } from './taints.js';
import { findPort } from './pods.js';
import { formatResourceList, objectUsage, podQuotaConstraints } from './quota.js';

const pod = (containers: Pod['spec'] extends infer S ? S extends { containers: infer C } ? C : never : never, phase = 'Running'): Pod => ({ spec: { containers }, status: { phase } });

describe('api helpers', () => {
  test('ipv4 round trips and CIDRs', () => {
    assert.equal(intToIpv4(ipv4ToInt('10.43.255.254')!), '10.43.255.254');
    assert.equal(ipv4ToInt('::1'), undefined);
    assert.deepEqual(parseIpv4Cidr('10.42.7.9/16'), { base: ipv4ToInt('10.42.0.0'), prefixLength: 16, size: 65536 });
  });

  test('toleration matching and NoExecute time', () => {
    const taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
    assert.ok(toleratesTaint({ operator: 'Exists' }, taint));
    assert.ok(!toleratesTaint({ key: 'x', operator: 'Exists' }, taint));
    assert.ok(!toleratesTaint({ key: taint.key, value: 'v', effect: 'NoExecute' }, taint));
    assert.equal(noExecuteTolerationSeconds([], [taint]), 0);
    assert.equal(noExecuteTolerationSeconds([{ key: taint.key, operator: 'Exists' }], [taint]), undefined);
    assert.equal(noExecuteTolerationSeconds([{ key: taint.key, operator: 'Exists', tolerationSeconds: 30 }, { operator: 'Exists', tolerationSeconds: 10 }], [taint]), 10);
  });

  test('findPort resolves names by protocol', () => {
    const p = pod([{ name: 'c', ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 5353 }] }]);
    assert.equal(findPort(p, { port: 53, targetPort: 'dns', protocol: 'UDP' }), 53);
    assert.equal(findPort(p, { port: 53, targetPort: 'dns', protocol: 'TCP' }), undefined);
    assert.equal(findPort(p, { port: 80, targetPort: 8080 }), 8080);
    assert.equal(findPort(p, { port: 80 }), 80);
  });

  test('pod quota usage and constraints', () => {
    const p = pod([{ name: 'a', resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1' } } }, { name: 'b', resources: { requests: { cpu: '400m' } } }]);
    const u = objectUsage('', 'pods', p, Date.now());
    assert.equal(formatResourceList(u), 'count/pods=1,cpu=500m,limits.cpu=1,memory=64Mi,pods=1,requests.cpu=500m,requests.memory=64Mi');
    assert.equal(objectUsage('', 'pods', pod([], 'Succeeded'), Date.now()).size, 0);
    assert.equal(podQuotaConstraints(p, ['limits.cpu', 'requests.memory', 'pods']), 'must specify limits.cpu for: b; requests.memory for: b');
    assert.equal(formatResourceList(objectUsage('apps', 'deployments', {}, 0)), 'count/deployments.apps=1');
  });
});
