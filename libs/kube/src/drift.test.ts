import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { detectDrift, formatPath, nodeAt, ownedPart, uncoveredPaths, type DriftFinding, type FieldSet, type KubeObject } from './index.js';

const dir = join(import.meta.dirname, 'testdata', 'drift');

describe('drift from managedFields (fixtures: desired, live, expected)', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  it('has fixtures', () => assert.ok(files.length >= 5));
  for (const file of files) {
    it(file, () => {
      const [desired, live, expected] = parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJSON() as unknown);
      assert.deepEqual(detectDrift(desired as KubeObject, live as KubeObject), (expected as { expected: DriftFinding[] }).expected);
    });
  }
});

describe('FieldsV1 walking', () => {
  const set: FieldSet = {
    'f:spec': {
      'f:args': {},
      'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {} } },
      'f:finalizers': { 'v:"a"': {} },
    },
  };
  it('an atomic node owns everything below it', () => {
    assert.deepEqual(uncoveredPaths({ spec: { args: ['x', 'y'] } }, set), []);
  });
  it('matches list elements by the key fields they set', () => {
    assert.deepEqual(uncoveredPaths({ spec: { ports: [{ port: 80 }] } }, set), []);
    const missing = uncoveredPaths({ spec: { ports: [{ port: 81 }] } }, set);
    assert.deepEqual(missing.map(formatPath), ['spec.ports[port=81]']);
    assert.deepEqual(uncoveredPaths({ spec: { ports: [{ port: 80, protocol: 'UDP' }] } }, set).map(formatPath), ['spec.ports[port=80]']);
  });
  it('matches set members by value', () => {
    assert.deepEqual(uncoveredPaths({ spec: { finalizers: ['a', 'b'] } }, set).map(formatPath), ['spec.finalizers[=b]']);
  });
  it('nothing owned means every top-level field is uncovered; nulls are nobody\'s', () => {
    assert.deepEqual(uncoveredPaths({ a: 1, b: { c: 2 }, d: null }, undefined).map(formatPath), ['a', 'b.c']);
    assert.deepEqual(uncoveredPaths({ a: 1, b: { c: 2 }, d: null }, {}).map(formatPath), []);
    assert.deepEqual(uncoveredPaths({ a: 1, b: { c: 2 }, d: null }, { 'f:b': { '.': {} } }).map(formatPath), ['a', 'b.c']);
  });
  it('nodeAt follows a path', () => {
    assert.ok(nodeAt(set, [{ field: 'spec' }, { field: 'ports' }, { element: { port: 80 }, index: 0 }, { field: 'port' }]));
    assert.equal(nodeAt(set, [{ field: 'spec' }, { field: 'replicas' }]), undefined);
  });
  it('ownedPart leaves out identity and status', () => {
    const part = ownedPart({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'y', labels: { a: 'b' } }, data: { k: 'v' }, status: { s: 1 } });
    assert.deepEqual(part, { metadata: { labels: { a: 'b' } }, data: { k: 'v' } });
  });
});
