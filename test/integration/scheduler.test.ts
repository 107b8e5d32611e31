// The scheduler end to end: an in-process server (memory store, port 0) with its
// scheduler, nodes of different capacity, labels and taints registered through the
// client, and pods created with the real kubectl. Pods land where their nodeSelector,
// affinity and tolerations allow; an unschedulable pod says why (PodScheduled=False, a
// FailedScheduling event in `kubectl describe`); a high-priority pod preempts a
// lower-priority one.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runServer } from '../../src/cluster/server.js';
import { inProcessClient } from '../../src/cluster/controllers.js';
import type { Client } from '../../src/client/index.js';
import { eventually } from '../../src/client/testing/index.js';
import { finishDeletions, registerNode } from './support/scheduler-kubelet.js';

interface Run { code: number; stdout: string; stderr: string }

const pod = (name: string, spec: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: default
  labels: {app: ${name}}
spec:
${extra}  containers:
  - name: c
    image: registry.k8s.io/pause:3.10
${spec}`;

describe('scheduler with kubectl', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kite-sched-'));
  const ac = new AbortController();
  let serving: Promise<void> | undefined;
  let kubeconfig = '';
  let client!: Client;
  let kubelet: Promise<void> | undefined;

  const kubectl = (args: string[], stdin?: string): Promise<Run> => new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
  const ok = async (args: string[], stdin?: string): Promise<string> => {
    const r = await kubectl(args, stdin);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const nodeOf = async (name: string) => (await ok(['get', 'pod', name, '-o', 'jsonpath={.spec.nodeName}'])).trim();
  const waitNode = async (name: string) => {
    let n = '';
    await eventually(async () => !!(n = await nodeOf(name)), `pod ${name} to be scheduled`, 20_000);
    return n;
  };

  before(async () => {
    await new Promise<void>((resolve, reject) => {
      serving = runServer(
        { dataDir: join(dir, 'data'), bindAddress: '127.0.0.1', port: 0, writeKubeconfig: join(dir, 'kubeconfig'), store: 'memory', disableAgent: true },
        ac.signal,
        (s) => {
          kubeconfig = s.kubeconfigPath;
          client = inProcessClient(s.api, 'test-kubelet');
          resolve();
        },
      );
      serving.catch(reject);
    });
    await registerNode(client, { name: 'small', cpu: '2', memory: '4Gi', labels: { disk: 'ssd' } });
    await registerNode(client, { name: 'medium', cpu: '4', memory: '8Gi', labels: { disk: 'hdd', 'topology.kubernetes.io/zone': 'a' } });
    await registerNode(client, { name: 'gpu', cpu: '8', memory: '16Gi', labels: { disk: 'hdd' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    kubelet = finishDeletions(client, ac.signal);
  });

  after(async () => {
    ac.abort();
    await kubelet?.catch(() => undefined);
    await serving?.catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  test('nodeSelector, required node affinity and tolerations decide the node', async () => {
    await ok(['apply', '-f', '-'], [
      pod('on-ssd', '', '  nodeSelector: {disk: ssd}\n'),
      pod('on-hdd', '', `  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions: [{key: disk, operator: In, values: [hdd]}]
`),
      pod('on-gpu', '', `  tolerations: [{key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}]
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchFields: [{key: metadata.name, operator: In, values: [gpu]}]
`),
    ].join('---\n'));
    assert.equal(await waitNode('on-ssd'), 'small');
    assert.equal(await waitNode('on-hdd'), 'medium', 'the tainted hdd node is not tolerated');
    assert.equal(await waitNode('on-gpu'), 'gpu');
    const cond = await ok(['get', 'pod', 'on-gpu', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}']);
    assert.equal(cond, 'True');
    await eventually(async () => /Successfully assigned default\/on-gpu to gpu/.test(await ok(['describe', 'pod', 'on-gpu'])), 'the Scheduled event', 10_000);
  });

  test('an unschedulable pod reports PodScheduled=False and a FailedScheduling event', async () => {
    await ok(['apply', '-f', '-'], pod('too-big', '    resources: {requests: {cpu: "100"}}\n'));
    const want = '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. '
      + 'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.';
    await eventually(async () => (await ok(['get', 'pod', 'too-big', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].reason}'])) === 'Unschedulable', 'PodScheduled=False', 20_000);
    const msg = await ok(['get', 'pod', 'too-big', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}']);
    assert.equal(msg, want);
    await eventually(async () => {
      const d = await ok(['describe', 'pod', 'too-big']);
      return /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/3 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: gpu\}, 2 Insufficient cpu\./.test(d);
    }, 'the FailedScheduling event in describe', 10_000);
    // More capacity arrives: the pod is retried on the node event and lands.
    await registerNode(client, { name: 'huge', cpu: '128', memory: '256Gi' });
    assert.equal(await waitNode('too-big'), 'huge');
  });

  test('a higher-priority pod preempts a lower-priority one', async () => {
    await ok(['apply', '-f', '-'], 'apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n');
    await ok(['apply', '-f', '-'], pod('low', '    resources: {requests: {cpu: 1500m}}\n', '  nodeSelector: {disk: ssd}\n'));
    assert.equal(await waitNode('low'), 'small');
    await ok(['apply', '-f', '-'], pod('high', '    resources: {requests: {cpu: 1500m}}\n', '  priorityClassName: high\n  nodeSelector: {disk: ssd}\n'));
    assert.equal(await waitNode('high'), 'small');
    const gone = await kubectl(['get', 'pod', 'low']);
    assert.notEqual(gone.code, 0, 'the victim is deleted');
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=low', '-o', 'jsonpath={range .items[*]}{.reason}:{.message}{"\\n"}{end}']);
    assert.match(events, /Preempted:Preempted by pod [0-9a-f-]+ on node small/);
    assert.equal(await nodeOf('on-ssd'), 'small', 'a pod that does not need to go is spared');
  });
});
