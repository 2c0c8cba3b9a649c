/** The `driftless` process: real streams and environment, exit code from `runCli`. */
import type { Io } from './io.js';

export { runCli } from './cli.js';

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
