// DaemonSet, StatefulSet, Job and CronJob controllers against an in-process API server,
// driven with the real kubectl. A fake kubelet (support/workloads-kubelet.ts) registers
// nodes, binds pods and moves them through their phases.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { runServer, type RunningServer } from '../../src/cluster/server.js';
import { WorkloadsKubelet } from './support/workloads-kubelet.js';

interface Item { metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[]; ownerReferences?: { kind: string; name: string }[] }; spec?: Record<string, unknown>; status?: Record<string, unknown> }

async function until<T>(fn: () => Promise<T | undefined | false>, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('workload controllers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kite-workloads-'));
  const ac = new AbortController();
  let serving: Promise<void>;
  let kubeconfig: string;
  let kubelet: WorkloadsKubelet;
  let kubeletRun: Promise<void>;

  const kubectl = (args: string[], input?: string): Promise<string> => new Promise((resolve, reject) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 90_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin!.end(input);
  });
  const getJson = async <T = Item>(...args: string[]): Promise<T> => JSON.parse(await kubectl(['get', ...args, '-o', 'json'])) as T;
  const list = async (...args: string[]) => (await getJson<{ items: Item[] }>(...args)).items;
  const exists = async (...args: string[]) => (await kubectl(['get', ...args, '--ignore-not-found', '-o', 'name'])).trim() !== '';

  before(async () => {
    const ready = new Promise<RunningServer>((resolve, reject) => {
      serving = runServer({ dataDir: join(dir, 'data'), bindAddress: '127.0.0.1', port: 0, writeKubeconfig: join(dir, 'kubeconfig'), store: 'memory', disableAgent: true }, ac.signal, resolve);
      serving.catch(reject);
    });
    kubeconfig = (await ready).kubeconfigPath;
    kubelet = new WorkloadsKubelet(kubeconfig);
    kubelet.fate = (p: Pod) => {
      const l = p.metadata?.labels ?? {};
      if (l.fate === 'hold') return 'hold';
      if (l.fate === 'succeed') return 'succeed';
      if (l.fate === 'fail') return 'fail';
      return 'ready';
    };
    await kubelet.addNode('n1');
    await kubelet.addNode('n2');
    await kubelet.addNode('n3', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    kubeletRun = kubelet.run(ac.signal);
  });

  after(async () => {
    ac.abort();
    await Promise.all([serving, kubeletRun]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('DaemonSet: a pod per eligible node, new nodes get one, rollout status and rolling update', async () => {
    await kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } } },
    }));
    const podNodes = async () => (await list('pods', '-l', 'app=agent')).map((p) => p.spec?.nodeName as string).sort();
    await until(async () => (await podNodes()).join() === 'n1,n2', 'daemon pods on n1 and n2');
    await kubectl(['rollout', 'status', 'ds/agent', '--timeout=30s']);
    const pod = (await list('pods', '-l', 'app=agent'))[0];
    assert.ok(pod.metadata.labels?.['controller-revision-hash']);
    assert.equal(pod.metadata.labels?.['pod-template-generation'], '1');
    const tolerations = (pod.spec?.tolerations as { key: string }[]).map((t) => t.key);
    assert.ok(tolerations.includes('node.kubernetes.io/not-ready') && tolerations.includes('node.kubernetes.io/unschedulable'));

    await kubelet.addNode('n4');
    await until(async () => (await podNodes()).join() === 'n1,n2,n4', 'a daemon pod on the new node n4');
    await until(async () => (await getJson('ds', 'agent')).status?.numberAvailable === 3, 'three available');

    await kubectl(['set', 'image', 'ds/agent', 'c=busybox:2']);
    await kubectl(['rollout', 'status', 'ds/agent', '--timeout=60s']);
    const pods = await list('pods', '-l', 'app=agent');
    assert.equal(pods.length, 3);
    assert.ok(pods.every((p) => (p.spec?.containers as { image: string }[])[0].image === 'busybox:2'));
    const revs = await list('controllerrevisions', '-l', 'app=agent');
    assert.deepEqual(revs.map((r) => (r as unknown as { revision: number }).revision).sort(), [1, 2]);
    const status = (await getJson('ds', 'agent')).status!;
    assert.equal(status.desiredNumberScheduled, 3);
    assert.equal(status.updatedNumberScheduled, 3);
  });

  test('StatefulSet: ordered creation waits for readiness, PVCs per ordinal, scale down from the top', async () => {
    await kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: 'default' },
      spec: {
        serviceName: 'web', replicas: 2, selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web', fate: 'hold' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
        volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    }));
    await until(() => exists('pod', 'web-0'), 'web-0');
    // The controller has seen web-0 (status counts it) and still must not create web-1.
    await until(async () => (await getJson('sts', 'web')).status?.replicas === 1, 'status.replicas 1');
    assert.equal(await exists('pod', 'web-1'), false);
    const web0 = await getJson('pod', 'web-0');
    assert.equal(web0.spec?.hostname, 'web-0');
    assert.equal(web0.spec?.subdomain, 'web');
    assert.equal(web0.metadata.labels?.['statefulset.kubernetes.io/pod-name'], 'web-0');
    assert.equal(web0.metadata.labels?.['apps.kubernetes.io/pod-index'], '0');
    assert.match(web0.metadata.labels?.['controller-revision-hash'] ?? '', /^web-/);
    assert.deepEqual((web0.spec?.volumes as { name: string; persistentVolumeClaim?: { claimName: string } }[]).find((v) => v.name === 'www')?.persistentVolumeClaim, { claimName: 'www-web-0' });
    assert.ok(await exists('pvc', 'www-web-0'));

    await until(async () => (await getJson('pod', 'web-0')).spec?.nodeName, 'web-0 bound');
    await kubelet.setReady('default', 'web-0');
    await until(() => exists('pod', 'web-1'), 'web-1 after web-0 is ready');
    await until(async () => (await getJson('pod', 'web-1')).spec?.nodeName, 'web-1 bound');
    await kubelet.setReady('default', 'web-1');
    await kubectl(['rollout', 'status', 'sts/web', '--timeout=30s']);
    assert.ok(await exists('pvc', 'www-web-1'));
    const status = (await getJson('sts', 'web')).status!;
    assert.equal(status.readyReplicas, 2);
    assert.equal(status.currentRevision, status.updateRevision);

    await kubectl(['scale', 'sts/web', '--replicas=1']);
    await until(async () => !(await exists('pod', 'web-1')), 'web-1 removed');
    assert.ok(await exists('pod', 'web-0'));
    assert.ok(await exists('pvc', 'www-web-1'), 'claims are retained on scale-down by default');
    await until(async () => (await getJson('sts', 'web')).status?.replicas === 1, 'status.replicas back to 1');
  });

  test('Job: completions=3 parallelism=2 completes; kubectl wait --for=condition=complete', async () => {
    await kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'calc', namespace: 'default' },
      spec: { completions: 3, parallelism: 2, template: { metadata: { labels: { fate: 'succeed' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    }));
    await kubectl(['wait', '--for=condition=complete', 'job/calc', '--timeout=60s']);
    const job = await getJson('job', 'calc');
    assert.equal(job.status?.succeeded, 3);
    assert.ok(job.status?.completionTime);
    const conds = (job.status?.conditions as { type: string; reason: string }[]).map((c) => `${c.type}:${c.reason}`);
    assert.deepEqual(conds, ['SuccessCriteriaMet:CompletionsReached', 'Complete:CompletionsReached']);
    const pods = await list('pods', '-l', 'batch.kubernetes.io/job-name=calc');
    assert.equal(pods.length, 3);
    assert.ok(pods.every((p) => !p.metadata.finalizers?.includes('batch.kubernetes.io/job-tracking')), 'tracking finalizers removed');
    const events = await list('events', '--field-selector', 'involvedObject.name=calc');
    assert.ok(events.some((e) => (e as unknown as { reason: string }).reason === 'Completed'));
    assert.ok(events.some((e) => (e as unknown as { reason: string }).reason === 'SuccessfulCreate'));
  });

  test('Job: a failure beyond backoffLimit fails it with BackoffLimitExceeded', async () => {
    await kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'doomed', namespace: 'default' },
      spec: { backoffLimit: 0, template: { metadata: { labels: { fate: 'fail' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    }));
    await kubectl(['wait', '--for=condition=failed', 'job/doomed', '--timeout=60s']);
    const job = await getJson('job', 'doomed');
    const failed = (job.status?.conditions as { type: string; reason: string; message: string }[]).find((c) => c.type === 'Failed')!;
    assert.equal(failed.reason, 'BackoffLimitExceeded');
    assert.equal(failed.message, 'Job has reached the specified backoff limit');
    assert.equal(job.status?.failed, 1);
  });

  test('Job: Indexed completion mode', async () => {
    await kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'idx', namespace: 'default' },
      spec: { completions: 3, parallelism: 3, completionMode: 'Indexed', template: { metadata: { labels: { fate: 'succeed' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    }));
    await kubectl(['wait', '--for=condition=complete', 'job/idx', '--timeout=60s']);
    const job = await getJson('job', 'idx');
    assert.equal(job.status?.completedIndexes, '0-2');
    const pods = await list('pods', '-l', 'batch.kubernetes.io/job-name=idx');
    const indexes = pods.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).sort();
    assert.deepEqual(indexes, ['0', '1', '2']);
    for (const p of pods) {
      const i = p.metadata.annotations!['batch.kubernetes.io/job-completion-index'];
      assert.equal(p.spec?.hostname, `idx-${i}`);
      assert.equal(p.metadata.labels?.['batch.kubernetes.io/job-completion-index'], i);
      const env = (p.spec?.containers as { env?: { name: string }[] }[])[0].env ?? [];
      assert.ok(env.some((e) => e.name === 'JOB_COMPLETION_INDEX'));
    }
  });

  test('CronJob: kubectl create job --from=cronjob, and suspend', async () => {
    await kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly', namespace: 'default' },
      spec: { schedule: '0 3 * * *', jobTemplate: { metadata: { labels: { team: 'a' } }, spec: { template: { metadata: { labels: { fate: 'succeed' } }, spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } } },
    }));
    await kubectl(['create', 'job', '--from=cronjob/nightly', 'nightly-manual']);
    await kubectl(['wait', '--for=condition=complete', 'job/nightly-manual', '--timeout=60s']);
    const job = await getJson('job', 'nightly-manual');
    assert.equal(job.metadata.ownerReferences?.[0]?.kind, 'CronJob');
    await kubectl(['patch', 'cronjob/nightly', '-p', '{"spec":{"suspend":true}}']);
    assert.equal((await getJson('cronjob', 'nightly')).spec?.suspend, true);
    assert.equal((await list('jobs')).filter((j) => j.metadata.ownerReferences?.[0]?.name === 'nightly').length, 1);
  });
});
