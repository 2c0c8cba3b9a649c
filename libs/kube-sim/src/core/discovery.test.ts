import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiGroupList, apiResourceList, compareKubeVersions } from './discovery.js';
import { ResourceRegistry, resourceTypesFromCrd } from './resources.js';

describe('discovery', () => {
  it('orders versions as Kubernetes does: GA, then beta, then alpha, newest first', () => {
    assert.deepEqual(['v1alpha1', 'v1', 'v2beta1', 'v2', 'v1beta2', 'foo'].sort(compareKubeVersions), ['v2', 'v1', 'v2beta1', 'v1beta2', 'v1alpha1', 'foo']);
  });

  it('lists a CRD\'s versions with the preferred one first, and its resources with subresources', () => {
    const registry = new ResourceRegistry();
    const crd = {
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', kind: 'Widget' },
        versions: [
          { name: 'v1beta1', served: true, storage: false },
          { name: 'v1', served: true, storage: true, subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } } },
        ],
      },
    };
    registry.setCrd('widgets.example.com', resourceTypesFromCrd(crd));
    const group = (apiGroupList(registry)['groups'] as Array<{ name: string; preferredVersion: { version: string } }>).find((g) => g.name === 'example.com');
    assert.equal(group?.preferredVersion.version, 'v1');
    const resources = (apiResourceList(registry, 'example.com/v1')?.['resources'] as Array<{ name: string; kind: string }>).map((r) => `${r.name}:${r.kind}`);
    assert.deepEqual(resources, ['widgets:Widget', 'widgets/status:Widget', 'widgets/scale:Scale']);
  });
});
