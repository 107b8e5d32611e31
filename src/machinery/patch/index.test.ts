import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../errors.js';
import { applyPatch, supportedPatchTypes, unsupportedPatchType } from './index.js';
import { DEPLOYMENT, schemaFromSpec } from './testschema.js';

const schema = schemaFromSpec(DEPLOYMENT);
const dep = { metadata: { name: 'd', finalizers: ['a'] }, spec: { replicas: 1 } };

describe('applyPatch', () => {
  test('dispatches by media type, ignoring parameters and case', () => {
    assert.deepEqual(applyPatch('application/json-patch+json', dep, [{ op: 'replace', path: '/spec/replicas', value: 2 }]),
      { metadata: { name: 'd', finalizers: ['a'] }, spec: { replicas: 2 } });
    assert.deepEqual(applyPatch('application/merge-patch+json; charset=utf-8', dep, { metadata: { finalizers: ['b'] } }),
      { metadata: { name: 'd', finalizers: ['b'] }, spec: { replicas: 1 } });
    // upstream places a value new to the server ahead of server-only values
    assert.deepEqual(applyPatch('Application/Strategic-Merge-Patch+JSON', dep, { metadata: { finalizers: ['b'] } }, schema),
      { metadata: { name: 'd', finalizers: ['b', 'a'] }, spec: { replicas: 1 } });
  });

  test('unsupported media types are 415 listing the accepted types', () => {
    assert.throws(() => applyPatch('application/json', dep, {}), (e: unknown) => {
      assert.ok(e instanceof StatusError);
      assert.equal(e.code, 415);
      assert.equal(e.reason, 'UnsupportedMediaType');
      assert.equal(e.message, 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml');
      return true;
    });
  });

  test('custom resources do not accept strategic merge patch', () => {
    assert.deepEqual(supportedPatchTypes(false), ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']);
    assert.match(unsupportedPatchType(supportedPatchTypes(false)).message, /include: application\/json-patch\+json, application\/merge-patch\+json, application\/apply-patch\+yaml$/);
  });
});
