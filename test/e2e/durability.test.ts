// Durability of the sqlite store through the built server: every write the API server
// acknowledged survives a `kill -9`, and a SIGTERM stop followed by a restart on the same
// data dir serves the same objects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer, waitFor, type KiteServer } from './helpers.js';

const IN_FLIGHT = 32;

/** Creates ConfigMaps from IN_FLIGHT concurrent workers until one fails; returns the acknowledged names. */
function createLoop(s: KiteServer, prefix: string) {
  const acked: string[] = [];
  const failures: string[] = [];
  let stop = false;
  const worker = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const name = `${prefix}-${w}-${i}`;
      try {
        const r = await s.request('POST', '/api/v1/namespaces/default/configmaps', { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { w: String(w), i: String(i) } }) });
        if (r.status !== 201) {
          failures.push(`${name}: ${r.status} ${r.body}`);
          return;
        }
        acked.push(name);
      } catch {
        return; // the server went away: this request was never acknowledged
      }
    }
  };
  const done = Promise.all(Array.from({ length: IN_FLIGHT }, (_, w) => worker(w)));
  return { acked, failures, done, halt: () => (stop = true) };
}

async function missingOf(s: KiteServer, names: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (let i = 0; i < names.length; i += IN_FLIGHT) {
    const batch = names.slice(i, i + IN_FLIGHT);
    const rs = await Promise.all(batch.map((n) => s.request('GET', `/api/v1/namespaces/default/configmaps/${n}`)));
    rs.forEach((r, j) => r.status !== 200 && missing.push(`${batch[j]}: ${r.status}`));
  }
  return missing;
}

test('acknowledged creates survive kill -9 of a sqlite server', async () => {
  let s = await startServer({ store: 'sqlite' });
  try {
    const loop = createLoop(s, 'crash');
    await waitFor(() => loop.acked.length >= 300 || loop.failures.length > 0, 60_000, '300 acknowledged creates');
    assert.deepEqual(loop.failures, []);
    await s.kill9();
    await loop.done;
    const acked = [...loop.acked];
    assert.ok(acked.length >= 300, `${acked.length} acknowledged`);

    s = await startServer({ store: 'sqlite', dir: s.dir });
    assert.deepEqual(await missingOf(s, acked), [], `every acknowledged object survives (${acked.length} acknowledged)`);
    const list = (await s.request('GET', '/api/v1/namespaces/default/configmaps')).json() as { metadata: { resourceVersion: string }; items: { metadata: { name: string; resourceVersion: string } }[] };
    const listed = new Set(list.items.map((i) => i.metadata.name));
    assert.deepEqual(acked.filter((n) => !listed.has(n)), [], 'the list agrees with the gets');

    // The store still takes writes after recovery, and resourceVersions keep increasing.
    const r = await s.request('POST', '/api/v1/namespaces/default/configmaps', { body: JSON.stringify({ metadata: { name: 'after-crash' } }) });
    assert.equal(r.status, 201, r.body);
    const rv = Number((r.json() as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
    const highest = Math.max(...list.items.map((i) => Number(i.metadata.resourceVersion)));
    assert.ok(rv > highest && rv > Number(list.metadata.resourceVersion), `new resourceVersion ${rv} after ${highest}`);
  } finally {
    await s.cleanup();
  }
});

test('SIGTERM stops cleanly and a restart serves the same objects', async () => {
  let s = await startServer({ store: 'sqlite' });
  try {
    const loop = createLoop(s, 'term');
    await waitFor(() => loop.acked.length >= 100 || loop.failures.length > 0, 60_000, '100 acknowledged creates');
    loop.halt();
    await loop.done;
    assert.deepEqual(loop.failures, []);
    const before = (await s.request('GET', '/api/v1/namespaces/default/configmaps')).json() as { items: { metadata: { name: string; uid: string; resourceVersion: string } }[] };

    const code = await s.stop({ keep: true });
    assert.equal(code, 0, `clean exit code; stderr:\n${s.stderr}`);
    assert.match(s.stderr, /SIGTERM received/);

    s = await startServer({ store: 'sqlite', dir: s.dir });
    const after = (await s.request('GET', '/api/v1/namespaces/default/configmaps')).json() as typeof before;
    const key = (i: (typeof before.items)[number]) => `${i.metadata.name} ${i.metadata.uid} ${i.metadata.resourceVersion}`;
    assert.deepEqual(after.items.map(key).sort(), before.items.map(key).sort());
    assert.ok(after.items.length >= loop.acked.length);
  } finally {
    await s.cleanup();
  }
});
