#!/usr/bin/env node
// Runs one package's tests (src/**/*.test.ts) with node's own test runner through tsx,
// printing the spec report and writing counts to .test-results.json for the root summary.
import { spawn } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const cwd = process.cwd();
const SKIP_DIRS = new Set(['node_modules', 'dist', '.turbo', 'testdata', 'fixtures']);

function findTests(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (SKIP_DIRS.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(cwd, path));
  }
  return out;
}

const files = process.argv.length > 2 ? process.argv.slice(2) : findTests(join(cwd, 'src')).sort();
const resultsFile = join(cwd, '.test-results.json');
if (files.length === 0) {
  writeFileSync(resultsFile, JSON.stringify({ passed: 0, failed: 0, skipped: 0 }));
  console.log('no tests');
  process.exit(0);
}

const child = spawn(
  process.execPath,
  [
    '--import', 'tsx',
    '--test',
    '--test-timeout=180000',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts/count-reporter.mjs')}`, `--test-reporter-destination=${resultsFile}`,
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, DRIFTLESS_ROOT: root } },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
