export { runCli, commandHelp, topHelp, COMMANDS, DEFAULT_API_URL, VERSION } from './cli.js';
export { ExitCode } from './errors.js';
export type { Io, OutStream } from './io.js';
