import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { stringify } from 'yaml';
import { ApiError, isNotFound } from './errors.js';
import { HttpTransport, connectionFromKubeconfig, loadKubeconfig } from './http.js';
import { decodeWatchEvents, FunctionTransport, untilAborted, type WatchEvent } from './transport.js';

async function* chunks(...parts: (string | Buffer)[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield Buffer.isBuffer(p) ? p : Buffer.from(p);
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('watch decoding', () => {
  test('reassembles events across chunk boundaries, including inside a UTF-8 character', async () => {
    const line = Buffer.from('{"type":"ADDED","object":{"name":"é€"}}\n{"type":"DELETED","object":{"n":1}}');
    const cut = line.indexOf(0x82); // inside the 3-byte '€'
    const evs = await all(decodeWatchEvents(chunks(line.subarray(0, cut), line.subarray(cut, cut + 20), line.subarray(cut + 20))));
    assert.deepEqual(evs, [{ type: 'ADDED', object: { name: 'é€' } }, { type: 'DELETED', object: { n: 1 } }]);
  });

  test('several events in one chunk, blank lines ignored', async () => {
    const evs = await all(decodeWatchEvents(chunks('{"type":"ADDED","object":{}}\n\n{"type":"MODIFIED","object":{}}\n')));
    assert.deepEqual(evs.map((e) => e.type), ['ADDED', 'MODIFIED']);
  });

  test('untilAborted ends quietly when the signal aborts while the source is parked', async () => {
    const ac = new AbortController();
    async function* never(): AsyncIterable<number> { yield 1; await new Promise(() => undefined); }
    const got: number[] = [];
    const done = (async () => { for await (const x of untilAborted(never(), ac.signal)) got.push(x); })();
    await new Promise((r) => setImmediate(r));
    ac.abort();
    await done;
    assert.deepEqual(got, [1]);
  });

  test('untilAborted holds no memory per step on a long iteration (a watch runs for hours)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const ac = new AbortController();
    async function* many(n: number): AsyncIterable<number> { for (let i = 0; i < n; i++) yield i; }
    const heapAfter = async (n: number) => {
      for await (const _ of untilAborted(many(n), ac.signal)) { /* drain */ }
      gc();
      return process.memoryUsage().heapUsed;
    };
    // The signal lives on across iterations, as a watch's does across its events.
    const base = await heapAfter(1000);
    const after = await heapAfter(200_000);
    // Racing every step against the signal's one promise kept ~150 bytes per step (30 MB here).
    assert.ok(after - base < 8 * 2 ** 20, `heap grew ${((after - base) / 2 ** 20).toFixed(1)} MiB over 200k steps`);
  });

  test('a non-2xx watch answer throws ApiError with the Status', async () => {
    const t = new FunctionTransport(async () => ({ status: 404, headers: {}, body: Buffer.from(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'nope' })) }));
    await assert.rejects(all(t.stream({ method: 'GET', path: '/api/v1/pods' })), (e: unknown) => e instanceof ApiError && isNotFound(e) && e.message === 'nope');
  });
});

describe('HttpTransport', () => {
  test('sends the bearer token, query and body; streams a watch until aborted', async () => {
    const seen: { url?: string; auth?: string; body: string }[] = [];
    const server = createServer(async (req: IncomingMessage, res) => {
      let body = '';
      for await (const c of req) body += c;
      seen.push({ url: req.url, auth: req.headers.authorization, body });
      if (req.url?.includes('watch=true')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"type":"ADDED","obj');
        res.write('ect":{"a":1}}\n');
        return; // left open: the client aborts
      }
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'kite-client-'));
    try {
      const path = join(dir, 'config');
      writeFileSync(join(dir, 'token'), 'secret\n');
      writeFileSync(path, stringify({
        clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}/` } }],
        users: [{ name: 'u', user: { tokenFile: 'token' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u', namespace: 'kube-system' } }],
        'current-context': 'x',
      }));
      const cfg = loadKubeconfig(path);
      assert.equal(cfg.users?.[0].user.tokenFile, join(dir, 'token'));
      assert.equal(connectionFromKubeconfig(cfg).namespace, 'kube-system');
      const t = HttpTransport.fromKubeconfig(path);
      const res = await t.request({ method: 'POST', path: '/api/v1/namespaces/a/pods', query: { dryRun: 'All', skip: undefined }, body: { x: 1 } });
      assert.equal(res.status, 201);
      assert.deepEqual(JSON.parse(res.body.toString()), { ok: true });
      assert.deepEqual(seen[0], { url: '/api/v1/namespaces/a/pods?dryRun=All', auth: 'Bearer secret', body: '{"x":1}' });

      const ac = new AbortController();
      const evs: WatchEvent[] = [];
      for await (const ev of t.stream({ method: 'GET', path: '/api/v1/pods', query: { watch: true }, signal: ac.signal })) {
        evs.push(ev);
        ac.abort();
      }
      assert.deepEqual(evs, [{ type: 'ADDED', object: { a: 1 } }]);
      t.close();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('kubeconfig with inline credentials', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const c = connectionFromKubeconfig({
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64('CA') } }],
      users: [{ name: 'u', user: { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    }, 'x');
    assert.equal(c.ca?.toString(), 'CA');
    assert.equal(c.cert?.toString(), 'CERT');
    assert.equal(c.key?.toString(), 'KEY');
    assert.equal(c.namespace, 'default');
    assert.throws(() => connectionFromKubeconfig({}, 'missing'), /context "missing" not found/);
  });
});
