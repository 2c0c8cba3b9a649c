#!/usr/bin/env node
// Bundles one service's entry point and the workspace libraries it imports (@driftless/*, which
// ship as TypeScript) into a single ES module, leaving every npm package external so native
// modules (nodegit) and packages that load files at run time work unchanged from node_modules.
// Usage: node deploy/docker/bundle.mjs services/audit/src/main.ts /out/main.mjs
import { build } from 'esbuild';

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) {
  process.stderr.write('usage: node deploy/docker/bundle.mjs <entry.ts> <out.mjs>\n');
  process.exit(2);
}

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [
    {
      name: 'npm-packages-external',
      setup(b) {
        // Bare specifiers other than our workspaces resolve from node_modules at run time.
        b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@driftless/') ? undefined : { path: args.path, external: true }));
      },
    },
  ],
});
