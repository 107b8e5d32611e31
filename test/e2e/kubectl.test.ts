// Everyday kubectl work against `kite server`, driven by the real kubectl (1.32, which
// sends protobuf bodies for typed writes) and a subset with kubectl 1.28 (JSON bodies).
// One server serves the whole file; tests run in order and build on each other's objects.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test, type TestContext } from 'node:test';
import { killChild, servedResources, startServer, waitFor, type ExecResult, type KiteServer, type KubectlOptions } from './helpers.js';

const NS = 'e2e';
const KUBECTL_OLD = '/usr/lib/google-cloud-sdk/bin/kubectl.1.28';

/** Parsed kubectl or API JSON output: a boundary, read loosely by the assertions. */
type Json = Record<string, any>;

/** Manifest documents, each with the resource kubectl must serve for it. */
const DOCS: { resource: string; line: string; yaml: string }[] = [
  { resource: 'namespaces', line: `namespace/${NS}`, yaml: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS}\n` },
  { resource: 'configmaps', line: 'configmap/app-config', yaml: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: ${NS}\n  labels: {app: web}\ndata:\n  mode: prod\n  level: info\n` },
  { resource: 'secrets', line: 'secret/app-secret', yaml: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-secret\n  namespace: ${NS}\ntype: Opaque\ndata:\n  password: czNjcmV0\n` },
  { resource: 'serviceaccounts', line: 'serviceaccount/app-sa', yaml: `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app-sa\n  namespace: ${NS}\n` },
  { resource: 'services', line: 'service/web', yaml: `apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: ${NS}\nspec:\n  selector: {app: web}\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n` },
  {
    resource: 'deployments.apps', line: 'deployment.apps/web',
    yaml: `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: ${NS}\n  labels: {app: web}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        env:\n        - {name: A, value: "1"}\n        - {name: B, value: "2"}\n        ports:\n        - containerPort: 8080\n`,
  },
  {
    resource: 'jobs.batch', line: 'job.batch/once',
    yaml: `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: once\n  namespace: ${NS}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        image: busybox\n        command: [echo, hi]\n`,
  },
  {
    resource: 'cronjobs.batch', line: 'cronjob.batch/nightly',
    yaml: `apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\n  namespace: ${NS}\nspec:\n  schedule: "0 3 * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n          - name: main\n            image: busybox\n`,
  },
  { resource: 'roles.rbac.authorization.k8s.io', line: 'role.rbac.authorization.k8s.io/reader', yaml: `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: reader\n  namespace: ${NS}\nrules:\n- apiGroups: [""]\n  resources: [configmaps]\n  verbs: [get, list]\n` },
  {
    resource: 'rolebindings.rbac.authorization.k8s.io', line: 'rolebinding.rbac.authorization.k8s.io/reader',
    yaml: `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: reader\n  namespace: ${NS}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: reader\nsubjects:\n- kind: ServiceAccount\n  name: app-sa\n  namespace: ${NS}\n`,
  },
  {
    resource: 'ingresses.networking.k8s.io', line: 'ingress.networking.k8s.io/web',
    yaml: `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: ${NS}\nspec:\n  rules:\n  - host: web.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service: {name: web, port: {number: 80}}\n`,
  },
  { resource: 'poddisruptionbudgets.policy', line: 'poddisruptionbudget.policy/web', yaml: `apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n  namespace: ${NS}\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels: {app: web}\n` },
  {
    resource: 'networkpolicies.networking.k8s.io', line: 'networkpolicy.networking.k8s.io/deny-all',
    yaml: `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny-all\n  namespace: ${NS}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n`,
  },
  { resource: 'priorityclasses.scheduling.k8s.io', line: 'priorityclass.scheduling.k8s.io/e2e-high', yaml: `apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: e2e-high\nvalue: 100000\ndescription: e2e\n` },
];

/** api-resources rows the issue requires: NAME SHORTNAMES APIVERSION NAMESPACED KIND. */
const EXPECTED_RESOURCES = [
  'configmaps cm v1 true ConfigMap',
  'namespaces ns v1 false Namespace',
  'pods po v1 true Pod',
  'secrets v1 true Secret',
  'services svc v1 true Service',
  'serviceaccounts sa v1 true ServiceAccount',
  'deployments deploy apps/v1 true Deployment',
  'replicasets rs apps/v1 true ReplicaSet',
  'jobs batch/v1 true Job',
  'cronjobs cj batch/v1 true CronJob',
  'ingresses ing networking.k8s.io/v1 true Ingress',
  'networkpolicies netpol networking.k8s.io/v1 true NetworkPolicy',
  'poddisruptionbudgets pdb policy/v1 true PodDisruptionBudget',
  'roles rbac.authorization.k8s.io/v1 true Role',
  'rolebindings rbac.authorization.k8s.io/v1 true RoleBinding',
  'priorityclasses pc scheduling.k8s.io/v1 false PriorityClass',
  'selfsubjectaccessreviews authorization.k8s.io/v1 false SelfSubjectAccessReview',
];

describe('kubectl against kite server', () => {
  let s: KiteServer;
  let served: Set<string>;
  const k = (args: string[], o?: KubectlOptions): Promise<ExecResult> => s.kubectl(args, o);
  const getJson = async (args: string[]): Promise<Json> => JSON.parse((await k(['get', ...args, '-o', 'json'])).stdout) as Json;
  /** Skips the test (printing why) unless every resource is served. */
  const needs = (t: TestContext, ...resources: string[]): boolean => {
    const missing = resources.filter((r) => !served.has(r));
    if (missing.length) t.skip(`not served yet: ${missing.join(', ')}`);
    return missing.length === 0;
  };
  const headers = (out: string): string[] => out.split('\n')[0].trim().split(/\s+/);
  const manifest = () => DOCS.filter((d) => served.has(d.resource));

  before(async () => {
    s = await startServer();
    served = await servedResources(s);
  });
  after(async () => {
    await s?.cleanup();
  });

  test('api-resources lists the served kinds with upstream rows', async () => {
    const out = (await k(['api-resources', '--no-headers'])).stdout;
    const rows = new Set(out.split('\n').map((l) => l.trim().split(/\s+/).join(' ')));
    const missing = EXPECTED_RESOURCES.filter((r) => !rows.has(r));
    assert.deepEqual(missing, [], `rows missing from kubectl api-resources:\n${out}`);
    assert.equal(headers((await k(['api-resources'])).stdout).join(' '), 'NAME SHORTNAMES APIVERSION NAMESPACED KIND');
  });

  test('apply a multi-document manifest: created, then unchanged, then configured', async (t) => {
    const docs = manifest();
    const skipped = DOCS.filter((d) => !docs.includes(d)).map((d) => d.resource);
    if (skipped.length) t.diagnostic(`documents left out (resource not served): ${skipped.join(', ')}`);
    const yaml = docs.map((d) => d.yaml).join('---\n');
    const first = await k(['apply', '-f', '-'], { input: yaml });
    assert.deepEqual(first.stdout.trim().split('\n'), docs.map((d) => `${d.line} created`));
    const second = await k(['apply', '-f', '-'], { input: yaml });
    // A PodDisruptionBudget's selector has patch strategy "replace", so kubectl's 3-way
    // patch is never empty and upstream reports it configured on every apply.
    const again = (d: (typeof DOCS)[number]) => (d.resource === 'poddisruptionbudgets.policy' ? 'configured' : 'unchanged');
    assert.deepEqual(second.stdout.trim().split('\n'), docs.map((d) => `${d.line} ${again(d)}`));
    const changed = yaml.replace('level: info', 'level: debug');
    const third = await k(['apply', '-f', '-'], { input: changed });
    assert.deepEqual(third.stdout.trim().split('\n'), docs.map((d) => `${d.line} ${d.resource === 'configmaps' ? 'configured' : again(d)}`));
    const cm = await getJson(['cm', 'app-config', '-n', NS]);
    assert.deepEqual(cm.data, { mode: 'prod', level: 'debug' });
    assert.ok(cm.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'].includes('"debug"'));
    const secret = await getJson(['secret', 'app-secret', '-n', NS]);
    assert.equal(Buffer.from(secret.data.password, 'base64').toString(), 's3cret');
  });

  test('apply changes a deployment with a strategic merge patch (env entry removed, image changed)', async (t) => {
    if (!needs(t, 'deployments.apps')) return;
    const doc = DOCS.find((d) => d.resource === 'deployments.apps')!.yaml.replace('nginx:1.27', 'nginx:1.28').replace('        - {name: B, value: "2"}\n', '');
    assert.equal((await k(['apply', '-f', '-'], { input: doc })).stdout.trim(), 'deployment.apps/web configured');
    const d = await getJson(['deploy', 'web', '-n', NS]);
    const c = d.spec.template.spec.containers;
    assert.equal(c.length, 1);
    assert.equal(c[0].image, 'nginx:1.28');
    assert.deepEqual(c[0].env, [{ name: 'A', value: '1' }]);
    assert.deepEqual(c[0].ports.map((p: Json) => p.containerPort), [8080]);
    assert.equal(d.metadata.generation, 2, 'a template change bumps generation');
  });

  test('get prints upstream table columns', async (t) => {
    const svc = await k(['get', 'svc', '-n', NS]);
    assert.deepEqual(headers(svc.stdout), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    assert.match(svc.stdout, /^web\s+ClusterIP\s+\S+\s+<none>\s+80\/TCP\s+\d+s$/m);
    assert.deepEqual(headers((await k(['get', 'svc', '-n', NS, '-o', 'wide'])).stdout), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR']);
    assert.match((await k(['get', 'svc', '-n', NS, '-o', 'wide'])).stdout, /\sapp=web$/m);
    assert.deepEqual(headers((await k(['get', 'ns'])).stdout), ['NAME', 'STATUS', 'AGE']);
    assert.match((await k(['get', 'ns', NS])).stdout, new RegExp(`^${NS}\\s+Active\\s+\\d+s$`, 'm'));
    assert.deepEqual(headers((await k(['get', 'cm', '-n', NS])).stdout), ['NAME', 'DATA', 'AGE']);
    assert.match((await k(['get', 'cm', 'app-config', '-n', NS])).stdout, /^app-config\s+2\s+\d+s$/m);
    assert.match((await k(['get', 'secret', 'app-secret', '-n', NS])).stdout, /^app-secret\s+Opaque\s+1\s+\d+s$/m);
    // -A adds NAMESPACE from the row metadata; --show-labels reads the row's labels.
    assert.match((await k(['get', 'cm', '-A'])).stdout, new RegExp(`^${NS}\\s+app-config\\s`, 'm'));
    assert.match((await k(['get', 'cm', 'app-config', '-n', NS, '--show-labels'])).stdout, /\sapp=web$/m);
    if (!needs(t, 'deployments.apps')) return;
    const dep = await k(['get', 'deploy', '-n', NS]);
    assert.deepEqual(headers(dep.stdout), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    assert.match(dep.stdout, /^web\s+\d+\/2\s+\d+\s+\d+\s+\d+s$/m);
    const wide = await k(['get', 'deploy', '-n', NS, '-o', 'wide']);
    assert.deepEqual(headers(wide.stdout), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    assert.match(wide.stdout, /\sweb\s+nginx:1\.28\s+app=web$/m);
  });

  test('services get a cluster IP from the service CIDR', async () => {
    for (const name of ['web']) {
      const svc = await getJson(['svc', name, '-n', NS]);
      assert.match(svc.spec.clusterIP ?? '', /^10\.43\.\d+\.\d+$/, `${name}: spec.clusterIP`);
      assert.deepEqual(svc.spec.clusterIPs, [svc.spec.clusterIP]);
      assert.match((await k(['get', 'svc', name, '-n', NS])).stdout, /^web\s+ClusterIP\s+10\.43\.\d+\.\d+\s/m);
    }
    const ips = (await getJson(['svc', '-A'])).items.map((i: Json) => i.spec.clusterIP);
    assert.equal(new Set(ips).size, ips.length, `cluster IPs are unique: ${ips.join(',')}`);
  });

  test('get -o json, yaml, jsonpath, name', async () => {
    const list = await getJson(['cm', '-n', NS]);
    assert.equal(list.kind, 'List');
    assert.ok(list.items.some((i: Json) => i.metadata.name === 'app-config' && i.kind === 'ConfigMap' && i.apiVersion === 'v1'));
    const yaml = (await k(['get', 'cm', 'app-config', '-n', NS, '-o', 'yaml'])).stdout;
    assert.match(yaml, /^apiVersion: v1$/m);
    assert.match(yaml, /^kind: ConfigMap$/m);
    assert.match(yaml, /^ {2}mode: prod$/m);
    assert.match(yaml, /^ {2}resourceVersion: "\d+"$/m);
    assert.match(yaml, /^ {2}uid: [0-9a-f-]{36}$/m);
    const jp = await k(['get', 'cm', 'app-config', '-n', NS, '-o', 'jsonpath={.data.mode}/{.metadata.namespace}']);
    assert.equal(jp.stdout, `prod/${NS}`);
    const names = (await k(['get', 'cm,svc', '-n', NS, '-o', 'name'])).stdout.trim().split('\n');
    assert.ok(names.includes('configmap/app-config') && names.includes('service/web'), names.join(','));
  });

  test('get all lists the "all" category', async (t) => {
    const out = (await k(['get', 'all', '-n', NS])).stdout;
    assert.match(out, /^service\/web\s/m);
    assert.doesNotMatch(out, /configmap/);
    if (!needs(t, 'deployments.apps', 'cronjobs.batch', 'jobs.batch')) return;
    assert.match(out, /^deployment\.apps\/web\s/m);
    assert.match(out, /^job\.batch\/once\s/m);
    assert.match(out, /^cronjob\.batch\/nightly\s/m);
  });

  test('describe namespace, configmap and deployment', async (t) => {
    const ns = (await k(['describe', 'ns', NS])).stdout;
    assert.match(ns, new RegExp(`^Name:\\s+${NS}$`, 'm'));
    assert.match(ns, /^Status:\s+Active$/m);
    assert.match(ns, /No resource quota\./);
    const cm = (await k(['describe', 'cm', 'app-config', '-n', NS])).stdout;
    assert.match(cm, /^Name:\s+app-config$/m);
    assert.match(cm, new RegExp(`^Namespace:\\s+${NS}$`, 'm'));
    assert.match(cm, /^Labels:\s+app=web$/m);
    assert.match(cm, /^mode:\n----\nprod$/m);
    if (!needs(t, 'deployments.apps')) return;
    const d = (await k(['describe', 'deploy', 'web', '-n', NS])).stdout;
    assert.match(d, /^Name:\s+web$/m);
    assert.match(d, /^Selector:\s+app=web$/m);
    assert.match(d, /^Replicas:\s+2 desired/m);
    assert.match(d, /^StrategyType:\s+RollingUpdate$/m);
    assert.match(d, /^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
    assert.match(d, /^\s+Image:\s+nginx:1\.28$/m);
  });

  test('patch: strategic (default), merge and json', async () => {
    await k(['create', 'configmap', 'patchme', '-n', NS, '--from-literal=a=1']);
    assert.equal((await k(['patch', 'cm', 'patchme', '-n', NS, '-p', '{"data":{"b":"2"}}'])).stdout.trim(), 'configmap/patchme patched');
    await k(['patch', 'cm', 'patchme', '-n', NS, '--type=merge', '-p', '{"data":{"a":null,"c":"3"}}']);
    await k(['patch', 'cm', 'patchme', '-n', NS, '--type=json', '-p', '[{"op":"replace","path":"/data/b","value":"20"},{"op":"add","path":"/data/d","value":"4"}]']);
    assert.deepEqual((await getJson(['cm', 'patchme', '-n', NS])).data, { b: '20', c: '3', d: '4' });
    const noop = await k(['patch', 'cm', 'patchme', '-n', NS, '-p', '{"data":{"b":"20"}}']);
    assert.equal(noop.stdout.trim(), 'configmap/patchme patched (no change)');
    const bad = await k(['patch', 'cm', 'patchme', '-n', NS, '--type=json', '-p', '[{"op":"test","path":"/data/b","value":"nope"}]'], { allowFail: true });
    assert.notEqual(bad.code, 0);
    // Upstream answers a failed JSON patch op with a generic 422 (no causes).
    assert.equal(bad.stderr.trim(), 'The request is invalid: the server rejected our request due to an error in our request');
  });

  test('label and annotate, including removal with key-', async () => {
    assert.equal((await k(['label', 'cm', 'patchme', '-n', NS, 'tier=backend', 'team=core'])).stdout.trim(), 'configmap/patchme labeled');
    await k(['annotate', 'cm', 'patchme', '-n', NS, 'note=hello']);
    let cm = await getJson(['cm', 'patchme', '-n', NS]);
    assert.deepEqual(cm.metadata.labels, { tier: 'backend', team: 'core' });
    assert.equal(cm.metadata.annotations.note, 'hello');
    const clash = await k(['label', 'cm', 'patchme', '-n', NS, 'tier=frontend'], { allowFail: true });
    assert.notEqual(clash.code, 0, 'relabeling needs --overwrite');
    await k(['label', 'cm', 'patchme', '-n', NS, 'tier=frontend', '--overwrite']);
    assert.equal((await k(['label', 'cm', 'patchme', '-n', NS, 'team-'])).stdout.trim(), 'configmap/patchme unlabeled');
    await k(['annotate', 'cm', 'patchme', '-n', NS, 'note-']);
    cm = await getJson(['cm', 'patchme', '-n', NS]);
    assert.deepEqual(cm.metadata.labels, { tier: 'frontend' });
    assert.equal(cm.metadata.annotations?.note, undefined);
    assert.match((await k(['get', 'cm', '-n', NS, '-l', 'tier=frontend', '-o', 'name'])).stdout, /^configmap\/patchme$/m);
    assert.equal((await k(['get', 'cm', '-n', NS, '-l', 'tier!=frontend,tier', '-o', 'name'])).stdout.trim(), '');
  });

  test('scale a deployment: spec.replicas changes and generation bumps', async (t) => {
    if (!needs(t, 'deployments.apps')) return;
    const before = await getJson(['deploy', 'web', '-n', NS]);
    assert.equal((await k(['scale', 'deploy', 'web', '-n', NS, '--replicas=3'])).stdout.trim(), 'deployment.apps/web scaled');
    const afterScale = await getJson(['deploy', 'web', '-n', NS]);
    assert.equal(afterScale.spec.replicas, 3);
    assert.ok(afterScale.metadata.generation > before.metadata.generation, 'generation bumped');
    const stale = await k(['scale', 'deploy', 'web', '-n', NS, '--replicas=1', '--current-replicas=2'], { allowFail: true });
    assert.notEqual(stale.code, 0, '--current-replicas precondition must fail');
    assert.equal((await getJson(['deploy', 'web', '-n', NS])).spec.replicas, 3);
  });

  test('get -w streams changes', async () => {
    const w = s.spawnKubectl(['get', 'cm', '-n', NS, '-w']);
    try {
      await waitFor(() => /^app-config\s/m.test(w.out()), 15_000, 'the initial rows of get -w');
      await k(['create', 'configmap', 'watched', '-n', NS, '--from-literal=x=1']);
      await waitFor(() => /^watched\s+1\s/m.test(w.out()), 15_000, `"watched" to appear in get -w output:\n${w.out()}`);
      await k(['patch', 'cm', 'watched', '-n', NS, '-p', '{"data":{"y":"2"}}']);
      await waitFor(() => /^watched\s+2\s/m.test(w.out()), 15_000, `the modification to appear in get -w output:\n${w.out()}`);
      assert.ok(w.exitCode === null, `get -w must keep running: ${w.out()}`);
    } finally {
      await killChild(w);
    }
  });

  test('explain reads the OpenAPI schema', async (t) => {
    const cm = (await k(['explain', 'configmap.data'])).stdout;
    assert.match(cm, /^KIND:\s+ConfigMap$/m);
    assert.match(cm, /^FIELD:\s+data <map\[string\]string>$/m);
    if (!needs(t, 'deployments.apps')) return;
    const out = (await k(['explain', 'deployment.spec.strategy'])).stdout;
    assert.match(out, /^GROUP:\s+apps$/m);
    assert.match(out, /^KIND:\s+Deployment$/m);
    assert.match(out, /^FIELD:\s+strategy <DeploymentStrategy>$/m);
    assert.match(out, /^\s+rollingUpdate\s+<RollingUpdateDeployment>$/m);
  });

  test('apply --server-side creates and updates', async (t) => {
    const doc = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: ${NS}\ndata:\n  k: ${v}\n`;
    assert.equal((await k(['apply', '--server-side', '-f', '-'], { input: doc('one') })).stdout.trim(), 'configmap/ssa serverside-applied');
    assert.equal((await k(['apply', '--server-side', '-f', '-'], { input: doc('two') })).stdout.trim(), 'configmap/ssa serverside-applied');
    assert.deepEqual((await getJson(['cm', 'ssa', '-n', NS])).data, { k: 'two' });
    const yaml = (await k(['get', 'cm', 'ssa', '-n', NS, '-o', 'yaml', '--show-managed-fields'])).stdout;
    if (!/managedFields:/.test(yaml)) {
      t.diagnostic('managedFields are not implemented: skipped the --show-managed-fields check');
      return;
    }
    assert.match(yaml, /manager: kubectl$/m);
    assert.match(yaml, /operation: Apply$/m);
  });

  test('create subcommands (protobuf bodies from kubectl 1.32)', async (t) => {
    const ok = async (args: string[], line: string) => assert.equal((await k(['create', ...args])).stdout.trim(), line);
    await ok(['namespace', 'e2e-pb'], 'namespace/e2e-pb created');
    await ok(['configmap', 'cm-pb', '-n', 'e2e-pb', '--from-literal=a=1', '--from-literal=b=two'], 'configmap/cm-pb created');
    assert.deepEqual((await getJson(['cm', 'cm-pb', '-n', 'e2e-pb'])).data, { a: '1', b: 'two' });
    await ok(['secret', 'generic', 's-pb', '-n', 'e2e-pb', '--from-literal=k=v'], 'secret/s-pb created');
    const sec = await getJson(['secret', 's-pb', '-n', 'e2e-pb']);
    assert.equal(sec.data.k, 'dg==');
    assert.equal(sec.type, 'Opaque');
    await ok(['service', 'clusterip', 'svc-pb', '-n', 'e2e-pb', '--tcp=80:8080'], 'service/svc-pb created');
    const svc = await getJson(['svc', 'svc-pb', '-n', 'e2e-pb']);
    assert.deepEqual(svc.spec.ports.map((p: Json) => [p.port, p.targetPort, p.protocol]), [[80, 8080, 'TCP']]);
    assert.equal(svc.spec.type, 'ClusterIP');
    await ok(['serviceaccount', 'sa-pb', '-n', 'e2e-pb'], 'serviceaccount/sa-pb created');
    const token = (await k(['create', 'token', 'sa-pb', '-n', 'e2e-pb'])).stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT');
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Json;
    assert.equal(claims.sub, 'system:serviceaccount:e2e-pb:sa-pb');
    const missing: string[] = [];
    if (served.has('deployments.apps')) {
      await ok(['deployment', 'd-pb', '-n', 'e2e-pb', '--image=nginx:1.27', '--replicas=2'], 'deployment.apps/d-pb created');
      const d = await getJson(['deploy', 'd-pb', '-n', 'e2e-pb']);
      assert.equal(d.spec.replicas, 2);
      assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.27');
      assert.deepEqual(d.spec.selector.matchLabels, { app: 'd-pb' });
    } else missing.push('deployments');
    if (served.has('jobs.batch')) {
      await ok(['job', 'j-pb', '-n', 'e2e-pb', '--image=busybox', '--', 'echo', 'hi'], 'job.batch/j-pb created');
      assert.deepEqual((await getJson(['job', 'j-pb', '-n', 'e2e-pb'])).spec.template.spec.containers[0].command, ['echo', 'hi']);
    } else missing.push('jobs');
    if (served.has('roles.rbac.authorization.k8s.io')) {
      await ok(['role', 'r-pb', '-n', 'e2e-pb', '--verb=get,list', '--resource=pods'], 'role.rbac.authorization.k8s.io/r-pb created');
      assert.deepEqual((await getJson(['role', 'r-pb', '-n', 'e2e-pb'])).rules, [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]);
    } else missing.push('roles');
    if (served.has('priorityclasses.scheduling.k8s.io')) {
      await ok(['priorityclass', 'pc-pb', '--value=1000', '--description=pb'], 'priorityclass.scheduling.k8s.io/pc-pb created');
      assert.equal((await getJson(['pc', 'pc-pb'])).value, 1000);
    } else missing.push('priorityclasses');
    if (missing.length) t.diagnostic(`skipped (not served yet): ${missing.join(', ')}`);
  });

  test('auth can-i and auth whoami', async () => {
    assert.equal((await k(['auth', 'can-i', 'create', 'pods'])).stdout.trim(), 'yes');
    assert.equal((await k(['auth', 'can-i', 'delete', 'configmaps', '-n', NS])).stdout.trim(), 'yes');
    const who = (await k(['auth', 'whoami'])).stdout;
    assert.match(who, /^Username\s+kite-admin$/m);
    assert.match(who, /^Groups\s+\[.*system:masters.*\]$/m);
  });

  test('errors carry upstream reasons and messages', async () => {
    const fail = async (args: string[], input?: string) => {
      const r = await k(args, { allowFail: true, input });
      assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should fail`);
      return r.stderr.trim();
    };
    assert.equal(await fail(['get', 'cm', 'nosuch', '-n', NS]), 'Error from server (NotFound): configmaps "nosuch" not found');
    assert.equal(await fail(['get', 'ns', 'nosuch']), 'Error from server (NotFound): namespaces "nosuch" not found');
    assert.equal(await fail(['create', 'configmap', 'app-config', '-n', NS]), 'error: failed to create configmap: configmaps "app-config" already exists');
    assert.equal(
      await fail(['create', '-f', '-'], `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: ${NS}\n`),
      'Error from server (AlreadyExists): error when creating "STDIN": configmaps "app-config" already exists',
    );
    assert.equal(
      await fail(['create', '-f', '-'], `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n  namespace: ${NS}\n`),
      'The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
    );
    assert.equal(await fail(['create', 'configmap', 'x', '-n', 'no-such-ns']), 'error: failed to create configmap: namespaces "no-such-ns" not found');

    // A replace carrying a stale resourceVersion conflicts.
    const cm = await getJson(['cm', 'patchme', '-n', NS]);
    await k(['patch', 'cm', 'patchme', '-n', NS, '-p', '{"data":{"bump":"1"}}']);
    cm.data.other = 'x';
    assert.equal(
      await fail(['replace', '-f', '-'], JSON.stringify(cm)),
      'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on configmaps "patchme": the object has been modified; please apply your changes to the latest version and try again',
    );

    const unknown = await fail(['apply', '--validate=strict', '-f', '-'], `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\n  namespace: ${NS}\nbogusField: 1\ndata: {a: b}\n`);
    assert.match(unknown, /unknown field "bogusField"/);
    assert.match((await k(['get', 'cm', 'strict', '-n', NS], { allowFail: true })).stderr, /NotFound/);

    const malformed = await fail(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [unclosed\n');
    assert.match(malformed, /error/i);
    assert.ok(await s.healthy(), 'server still healthy');
    assert.equal((await k(['get', 'cm', 'app-config', '-n', NS, '-o', 'name'])).stdout.trim(), 'configmap/app-config');
  });

  test('--dry-run=server validates but does not persist', async () => {
    assert.equal((await k(['create', 'configmap', 'dry', '-n', NS, '--from-literal=a=b', '--dry-run=server', '-o', 'name'])).stdout.trim(), 'configmap/dry');
    assert.equal((await k(['apply', '--dry-run=server', '-f', '-'], { input: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dry2\n  namespace: ${NS}\n` })).stdout.trim(), 'configmap/dry2 created (server dry run)');
    await k(['label', 'cm', 'app-config', '-n', NS, 'dry=run', '--dry-run=server']);
    for (const name of ['dry', 'dry2']) assert.match((await k(['get', 'cm', name, '-n', NS], { allowFail: true })).stderr, /NotFound/);
    assert.equal((await getJson(['cm', 'app-config', '-n', NS])).metadata.labels.dry, undefined);
    const invalid = await k(['create', 'configmap', 'Bad', '-n', NS, '--dry-run=server'], { allowFail: true });
    assert.match(invalid.stderr, /is invalid/);
  });

  test('kubectl diff shows server-side changes and exit codes', async () => {
    const doc = (level: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: ${NS}\n  labels: {app: web}\ndata:\n  mode: prod\n  level: ${level}\n`;
    const same = await k(['diff', '-f', '-'], { input: doc('debug'), allowFail: true });
    assert.equal(same.code, 0, `no diff expected: ${same.stdout}${same.stderr}`);
    const changed = await k(['diff', '-f', '-'], { input: doc('trace'), allowFail: true });
    assert.equal(changed.code, 1, changed.stderr);
    assert.match(changed.stdout, /^-\s+level: debug$/m);
    assert.match(changed.stdout, /^\+\s+level: trace$/m);
    const added = await k(['diff', '-f', '-'], { input: doc('x').replace('app-config', 'not-yet'), allowFail: true });
    assert.equal(added.code, 1);
    assert.match(added.stdout, /^\+\s+name: not-yet$/m);
    assert.equal((await getJson(['cm', 'app-config', '-n', NS])).data.level, 'debug', 'diff did not persist');
  });

  test('create -f: stringData is folded into data', async () => {
    const doc = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: strdata\n  namespace: ${NS}\ndata:\n  a: YQ==\nstringData:\n  a: override\n  b: bee\n`;
    assert.equal((await k(['create', '-f', '-'], { input: doc })).stdout.trim(), 'secret/strdata created');
    const sec = await getJson(['secret', 'strdata', '-n', NS]);
    assert.deepEqual(sec.data, { a: Buffer.from('override').toString('base64'), b: Buffer.from('bee').toString('base64') });
    assert.equal(sec.stringData, undefined);
  });

  test('create -f with generateName', async () => {
    const doc = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: gen-\n  namespace: ${NS}\n`;
    const a = (await k(['create', '-f', '-'], { input: doc })).stdout.trim();
    const b = (await k(['create', '-f', '-'], { input: doc })).stdout.trim();
    assert.match(a, /^configmap\/gen-[a-z0-9]{5} created$/);
    assert.match(b, /^configmap\/gen-[a-z0-9]{5} created$/);
    assert.notEqual(a, b);
    assert.equal((await k(['get', a.split(' ')[0], '-n', NS, '-o', 'name'])).stdout.trim(), a.split(' ')[0]);
  });

  test('delete: default, and --cascade=orphan|foreground leave a finalizer', async (t) => {
    assert.equal((await k(['delete', 'cm', 'patchme', '-n', NS])).stdout.trim(), 'configmap "patchme" deleted');
    assert.match((await k(['get', 'cm', 'patchme', '-n', NS], { allowFail: true })).stderr, /NotFound/);
    assert.equal((await k(['delete', 'cm', 'nosuch', '-n', NS], { allowFail: true })).stderr.trim(), 'Error from server (NotFound): configmaps "nosuch" not found');
    assert.equal((await k(['delete', 'cm', 'nosuch', '-n', NS, '--ignore-not-found'])).stdout.trim(), '');

    // Without a garbage collector the API only marks the object: deletionTimestamp plus
    // the policy's finalizer, which the collector removes once dependents are handled.
    const mark = async (name: string, policy: string, finalizer: string) => {
      await k(['create', 'configmap', name, '-n', NS]);
      const r = await s.request('DELETE', `/api/v1/namespaces/${NS}/configmaps/${name}`, { body: JSON.stringify({ propagationPolicy: policy }) });
      assert.equal(r.status, 200, r.body);
      const o = r.json() as Json;
      assert.ok(o.metadata.deletionTimestamp, `deletionTimestamp set: ${r.body}`);
      assert.ok(o.metadata.finalizers?.includes(finalizer), `finalizer ${finalizer}: ${r.body}`);
    };
    await mark('orphan-me', 'Orphan', 'orphan');
    await mark('fg-me', 'Foreground', 'foregroundDeletion');
    if (!needs(t, 'deployments.apps')) return;
    await k(['create', 'deployment', 'orph', '-n', NS, '--image=nginx']);
    assert.equal((await k(['delete', 'deploy', 'orph', '-n', NS, '--cascade=orphan', '--wait=false'])).stdout.trim(), 'deployment.apps "orph" deleted');
    await k(['create', 'deployment', 'fg', '-n', NS, '--image=nginx']);
    assert.equal((await k(['delete', 'deploy', 'fg', '-n', NS, '--cascade=foreground', '--wait=false'])).stdout.trim(), 'deployment.apps "fg" deleted');
    // Either the collector already finished, or the object waits on its finalizer.
    for (const [name, fin] of [['orph', 'orphan'], ['fg', 'foregroundDeletion']]) {
      const r = await k(['get', 'deploy', name, '-n', NS, '-o', 'json'], { allowFail: true });
      if (r.code !== 0) assert.match(r.stderr, /NotFound/);
      else {
        const o = JSON.parse(r.stdout) as Json;
        assert.ok(o.metadata.deletionTimestamp && o.metadata.finalizers?.includes(fin), r.stdout);
      }
    }
  });

  test('a subset with kubectl 1.28 (JSON request bodies)', async (t) => {
    if (!existsSync(KUBECTL_OLD)) {
      t.skip(`${KUBECTL_OLD} is not installed`);
      return;
    }
    const old = (args: string[], o: KubectlOptions = {}) => k(args, { ...o, bin: KUBECTL_OLD });
    assert.equal((await old(['create', 'namespace', 'e2e-old'])).stdout.trim(), 'namespace/e2e-old created');
    assert.equal((await old(['create', 'configmap', 'c', '-n', 'e2e-old', '--from-literal=a=1'])).stdout.trim(), 'configmap/c created');
    assert.equal((await old(['create', 'secret', 'generic', 's', '-n', 'e2e-old', '--from-literal=k=v'])).stdout.trim(), 'secret/s created');
    assert.equal((await old(['auth', 'can-i', 'list', 'secrets'])).stdout.trim(), 'yes');
    if (served.has('deployments.apps')) {
      assert.equal((await old(['create', 'deployment', 'd', '-n', 'e2e-old', '--image=nginx', '--replicas=2'])).stdout.trim(), 'deployment.apps/d created');
      assert.equal((await getJson(['deploy', 'd', '-n', 'e2e-old'])).spec.replicas, 2);
    }
    const doc = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: e2e-old\ndata: {a: "1"}\n`;
    // kubectl 1.28 reads /openapi/v2 (protobuf) for apply: validation and patch metadata.
    assert.equal((await old(['apply', '-f', '-'], { input: doc })).stdout.trim(), 'configmap/applied created');
    assert.equal((await old(['apply', '-f', '-'], { input: doc.replace('"1"', '"2"') })).stdout.trim(), 'configmap/applied configured');
    assert.match((await old(['get', 'cm', '-n', 'e2e-old'])).stdout, /^applied\s+1\s+\d+s$/m);
    assert.equal((await old(['get', 'cm', 'nosuch', '-n', 'e2e-old'], { allowFail: true })).stderr.trim(), 'Error from server (NotFound): configmaps "nosuch" not found');
    assert.equal((await old(['delete', 'cm', 'applied', '-n', 'e2e-old'])).stdout.trim(), 'configmap "applied" deleted');
  });

  test('kubectl 1.28 apply with default client-side validation', async (t) => {
    if (!existsSync(KUBECTL_OLD)) {
      t.skip(`${KUBECTL_OLD} is not installed`);
      return;
    }
    const doc = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: validated\n  namespace: ${NS}\n`;
    assert.equal((await k(['apply', '-f', '-'], { input: doc, bin: KUBECTL_OLD })).stdout.trim(), 'configmap/validated created');
  });
});
