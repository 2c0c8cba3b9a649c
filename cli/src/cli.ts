/**
 * The command line: finds the command, parses its options with node's parseArgs (strict: an
 * unknown flag is a usage error), prints help, and maps every outcome to an exit code —
 * 0 ok, 1 failed (API refusal, unreachable API, a failed check), 2 usage error.
 */
import { parseArgs } from 'node:util';
import { ApiClient } from './api.js';
import type { Command, Context, OptionSpec, Values } from './command.js';
import { adminCommands } from './commands/admin.js';
import { changeCommands } from './commands/changes.js';
import { clusterCommands } from './commands/cluster.js';
import { promoteCommands } from './commands/promote.js';
import { queryCommands } from './commands/queries.js';
import { CommandFailedError, ExitCode, UsageError } from './errors.js';
import { isColourWanted, OutputFormat, painter } from './format.js';
import type { Io } from './io.js';
import { withProgress } from './progress.js';

export const VERSION = '0.1.0';
export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

export const COMMANDS: readonly Command[] = [...clusterCommands, ...queryCommands, ...promoteCommands, ...changeCommands, ...adminCommands];

const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  'api-url': { type: 'string', value: 'URL', description: `The Driftless API (default $DRIFTLESS_API_URL, else ${DEFAULT_API_URL})` },
  token: { type: 'string', value: 'TOKEN', description: 'API token (default $DRIFTLESS_TOKEN)' },
  output: { type: 'string', short: 'o', value: 'FORMAT', description: 'table (default) or json' },
  'no-color': { type: 'boolean', description: 'No colour even on a terminal (also: NO_COLOR=1)' },
  help: { type: 'boolean', short: 'h', description: 'Show help' },
};

/** Global options that take a value, so the word after them is not taken for a command. */
const VALUE_FLAGS = new Set(['--api-url', '--token', '--output', '-o']);

const GROUPS: Readonly<Record<string, string>> = {
  cluster: 'Register, list and revoke clusters',
  token: 'Create, list and revoke API tokens',
  audit: 'Check the audit log',
  promotions: 'List and show promotions',
  changes: 'List and approve commits held by the change policy',
};

/** The subcommand a group runs when none is given (`driftless promotions` lists them). */
const DEFAULT_SUBCOMMANDS: Readonly<Record<string, string>> = { promotions: 'list', changes: 'list' };

const usageOf = (c: Command) =>
  [
    `driftless ${c.path.join(' ')}`,
    ...c.args.map((a) => a.name),
    ...Object.entries(c.options).map(([name, o]) => {
      const flag = `--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
      return o.isRequired ? flag : `[${flag}]${o.multiple ? '...' : ''}`;
    }),
  ].join(' ');

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(([name, o]) => [`${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`, o.description] as const);
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
}

export function commandHelp(c: Command): string {
  const lines = [`Usage: ${usageOf(c)}`, '', c.summary + '.'];
  if (c.description) lines.push('', c.description);
  if (c.args.length > 0) {
    const width = Math.max(...c.args.map((a) => a.name.length));
    lines.push('', 'Arguments:', ...c.args.map((a) => `  ${a.name.padEnd(width)}  ${a.description}`));
  }
  if (Object.keys(c.options).length > 0) lines.push('', 'Options:', ...optionLines(c.options));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  lines.push('', c.examples.length === 1 ? 'Example:' : 'Examples:', ...c.examples.map((e) => `  ${e}`));
  lines.push('', 'Exit codes: 0 ok, 1 failed, 2 usage error.');
  return `${lines.join('\n')}\n`;
}

function commandList(commands: readonly Command[]): string[] {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  return commands.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
}

export function topHelp(): string {
  return [
    'Usage: driftless COMMAND [ARGS] [OPTIONS]',
    '',
    'Driftless: register clusters, see what runs where, who changed it, and what a change would touch.',
    '',
    'Commands:',
    ...commandList(COMMANDS),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Environment: DRIFTLESS_API_URL, DRIFTLESS_TOKEN, NO_COLOR.',
    'Run `driftless COMMAND --help` for a command\'s options and an example.',
    'Exit codes: 0 ok, 1 failed, 2 usage error.',
    '',
  ].join('\n');
}

function groupHelp(group: string): string {
  const members = COMMANDS.filter((c) => c.path[0] === group);
  return [`Usage: driftless ${group} SUBCOMMAND [ARGS] [OPTIONS]`, '', `${GROUPS[group] ?? ''}.`, '', 'Subcommands:', ...commandList(members), '', `Run \`driftless ${group} SUBCOMMAND --help\` for details.`, ''].join('\n');
}

/** The indexes of the words before the first flag-like token that name a command. */
function commandWords(argv: readonly string[]): { words: string[]; indexes: number[] } {
  const words: string[] = [];
  const indexes: number[] = [];
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      if (VALUE_FLAGS.has(arg)) i++;
      continue;
    }
    words.push(arg);
    indexes.push(i);
    // Only a group takes a second word.
    if (words.length === 1 && GROUPS[arg] === undefined) break;
  }
  return { words, indexes };
}

/** parseArgs' messages, shortened to what went wrong. */
function parseErrorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1] ?? ''}`;
  const missing = /^Option '([^']+)' argument missing/.exec(message);
  if (missing) return `${missing[1] ?? 'an option'} needs a value`;
  return message.split('\n')[0] ?? 'invalid arguments';
}

function fail(io: Io, message: string, help: string): ExitCode {
  io.stderr.write(`driftless: ${message}\n\n${help}`);
  return ExitCode.usage;
}

/** Runs one command line and returns its exit code; never throws. */
export async function runCli(argv: readonly string[], io: Io): Promise<ExitCode> {
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  const { words, indexes } = commandWords(argv);
  const [first] = words;
  const second = words[1] ?? (first !== undefined && !wantsHelp ? DEFAULT_SUBCOMMANDS[first] : undefined);

  if (first === undefined) {
    if (argv.includes('--version')) {
      io.stdout.write(`driftless ${VERSION}\n`);
      return ExitCode.ok;
    }
    if (wantsHelp) {
      io.stdout.write(topHelp());
      return ExitCode.ok;
    }
    return fail(io, argv.length === 0 ? 'a command is required' : `unknown option ${argv.find((a) => a.startsWith('-')) ?? ''}`, topHelp());
  }
  if (first === 'help') {
    io.stdout.write(topHelp());
    return ExitCode.ok;
  }
  if (GROUPS[first] !== undefined) {
    const isKnown = second !== undefined && COMMANDS.some((c) => c.path[0] === first && c.path[1] === second);
    if (!isKnown) {
      if (second === undefined && wantsHelp) {
        io.stdout.write(groupHelp(first));
        return ExitCode.ok;
      }
      return fail(io, second === undefined ? `${first} needs a subcommand` : `unknown command "${first} ${second}"`, groupHelp(first));
    }
  }
  const command = COMMANDS.find((c) => c.path.length === (GROUPS[first] === undefined ? 1 : 2) && c.path[0] === first && (c.path[1] === undefined || c.path[1] === second));
  if (!command) return fail(io, `unknown command "${first}"`, topHelp());

  const shortUsage = `Usage: ${usageOf(command)}\nRun \`driftless ${command.path.join(' ')} --help\` for details.\n`;
  const rest = argv.filter((_, i) => !indexes.includes(i));
  let positionals: string[];
  let values: Values;
  try {
    ({ positionals, values } = parseArgs({ args: [...rest], options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true }));
  } catch (err) {
    return fail(io, parseErrorMessage(err), shortUsage);
  }
  if (values['help'] === true) {
    io.stdout.write(commandHelp(command));
    return ExitCode.ok;
  }
  try {
    const missing = command.args.slice(positionals.length);
    if (missing.length > 0) throw new UsageError(`missing ${missing.map((a) => a.name).join(' and ')}`);
    // An argument named `NAME...` takes every remaining word.
    const extra = command.args.at(-1)?.name.endsWith('...') ? [] : positionals.slice(command.args.length);
    if (extra.length > 0) throw new UsageError(`unexpected argument${extra.length === 1 ? '' : 's'} ${extra.map((e) => JSON.stringify(e)).join(' ')}`);
    const ctx = contextFor(values, io);
    return await command.run(ctx, positionals, values);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`driftless: ${err.message}\n\n${shortUsage}`);
      return ExitCode.usage;
    }
    if (err instanceof CommandFailedError) {
      io.stderr.write(`driftless: ${err.message}\n`);
      return ExitCode.failed;
    }
    io.stderr.write(`driftless: unexpected error: ${(err as Error).message}\n`);
    return ExitCode.failed;
  }
}

function contextFor(values: Values, io: Io): Context {
  const format = typeof values['output'] === 'string' ? values['output'] : OutputFormat.table;
  if (format !== OutputFormat.table && format !== OutputFormat.json) throw new UsageError(`--output must be table or json, got ${JSON.stringify(format)}`);
  const apiUrl = (typeof values['api-url'] === 'string' ? values['api-url'] : undefined) ?? io.env['DRIFTLESS_API_URL'] ?? DEFAULT_API_URL;
  let parsed: URL;
  try {
    parsed = new URL(apiUrl);
  } catch {
    throw new UsageError(`the API URL ${JSON.stringify(apiUrl)} is not a URL (e.g. https://driftless.example.com)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`the API URL ${apiUrl} must use http or https`);
  const token = (typeof values['token'] === 'string' ? values['token'] : undefined) ?? (io.env['DRIFTLESS_TOKEN'] || undefined);
  const isColour = values['no-color'] !== true && isColourWanted(io.stdout, io.env);
  const progressDelayMs = io.progressDelayMs;
  return {
    api: new ApiClient({
      baseUrl: apiUrl,
      token,
      around: (label, work) => withProgress(label, work, { stream: io.stderr, ...(progressDelayMs === undefined ? {} : { delayMs: progressDelayMs }) }),
    }),
    format,
    p: painter(isColour),
    print: (text) => void io.stdout.write(text),
    note: (text) => void io.stderr.write(text),
  };
}
