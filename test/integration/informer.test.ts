// @kubernetes/client-node 1.4.0 informers against an in-process API server (memory store,
// port 0): list + watch, add/update/delete callbacks carrying the right objects, the
// informer's cache, label-selector transitions, and stop.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { runServer, type RunningServer } from '../../src/cluster/server.js';

interface Seen {
  verb: string;
  name: string;
  data?: Record<string, string>;
  labels?: Record<string, string>;
  rv?: string;
}

async function until<T>(fn: () => T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function record(informer: k8s.Informer<k8s.V1ConfigMap>, into: Seen[]): void {
  for (const verb of [k8s.ADD, k8s.UPDATE, k8s.DELETE] as const) {
    informer.on(verb, (o) => into.push({ verb, name: o.metadata?.name ?? '', data: o.data, labels: o.metadata?.labels, rv: o.metadata?.resourceVersion }));
  }
}

describe('client-node informer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kite-informer-'));
  const ac = new AbortController();
  let serving: Promise<void>;
  let kc: k8s.KubeConfig;
  let api: k8s.CoreV1Api;

  before(async () => {
    const ready = new Promise<RunningServer>((resolve, reject) => {
      serving = runServer({ dataDir: join(dir, 'data'), bindAddress: '127.0.0.1', port: 0, writeKubeconfig: join(dir, 'kubeconfig'), store: 'memory', disableAgent: true }, ac.signal, resolve);
      serving.catch(reject);
    });
    await ready;
    kc = new k8s.KubeConfig();
    kc.loadFromFile(join(dir, 'kubeconfig'));
    api = kc.makeApiClient(k8s.CoreV1Api);
  });

  after(async () => {
    ac.abort();
    await serving;
    rmSync(dir, { recursive: true, force: true });
  });

  test('add, update and delete callbacks fire with the right objects', async () => {
    await api.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'pre' }, data: { a: '0' } } });
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => api.listNamespacedConfigMap({ namespace: 'default' }));
    const seen: Seen[] = [];
    const errors: unknown[] = [];
    record(informer, seen);
    informer.on(k8s.ERROR, (e) => errors.push(e));
    await informer.start();
    try {
      await until(() => seen.find((e) => e.verb === 'add' && e.name === 'pre'), 10_000, 'add of the pre-existing ConfigMap');

      const created = await api.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'inf-1', labels: { x: 'y' } }, data: { a: '1' } } });
      const add = await until(() => seen.find((e) => e.verb === 'add' && e.name === 'inf-1'), 10_000, 'add of inf-1');
      assert.deepEqual(add.data, { a: '1' });
      assert.deepEqual(add.labels, { x: 'y' });
      assert.equal(add.rv, created.metadata?.resourceVersion);

      const replaced = await api.replaceNamespacedConfigMap({ name: 'inf-1', namespace: 'default', body: { ...created, data: { a: '2', b: '3' } } });
      const upd = await until(() => seen.find((e) => e.verb === 'update' && e.name === 'inf-1'), 10_000, 'update of inf-1');
      assert.deepEqual(upd.data, { a: '2', b: '3' });
      assert.equal(upd.rv, replaced.metadata?.resourceVersion);
      assert.deepEqual(informer.get('inf-1', 'default')?.data, { a: '2', b: '3' }, 'the informer cache holds the new state');

      await api.deleteNamespacedConfigMap({ name: 'inf-1', namespace: 'default' });
      const del = await until(() => seen.find((e) => e.verb === 'delete' && e.name === 'inf-1'), 10_000, 'delete of inf-1');
      assert.deepEqual(del.data, { a: '2', b: '3' }, 'DELETED carries the last state');
      assert.equal(informer.get('inf-1', 'default'), undefined);
      // kube-root-ca.crt is published into every namespace by the controller manager.
      assert.deepEqual(informer.list('default').map((o) => o.metadata?.name).filter((n) => n !== 'kube-root-ca.crt').sort(), ['pre']);

      assert.deepEqual(seen.filter((e) => e.name === 'inf-1').map((e) => e.verb), ['add', 'update', 'delete'], 'each change seen exactly once');
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
    // Once stopped, no more callbacks.
    const count = seen.length;
    await api.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after-stop' } } });
    const probe = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => api.listNamespacedConfigMap({ namespace: 'default' }));
    const probeSeen: Seen[] = [];
    record(probe, probeSeen);
    await probe.start();
    try {
      await until(() => probeSeen.find((e) => e.name === 'after-stop'), 10_000, 'a fresh informer to see after-stop');
    } finally {
      await probe.stop();
    }
    assert.equal(seen.length, count, 'the stopped informer saw nothing more');
  });

  test('a label-selector informer sees objects enter and leave the selector', async () => {
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => api.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'team=a' }), 'team=a');
    const seen: Seen[] = [];
    record(informer, seen);
    await informer.start();
    try {
      await api.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'sel-b', labels: { team: 'b' } } } });
      await api.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'sel-a', labels: { team: 'a' } } } });
      await until(() => seen.find((e) => e.verb === 'add' && e.name === 'sel-a'), 10_000, 'add of sel-a');

      const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
      await api.patchNamespacedConfigMap({ name: 'sel-b', namespace: 'default', body: { metadata: { labels: { team: 'a' } } } }, merge);
      await until(() => seen.find((e) => e.verb === 'add' && e.name === 'sel-b'), 10_000, 'sel-b entering the selector (ADDED)');
      await api.patchNamespacedConfigMap({ name: 'sel-a', namespace: 'default', body: { metadata: { labels: { team: 'c' } } } }, merge);
      const left = await until(() => seen.find((e) => e.verb === 'delete' && e.name === 'sel-a'), 10_000, 'sel-a leaving the selector (DELETED)');
      assert.deepEqual(left.labels, { team: 'a' }, 'DELETED carries the last state that matched');
      assert.deepEqual(informer.list('default').map((o) => o.metadata?.name), ['sel-b']);
    } finally {
      await informer.stop();
    }
  });
});
