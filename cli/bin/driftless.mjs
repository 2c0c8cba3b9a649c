#!/usr/bin/env node
// The driftless command. Packages in this repository have no build step, so the TypeScript
// source is loaded through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { runCli, processIo } = await import('../src/main.ts');
process.exitCode = await runCli(process.argv.slice(2), processIo());
