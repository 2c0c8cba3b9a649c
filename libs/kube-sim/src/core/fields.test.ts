import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, pathToString } from './fieldpath.js';
import { compareObjects, toFieldSet } from './fields.js';
import { builtinSchema, crdSchema } from './schema.js';

const deploy = builtinSchema('Deployment');

const applied = {
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'nginx', image: 'nginx:1', ports: [{ containerPort: 80 }], args: ['-v'] }] },
    },
  },
};

describe('field sets', () => {
  it('writes the FieldsV1 shape of the real server: keyed list items, atomic selector, "." for items', () => {
    const set = toFieldSet(applied, deploy);
    assert.deepEqual(set.toFieldsV1(), {
      'f:metadata': { 'f:labels': { 'f:app': {} }, 'f:name': {} },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"nginx"}': {
                '.': {},
                'f:args': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    });
  });

  it('round-trips through FieldsV1', () => {
    const set = toFieldSet(applied, deploy);
    const back = FieldSet.fromFieldsV1(set.toFieldsV1());
    assert.ok(back.equals(set));
    assert.deepEqual(back.toFieldsV1(), set.toFieldsV1());
  });

  it('names paths the way conflicts print them', () => {
    assert.equal(pathToString(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"nginx"}', 'f:image']), '.spec.template.spec.containers[name="nginx"].image');
    assert.equal(pathToString(['f:spec', 'f:ports', 'k:{"port":80,"protocol":"TCP"}']), '.spec.ports[port=80,protocol="TCP"]');
    assert.equal(pathToString(['f:metadata', 'f:finalizers', 'v:"a"']), '.metadata.finalizers[="a"]');
  });

  it('compares by list keys, so reordering items changes nothing', () => {
    const a = { spec: { template: { spec: { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '2' }] } } } };
    const b = { spec: { template: { spec: { containers: [{ name: 'b', image: '2' }, { name: 'a', image: '3' }] } } } };
    const c = compareObjects(a, b, deploy);
    assert.deepEqual(c.modified.paths(), [['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"a"}', 'f:image']]);
    assert.ok(c.added.isEmpty());
    assert.ok(c.removed.isEmpty());
  });

  it('reports added maps as members, so an update owns them with "."', () => {
    const c = compareObjects({ metadata: {} }, { metadata: { labels: { a: '1' } } }, deploy);
    assert.deepEqual(c.added.toFieldsV1(), { 'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } } });
  });

  it('uses a CRD schema for list types and atomic maps', () => {
    const schema = crdSchema('Widget', {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            items: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['id'], items: { type: 'object', properties: { id: { type: 'string' } } } },
            tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
            ref: { type: 'object', 'x-kubernetes-map-type': 'atomic' },
            plain: { type: 'array', items: { type: 'string' } },
          },
        },
      },
    });
    const set = toFieldSet({ spec: { items: [{ id: 'x', v: 1 }], tags: ['a'], ref: { name: 'n' }, plain: ['p'] } }, schema);
    assert.deepEqual(set.toFieldsV1(), {
      'f:spec': { 'f:items': { 'k:{"id":"x"}': { '.': {}, 'f:id': {}, 'f:v': {} } }, 'f:plain': {}, 'f:ref': {}, 'f:tags': { 'v:"a"': {} } },
    });
  });
});
