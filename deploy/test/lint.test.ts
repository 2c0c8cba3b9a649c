/**
 * `helm lint --strict` with helm 4 and helm 3 over both charts, with the chart's own defaults
 * and with every ci values file; and the bare defaults, which lack what only the user can
 * know, refused at install time with a message that says what to set.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Chart, chartDir, helm, HELM_VERSIONS, renderError, VALUES_VARIANTS, valuesFile } from './helm.js';

describe('helm lint', () => {
  for (const version of HELM_VERSIONS) {
    for (const chart of Object.values(Chart)) {
      for (const variant of ['(defaults)', ...VALUES_VARIANTS[chart]]) {
        it(`helm ${version}: ${chart} with ${variant === '(defaults)' ? 'its default values' : `ci/${variant}-values.yaml`} is clean`, async () => {
          const files = variant === '(defaults)' ? [] : ['-f', valuesFile(chart, variant)];
          const result = await helm(version, ['lint', '--strict', chartDir(chart), ...files]);
          assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
          assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
          assert.doesNotMatch(result.stdout, /\[(WARNING|ERROR)\]/);
        });
      }
    }

    it(`helm ${version}: installing the control plane's bare defaults asks for a repository`, async () => {
      const stderr = await renderError(Chart.controlPlane, { version });
      assert.match(stderr, /repoWatcher\.repos is empty: name at least one repository to watch, e\.g\. --set/);
    });

    it(`helm ${version}: installing the agent's bare defaults asks for the cluster name`, async () => {
      const stderr = await renderError(Chart.agent, { version });
      assert.match(stderr, /cluster is required: the name this cluster was registered with, e\.g\. --set cluster=prod-eu/);
    });
  }
});
