#!/usr/bin/env node
// The kube-sim command. Libraries in this repository have no build step, so the TypeScript
// source is loaded through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli.ts');
const io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  untilStopped: () =>
    new Promise((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    }),
};
process.exitCode = await runCli(process.argv.slice(2), io);
