import type { Command, CommanderError } from 'commander';
import { registerUrlSecrets } from '../db/mask-url.js';
import { ExitCode } from '../errors.js';
import { redactSecrets, registerEnvironmentSecrets } from '../secrets/secret-registry.js';
import { writeJsonLog } from './output/json-log.js';
import { errorJson, printJson } from './output/json-report.js';

interface RequestedOutput {
  json: boolean;
  jsonLogs: boolean;
  /** The command's own name when the first word names one (an alias counts), else "polymigrate". */
  command: string;
  url?: string;
}

/**
 * What the command line asks for, read by hand: commander refused it, so its options were never
 * parsed, yet the error must come out where and how the caller reads output.
 */
function requestedOutput(args: string[], program: Command): RequestedOutput {
  const out: RequestedOutput = { json: false, jsonLogs: false, command: 'polymigrate' };
  // Options whose value is the next argument, global ones and every command's, as declared.
  const takesValue = new Set(
    [program, ...program.commands]
      .flatMap((c) => c.options)
      .filter((o) => o.required || o.optional)
      .map((o) => o.long),
  );
  let positional = false;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--') break;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    // As commander: a missing value is not taken from the next option (`--to --json`).
    const next = args[i + 1];
    const value = takesValue.has(flag) && inline === undefined && next !== undefined && !next.startsWith('-') ? args[++i] : inline;
    if (flag === '--json') out.json = true;
    else if (flag === '--log-format') out.jsonLogs = value === 'json';
    else if (flag === '--url') out.url = value;
    else if (!arg.startsWith('-') && !positional) {
      positional = true;
      out.command = program.commands.find((c) => c.name() === arg || c.aliases().includes(arg))?.name() ?? out.command;
    }
  }
  return out;
}

/**
 * A command line commander refused (unknown command or option, a bad value, no command): exit 2,
 * said the way the caller asked for output — under --json the error document on stdout, under
 * --log-format json one log line on stderr instead of commander's text. Commander quotes the
 * argument it refused, which may be a URL with its password: everything is redacted.
 */
export function reportUsageError(error: CommanderError, args: string[], program: Command, commanderText: string): number {
  const requested = requestedOutput(args, program);
  registerEnvironmentSecrets();
  registerUrlSecrets(requested.url);
  const noCommand = error.code === 'commander.help';
  const message = redactSecrets(noCommand ? 'No command given.' : error.message.replace(/^error: /, ''));
  const hint = noCommand ? 'Run polymigrate --help for the commands.' : 'Run polymigrate --help for usage.';
  if (requested.json) printJson(errorJson(requested.command, { message, hint, exitCode: ExitCode.usage }));
  if (requested.jsonLogs) writeJsonLog('error', message, { exitCode: ExitCode.usage });
  else process.stderr.write(redactSecrets(commanderText));
  return ExitCode.usage;
}
