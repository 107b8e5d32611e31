import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { invalidError } from './errors.js';
import {
  byteLength, formatIP, isCIdentifier, isConfigMapKey, isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isEnvVarName,
  isQualifiedName, isValidCIDR, isValidIP, isValidLabelValue, isValidPathSegmentName, isValidPortName, isValidPortNum,
  parseIP, validateObjectMeta, validateObjectMetaUpdate,
} from './validation.js';

const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

describe('format checks', () => {
  test('DNS names', () => {
    const cases: [(v: string) => string[], string, string[]][] = [
      [isDNS1123Subdomain, 'example.com', []],
      [isDNS1123Subdomain, 'a', []],
      [isDNS1123Subdomain, 'Bad_Name', [SUBDOMAIN_MSG]],
      [isDNS1123Subdomain, 'a..b', [SUBDOMAIN_MSG]],
      [isDNS1123Subdomain, 'a'.repeat(254), ['must be no more than 253 characters']],
      [isDNS1123Label, 'my-name', []],
      [isDNS1123Label, 'a.b', ['must not contain dots']],
      [isDNS1123Label, '-a', [LABEL_MSG]],
      [isDNS1123Label, 'a'.repeat(64), ['must be no more than 63 characters']],
      [isDNS1035Label, '1abc', ["a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"]],
      [isDNS1035Label, 'abc-1', []],
    ];
    for (const [fn, v, want] of cases) assert.deepEqual(fn(v), want, `${fn.name}(${v})`);
  });

  test('qualified names and label values', () => {
    assert.deepEqual(isQualifiedName('app.kubernetes.io/name'), []);
    assert.deepEqual(isQualifiedName('MyName'), []);
    assert.deepEqual(isQualifiedName('/a'), ['prefix part must be non-empty']);
    assert.deepEqual(isQualifiedName('a/'), ['name part must be non-empty', "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]);
    assert.deepEqual(isQualifiedName('a'.repeat(64)), ['name part must be no more than 63 bytes']);
    assert.equal(isQualifiedName('a/b/c').length, 1);
    assert.deepEqual(isValidLabelValue(''), []);
    assert.deepEqual(isValidLabelValue('v1.2_x'), []);
    assert.equal(isValidLabelValue('-x').length, 1);
    assert.deepEqual(isValidLabelValue('a'.repeat(64)), ['must be no more than 63 bytes']);
  });

  test('identifiers, keys, ports, path segments', () => {
    assert.deepEqual(isCIdentifier('MY_VAR'), []);
    assert.equal(isCIdentifier('1VAR').length, 1);
    assert.deepEqual(isEnvVarName('my.env-name'), []);
    assert.deepEqual(isEnvVarName('..x'), ["must not start with '..'"]);
    assert.deepEqual(isConfigMapKey('key.name'), []);
    assert.equal(isConfigMapKey('a/b').length, 1);
    assert.deepEqual(isValidPortNum(80), []);
    assert.deepEqual(isValidPortNum(0), ['must be between 1 and 65535, inclusive']);
    assert.deepEqual(isValidPortNum(65536), ['must be between 1 and 65535, inclusive']);
    assert.deepEqual(isValidPortName('http'), []);
    assert.deepEqual(isValidPortName('80'), ['must contain at least one letter (a-z)']);
    assert.deepEqual(isValidPortName('-a--b'), ['must not contain consecutive hyphens', 'must not begin or end with a hyphen']);
    assert.deepEqual(isValidPortName('a-very-long-port-name'), ['must be no more than 15 characters']);
    assert.deepEqual(isValidPathSegmentName('..'), ["may not be '..'"]);
    assert.deepEqual(isValidPathSegmentName('a/b%'), ["may not contain '/'", "may not contain '%'"]);
  });

  test('byteLength counts UTF-8', () => {
    assert.equal(byteLength('abc'), 3);
    assert.equal(byteLength('é'), 2);
    assert.equal(byteLength('€'), 3);
    assert.equal(byteLength('😀'), 4);
  });
});

describe('IP and CIDR', () => {
  test('parse and format like Go', () => {
    const cases: [string, string | null][] = [
      ['10.9.8.7', '10.9.8.7'], ['010.1.1.1', '10.1.1.1'], ['256.1.1.1', null], ['1.2.3', null],
      ['2001:db8::ffff', '2001:db8::ffff'], ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'], ['::', '::'], ['::1', '::1'],
      ['::ffff:1.2.3.4', '1.2.3.4'], ['::1.2.3.4', '::102:304'], ['1:0:0:1:0:0:0:1', '1:0:0:1::1'],
      ['1:0:1:0:1:0:1:0', '1:0:1:0:1:0:1:0'], ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'], ['1:2:3:4:5:6:7:8::', null], ['1::2::3', null], ['fe80::1%eth0', null],
      ['12345::1', null], ['', null], ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ];
    for (const [input, want] of cases) {
      const ip = parseIP(input);
      assert.equal(ip ? formatIP(ip.bytes) : null, want, input);
    }
  });

  test('isValidIP', () => {
    const msgs = (v: string) => isValidIP('spec.clusterIP', v).map((e) => e.message);
    assert.deepEqual(msgs('10.43.0.1'), []);
    assert.deepEqual(msgs('2001:db8::1'), []);
    assert.deepEqual(msgs('bogus'), ['Invalid value: "bogus": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']);
    assert.deepEqual(msgs('010.1.1.1'), ['Invalid value: "010.1.1.1": must not have leading 0s']);
    assert.deepEqual(msgs('::ffff:1.2.3.4'), ['Invalid value: "::ffff:1.2.3.4": must not be an IPv4-mapped IPv6 address']);
    assert.deepEqual(msgs('2001:DB8::1'), ['Invalid value: "2001:DB8::1": must be in canonical form ("2001:db8::1")']);
    assert.equal(isValidIP('x', 'bogus')[0].field, 'x');
  });

  test('isValidCIDR', () => {
    const msgs = (v: string) => isValidCIDR('spec.podCIDR', v).map((e) => e.message);
    assert.deepEqual(msgs('10.42.0.0/16'), []);
    assert.deepEqual(msgs('0.0.0.0/0'), []);
    assert.deepEqual(msgs('2001:db8::/64'), []);
    assert.deepEqual(msgs('10.42.0.0'), ['Invalid value: "10.42.0.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']);
    assert.deepEqual(msgs('10.42.0.0/33'), ['Invalid value: "10.42.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']);
    assert.deepEqual(msgs('10.42.0.1/16'), ['Invalid value: "10.42.0.1/16": must not have bits set beyond the prefix length']);
    assert.deepEqual(msgs('10.42.0.0/016'), ['Invalid value: "10.42.0.0/016": must not have leading 0s in IP or prefix length']);
    assert.deepEqual(msgs('::ffff:10.0.0.0/104'), ['Invalid value: "::ffff:10.0.0.0/104": must not have an IPv4-mapped IPv6 address']);
    assert.deepEqual(msgs('2001:DB8::/64'), ['Invalid value: "2001:DB8::/64": must be in canonical form ("2001:db8::/64")']);
  });
});

describe('validateObjectMeta', () => {
  const ns = { namespaced: true, nameFn: 'subdomain' as const };
  const lines = (errs: { field: string; message: string }[]) => errs.map((e) => `${e.field}: ${e.message}`);

  test('valid objects', () => {
    assert.deepEqual(validateObjectMeta({ name: 'web', namespace: 'default', labels: { app: 'web' }, annotations: { 'example.com/x': 'y' } }, ns), []);
    assert.deepEqual(validateObjectMeta({ name: 'node-1' }, { namespaced: false, nameFn: 'subdomain' }), []);
    assert.deepEqual(validateObjectMeta({ name: 'web-abcde', generateName: 'web-', namespace: 'default' }, ns), []);
  });

  test('names, namespaces and generateName', () => {
    const cases: [Parameters<typeof validateObjectMeta>[0], Parameters<typeof validateObjectMeta>[1], string[]][] = [
      [{ name: 'Bad_Name', namespace: 'default' }, ns, [`metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN_MSG}`]],
      [{ namespace: 'default' }, ns, ['metadata.name: Required value: name or generateName is required']],
      [undefined, ns, ['metadata.name: Required value: name or generateName is required', 'metadata.namespace: Required value']],
      [{ name: 'a' }, ns, ['metadata.namespace: Required value']],
      [{ name: 'a', namespace: 'Bad.NS' }, ns, [`metadata.namespace: Invalid value: "Bad.NS": ${LABEL_MSG}`]],
      [{ name: 'a', namespace: 'x' }, { namespaced: false, nameFn: 'subdomain' }, ['metadata.namespace: Forbidden: not allowed on this type']],
      [{ name: 'a.b', namespace: 'x' }, { namespaced: true, nameFn: 'label' }, ['metadata.name: Invalid value: "a.b": must not contain dots']],
      [{ name: 'x', generateName: 'Bad-', namespace: 'x' }, ns, [`metadata.generateName: Invalid value: "Bad-": ${SUBDOMAIN_MSG}`]],
      [{ name: 'a%b' }, { namespaced: false, nameFn: 'path-segment' }, [`metadata.name: Invalid value: "a%b": may not contain '%'`]],
      [{ name: 'x', namespace: 'x', generation: -1 }, ns, ['metadata.generation: Invalid value: -1: must be greater than or equal to 0']],
    ];
    for (const [meta, opts, want] of cases) assert.deepEqual(lines(validateObjectMeta(meta, opts)), want, JSON.stringify(meta));
  });

  test('labels, annotations, finalizers, owner references, managed fields', () => {
    const errs = validateObjectMeta({
      name: 'x', namespace: 'x',
      labels: { 'bad key': 'ok', good: '-bad' },
      annotations: { 'A/b': 'fine', 'example.com/big': 'x'.repeat(256 * 1024) },
      finalizers: ['kubernetes.io/pvc-protection', 'orphan', 'foregroundDeletion', 'bad/fin/alizer'],
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true },
        { apiVersion: 'a/b/c', kind: '', name: '', uid: '', controller: true },
        { apiVersion: 'v1', kind: 'Event', name: 'e', uid: 'u3' },
      ],
      managedFields: [{ manager: 'kubectl', operation: 'Patch', fieldsType: 'FieldsV2' }],
    }, ns);
    const got = lines(errs);
    assert.equal(got.length, 13, got.join('\n'));
    assert.equal(errs.filter((e) => e.field === 'metadata.labels').length, 2);
    assert.ok(got.includes('metadata.annotations: Too long: may not be more than 262144 bytes'));
    assert.equal(errs.filter((e) => e.field === 'metadata.annotations').length, 1, 'annotation keys are checked lower-cased, so A/b passes');
    assert.ok(got.includes('metadata.finalizers: Invalid value: ["kubernetes.io/pvc-protection","orphan","foregroundDeletion","bad/fin/alizer"]: finalizer orphan and foregroundDeletion cannot be both set'));
    assert.ok(got.includes('metadata.ownerReferences[1].apiVersion: Invalid value: "a/b/c": must be <group>/<version> or <version>'));
    assert.ok(got.includes('metadata.ownerReferences[1].kind: Required value: must not be empty'));
    assert.ok(got.some((l) => l.startsWith('metadata.ownerReferences: Invalid value: [') && l.endsWith('Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/rs and /')));
    assert.ok(got.some((l) => l.startsWith('metadata.ownerReferences[2]: Invalid value: {') && l.endsWith('/v1, Kind=Event is disallowed from being an owner')));
    assert.ok(got.includes('metadata.managedFields[0].operation: Unsupported value: "Patch": supported values: "Apply", "Update"'));
    assert.ok(got.includes('metadata.managedFields[0].fieldsType: Invalid value: "FieldsV2": must be `FieldsV1`'));
  });

  test('renders through invalidError like the API server', () => {
    const err = invalidError('Pod', '', 'Bad_Name', validateObjectMeta({ name: 'Bad_Name', namespace: 'default' }, ns));
    assert.equal(err.code, 422);
    assert.equal(err.message, `Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN_MSG}`);
  });
});

describe('validateObjectMetaUpdate', () => {
  const old = { name: 'a', namespace: 'ns', uid: 'u1', resourceVersion: '5', generation: 2, creationTimestamp: '2026-01-01T00:00:00Z', finalizers: ['f1'] };
  const lines = (errs: { field: string; message: string }[]) => errs.map((e) => `${e.field}: ${e.message}`);

  test('unchanged identity passes', () => {
    assert.deepEqual(validateObjectMetaUpdate({ ...old, labels: { a: 'b' }, generation: 3 }, old), []);
  });

  test('immutable fields and generation', () => {
    const got = lines(validateObjectMetaUpdate({ ...old, name: 'b', namespace: 'other', uid: 'u2', creationTimestamp: '2027-01-01T00:00:00Z', generation: 1, resourceVersion: '' }, old));
    assert.deepEqual(got, [
      'metadata.resourceVersion: Invalid value: "": must be specified for an update',
      'metadata.generation: Invalid value: 1: must not be decremented',
      'metadata.name: Invalid value: "b": field is immutable',
      'metadata.namespace: Invalid value: "other": field is immutable',
      'metadata.uid: Invalid value: "u2": field is immutable',
      'metadata.creationTimestamp: Invalid value: "2027-01-01T00:00:00Z": field is immutable',
    ]);
  });

  test('deletion fields and finalizers of a terminating object', () => {
    const deleting = { ...old, deletionTimestamp: '2026-02-01T00:00:00Z', deletionGracePeriodSeconds: 30 };
    assert.deepEqual(validateObjectMetaUpdate({ ...deleting, finalizers: [] }, deleting), []);
    assert.deepEqual(lines(validateObjectMetaUpdate({ ...deleting, finalizers: ['f1', 'z', 'b'] }, deleting)), [
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b", "z"}',
    ]);
    assert.deepEqual(lines(validateObjectMetaUpdate({ ...old, deletionTimestamp: undefined, deletionGracePeriodSeconds: 0 }, deleting)), [
      'metadata.deletionTimestamp: Invalid value: null: field is immutable',
      'metadata.deletionGracePeriodSeconds: Invalid value: 0: field is immutable',
    ]);
  });
});
