// Bad and edge-case input over raw HTTPS (the kubeconfig's admin client certificate):
// every failure is a metav1.Status with the upstream code and reason, and the server
// keeps serving. The server runs with a small watch window so 410 Expired is reachable.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type HttpResult, type KiteServer } from './helpers.js';

const WATCH_HISTORY = 20;
const CM = '/api/v1/namespaces/default/configmaps';

type Status = { kind: string; status: string; reason: string; code: number; message: string; details?: { causes?: { field?: string; message: string }[] } };

function status(r: HttpResult, code: number, reason: string): Status {
  assert.equal(r.status, code, r.body);
  const st = r.json() as Status;
  assert.equal(st.kind, 'Status', r.body);
  assert.equal(st.status, 'Failure');
  assert.equal(st.code, code);
  assert.equal(st.reason, reason);
  return st;
}

describe('bad input over HTTPS', () => {
  let s: KiteServer;
  const post = (path: string, body: unknown) => s.request('POST', path, { body: typeof body === 'string' ? body : JSON.stringify(body) });
  const alive = async () => assert.ok(await s.healthy(), `server alive; stderr:\n${s.stderr.slice(-2000)}`);

  before(async () => {
    s = await startServer({ env: { KITE_WATCH_HISTORY: String(WATCH_HISTORY) } });
  });
  after(async () => {
    await s?.cleanup();
  });

  test('a body over 3 MiB is 413', async () => {
    const big = JSON.stringify({ metadata: { name: 'huge' }, data: { x: 'a'.repeat(3 * 1024 * 1024 + 10) } });
    let r: HttpResult | undefined;
    try {
      r = await post(CM, big);
    } catch (err) {
      // The server may close the connection before reading everything; it must have answered first.
      assert.fail(`no 413 response before the connection closed: ${String(err)}`);
    }
    const st = status(r, 413, 'RequestEntityTooLarge');
    assert.match(st.message, /limit is 3145728/);
    await alive();
    assert.equal((await s.request('GET', `${CM}/huge`)).status, 404);
  });

  test('an object over the size limits is refused with a Status', async () => {
    // 2 MiB of data: over ConfigMap's 1 MiB validation limit and the store's 1.5 MiB object limit.
    const r = await post(CM, { metadata: { name: 'big' }, data: { x: 'a'.repeat(2 * 1024 * 1024) } });
    assert.ok(r.status >= 400 && r.status < 600, `error status, got ${r.status}`);
    const st = r.json() as Status;
    assert.equal(st.kind, 'Status');
    assert.equal(st.code, r.status);
    if (r.status === 422) assert.match(JSON.stringify(st.details?.causes), /Too long: may not be more than 1048576 bytes/);
    // Container args have no size validation, so only the 1.5 MiB object limit stops this one.
    const args = Array.from({ length: 8 }, () => 'b'.repeat(200 * 1024));
    const r2 = await s.request('POST', '/api/v1/namespaces/default/podtemplates', {
      body: JSON.stringify({ metadata: { name: 'big2' }, template: { spec: { containers: [{ name: 'c', image: 'busybox', args }] } } }),
    });
    const st2 = status(r2, 413, 'RequestEntityTooLarge');
    assert.match(st2.message, /too large/);
    await alive();
    assert.equal((await s.request('GET', `${CM}/big`)).status, 404);
    assert.equal((await s.request('GET', '/api/v1/namespaces/default/podtemplates/big2')).status, 404);
  });

  test('malformed JSON is 400 BadRequest', async () => {
    for (const body of ['{"metadata": {"name": "x"', 'not json at all', '[1,2,3]', '{"metadata": "x"}']) {
      const r = await post(CM, body);
      status(r, 400, 'BadRequest');
    }
    await alive();
  });

  test('a kind that does not match the URL is 400', async () => {
    const st = status(await post(CM, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'mismatch' } }), 400, 'BadRequest');
    assert.match(st.message, /Secret/);
    assert.match(st.message, /ConfigMap/);
    const st2 = status(await post(CM, { apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'mismatch' } }), 400, 'BadRequest');
    assert.match(st2.message, /apps\/v1/);
    const r = await s.request('PUT', `${CM}/one`, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other' } }) });
    status(r, 400, 'BadRequest');
    assert.equal((await s.request('GET', `${CM}/mismatch`)).status, 404);
  });

  test('no credentials is 401 Unauthorized', async () => {
    for (const [method, path] of [['GET', CM], ['GET', '/api/v1/namespaces'], ['POST', CM]] as const) {
      const r = await s.request(method, path, { anonymous: true, body: method === 'POST' ? '{"metadata":{"name":"anon"}}' : undefined });
      status(r, 401, 'Unauthorized');
    }
    const bad = await s.request('GET', CM, { anonymous: true, headers: { Authorization: 'Bearer not-a-token' } });
    status(bad, 401, 'Unauthorized');
  });

  test('invalid names are 422 Invalid with upstream messages', async () => {
    const cases: [string, unknown, string, RegExp][] = [
      [CM, { metadata: { name: 'Upper' } }, 'metadata.name', /a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters/],
      [CM, { metadata: { name: 'a'.repeat(254) } }, 'metadata.name', /must be no more than 253 characters/],
      [CM, { metadata: {} }, 'metadata.name', /name or generateName is required/],
      ['/api/v1/namespaces', { metadata: { name: 'has.dot' } }, 'metadata.name', /must not contain dots/],
      [CM, { metadata: { name: 'ok', labels: { 'bad key!': 'v' } } }, 'metadata.labels', /name part must consist of alphanumeric characters/],
    ];
    for (const [path, body, field, msg] of cases) {
      const st = status(await post(path, body), 422, 'Invalid');
      const causes = st.details?.causes?.filter((c) => c.field === field) ?? [];
      assert.equal(causes.length, 1, `one cause for ${field}: ${JSON.stringify(st)}`);
      assert.match(causes[0].message, msg);
    }
    const st = status(await post(CM, { metadata: { name: 'Upper' } }), 422, 'Invalid');
    assert.match(st.message, /^ConfigMap "Upper" is invalid: metadata\.name: Invalid value: "Upper": /);
  });

  test('a namespace name that is not a DNS label has one cause', async () => {
    const st = status(await post('/api/v1/namespaces', { metadata: { name: 'has_underscore' } }), 422, 'Invalid');
    const causes = st.details?.causes ?? [];
    assert.equal(causes.length, 1, JSON.stringify(st));
    assert.match(causes[0].message, /a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'/);
  });

  test('field selectors on unsupported fields are 400', async () => {
    const st = status(await s.request('GET', `${CM}?fieldSelector=spec.foo%3Dbar`), 400, 'BadRequest');
    assert.match(st.message, /spec\.foo/);
    status(await s.request('GET', `${CM}?fieldSelector=metadata.name%3D%3D%3D`), 400, 'BadRequest');
    status(await s.request('GET', `${CM}?labelSelector=a%20in%20(`), 400, 'BadRequest');
    assert.equal((await s.request('GET', `${CM}?fieldSelector=metadata.name%3Dnone`)).status, 200);
  });

  test('list paging with limit/continue is a consistent snapshot', async () => {
    assert.equal((await post('/api/v1/namespaces', { metadata: { name: 'paging' } })).status, 201);
    // Secrets: unlike configmaps, no controller adds any to a new namespace.
    const path = '/api/v1/namespaces/paging/secrets';
    const names = Array.from({ length: 25 }, (_, i) => `p-${String(i).padStart(2, '0')}`);
    for (const n of names) assert.equal((await post(path, { metadata: { name: n } })).status, 201);

    type List = { metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number }; items: { metadata: { name: string } }[] };
    const pages: List[] = [];
    let cont = '';
    do {
      const r = await s.request('GET', `${path}?limit=10${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
      assert.equal(r.status, 200, r.body);
      const page = r.json() as List;
      pages.push(page);
      if (pages.length === 1) {
        // Changes after the first page must not show up in the following pages.
        assert.equal((await post(path, { metadata: { name: 'p-05a' } })).status, 201);
        assert.equal((await s.request('DELETE', `${path}/p-20`)).status, 200);
      }
      cont = page.metadata.continue ?? '';
    } while (cont && pages.length < 10);
    assert.deepEqual(pages.map((p) => p.items.length), [10, 10, 5]);
    assert.deepEqual(pages.flatMap((p) => p.items.map((i) => i.metadata.name)), names);
    assert.equal(new Set(pages.map((p) => p.metadata.resourceVersion)).size, 1, 'every page is served at the first page\'s resourceVersion');
    assert.equal(pages[0].metadata.remainingItemCount, 15);
    assert.equal(pages[2].metadata.continue ?? '', '');

    const garbage = await s.request('GET', `${path}?limit=10&continue=garbage`);
    status(garbage, 400, 'BadRequest');
  });

  test('a watch from a resourceVersion older than the window gets ERROR 410 and ends', async () => {
    const first = (await post(CM, { metadata: { name: 'w-0' } })).json() as { metadata: { resourceVersion: string } };
    for (let i = 1; i <= WATCH_HISTORY * 2; i++) assert.equal((await post(CM, { metadata: { name: `w-${i}` } })).status, 201);

    const r = await s.request('GET', `${CM}?watch=true&resourceVersion=${first.metadata.resourceVersion}`);
    assert.equal(r.status, 200, r.body);
    const events = r.body.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: Status });
    assert.equal(events.length, 1, r.body);
    assert.equal(events[0].type, 'ERROR');
    assert.equal(events[0].object.code, 410);
    assert.equal(events[0].object.reason, 'Expired');
    assert.match(events[0].object.message, new RegExp(`^too old resource version: ${first.metadata.resourceVersion} \\(\\d+\\)$`));

    // A recent resourceVersion still resumes: exactly the changes after it.
    const recent = (await s.request('GET', `${CM}/w-${WATCH_HISTORY * 2 - 2}`)).json() as { metadata: { resourceVersion: string } };
    const w = await s.request('GET', `${CM}?watch=true&resourceVersion=${recent.metadata.resourceVersion}&timeoutSeconds=1`);
    const got = w.body.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string } } });
    assert.deepEqual(got.map((e) => `${e.type} ${e.object.metadata.name}`), [`ADDED w-${WATCH_HISTORY * 2 - 1}`, `ADDED w-${WATCH_HISTORY * 2}`]);

    // A list at a too-old resourceVersion with resourceVersionMatch=Exact is also 410.
    const old = await s.request('GET', `${CM}?resourceVersion=${first.metadata.resourceVersion}&resourceVersionMatch=Exact`);
    assert.ok(old.status === 410 || old.status === 200, `410 Expired or a served list, got ${old.status}`);
    await alive();
  });

  test('aggregated discovery only for clients that accept v2', async () => {
    const v2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
    const v2beta1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';
    const agg = await s.request('GET', '/apis', { headers: { Accept: `${v2},${v2beta1},application/json` } });
    assert.equal(agg.headers['content-type'], v2);
    assert.equal(agg.json().kind, 'APIGroupDiscoveryList');
    // kubectl <= 1.29 offers only v2beta1 and cannot read v2: it gets the legacy list.
    const legacy = await s.request('GET', '/apis', { headers: { Accept: `${v2beta1},application/json` } });
    assert.equal(legacy.headers['content-type'], 'application/json');
    assert.equal(legacy.json().kind, 'APIGroupList');
  });

  test('other protocol errors: 404, 405, 415', async () => {
    status(await s.request('GET', '/api/v1/namespaces/default/nosuchresources'), 404, 'NotFound');
    status(await s.request('GET', '/apis/nosuch.example.com/v1/things'), 404, 'NotFound');
    const bad = await s.request('POST', CM, { body: 'a: b', headers: { 'Content-Type': 'text/plain' } });
    status(bad, 415, 'UnsupportedMediaType');
    const patch = await s.request('PATCH', `${CM}/w-1`, { body: '{}', headers: { 'Content-Type': 'application/xml' } });
    status(patch, 415, 'UnsupportedMediaType');
    status(await s.request('PUT', CM, { body: '{}' }), 405, 'MethodNotAllowed');
    status(await s.request('PATCH', CM, { body: '{}', headers: { 'Content-Type': 'application/merge-patch+json' } }), 405, 'MethodNotAllowed');
    status(await s.request('POST', `${CM}/w-1`, { body: '{}' }), 405, 'MethodNotAllowed');
    await alive();
  });
});
