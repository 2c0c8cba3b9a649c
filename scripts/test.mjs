#!/usr/bin/env node
// Root `npm test`: runs every package's tests through turbo, then prints one aggregate line.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function workspaceDirs() {
  const dirs = [];
  for (const pattern of pkg.workspaces) {
    if (pattern.endsWith('/*')) {
      const parent = join(root, pattern.slice(0, -2));
      if (!existsSync(parent)) continue;
      for (const name of readdirSync(parent)) {
        if (existsSync(join(parent, name, 'package.json'))) dirs.push(join(parent, name));
      }
    } else if (existsSync(join(root, pattern, 'package.json'))) {
      dirs.push(join(root, pattern));
    }
  }
  return dirs;
}

const dirs = workspaceDirs();
for (const dir of dirs) rmSync(join(dir, '.test-results.json'), { force: true });

const extra = process.argv.slice(2);
const run = spawnSync('npx', ['turbo', 'run', 'test', '--continue', '--concurrency=2', ...extra], {
  cwd: root,
  stdio: 'inherit',
});

const total = { passed: 0, failed: 0, skipped: 0 };
const missing = [];
const failures = [];
for (const dir of dirs) {
  const file = join(dir, '.test-results.json');
  const scripts = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts ?? {};
  if (!scripts.test) continue;
  if (!existsSync(file)) {
    missing.push(dir.slice(root.length + 1));
    continue;
  }
  const counts = JSON.parse(readFileSync(file, 'utf8').trim().split('\n').pop());
  total.passed += counts.passed;
  total.failed += counts.failed;
  total.skipped += counts.skipped;
  for (const failure of counts.failures ?? []) failures.push({ ...failure, workspace: dir.slice(root.length + 1) });
}
// Repeated here because turbo interleaves the packages' output and a failure is easy to miss.
for (const { workspace, file, name, message } of failures) {
  const at = file ? file.indexOf(workspace) : -1;
  const where = at >= 0 ? file.slice(at) : (file ?? workspace);
  console.error(`✖ ${where}: ${name}\n  ${message.split('\n').join('\n  ')}`);
}
if (missing.length > 0 && extra.length === 0) {
  console.error(`no test results from: ${missing.join(', ')} (the test run crashed before reporting)`);
  total.failed += missing.length;
}
const skipped = total.skipped > 0 ? `, ${total.skipped} skipped` : '';
console.log(`${total.passed} passed, ${total.failed} failed${skipped}`);
process.exit(run.status === 0 && total.failed === 0 ? 0 : 1);
