import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ExitCode } from '../errors.js';
import { VERSION } from '../version.js';
import type { Cli, GlobalOptions } from './cli-context.js';

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds (0 or more).');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number of seconds (more than 0).');
  return n;
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number (0 or more).');
  return n;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Runs one command's body (lazily imported) and hands its exit code to `exit`. */
type RunCommand = (load: (cli: Cli) => Promise<number>, command: Command) => Promise<void>;

/**
 * Each action is a thin wrapper: lazily import the command, run it, and hand its exit code (or
 * error) to `runAction`, the one place that maps errors to exit codes.
 */
export function buildProgram(exit: (code: number) => void, writeErr: (text: string) => void): Command {
  const program = programWithGlobalOptions(writeErr);
  const run: RunCommand = (load, command) => runAction(command, load, exit);
  addRunCommands(program, run);
  addShadowCommands(program, run);
  addBaselineCommand(program, run);
  addProjectCommands(program, run);
  return program;
}

/** The program and the options every command takes (GlobalOptions). */
function programWithGlobalOptions(writeErr: (text: string) => void): Command {
  return (
    new Command('polymigrate')
      .description('One migration CLI for Prisma, Payload, Drizzle and SQL folders sharing one PostgreSQL database.')
      .version(VERSION, '-v, --version')
      .helpOption('-h, --help', 'show help')
      .addHelpCommand('help [command]', 'show help for a command')
      .option('--config <file>', 'config file (default: polymigrate.config.{ts,mts,mjs,js,json} found from the cwd upwards)')
      .addOption(new Option('--url <url>', "database URL (default: the config's databaseUrl, else $DATABASE_URL)"))
      .addOption(
        new Option(
          '--direct-url <url>',
          "direct or session-mode URL for up, down and resolve when the database URL is a transaction-mode pooler (default: the config's directUrl, else $DIRECT_URL with $DATABASE_URL)",
        ),
      )
      .option('--json', 'print one JSON document (version 1) on stdout')
      .addOption(new Option('--log-format <format>', 'progress log format').choices(['pretty', 'json']).default('pretty'))
      .option('--wait <seconds>', 'retry the first connection with exponential backoff for this long', nonNegative)
      .option('--lock-timeout <seconds>', "give up (exit 5) after waiting this long for another run's lock", nonNegative)
      .option('--ddl-lock-timeout <seconds>', 'let each migration wait at most this long for a table lock (lock_timeout), then roll it back and retry', positiveNumber)
      .option('--ddl-retries <n>', "how often a migration that timed out on a lock is tried again (default: the config's ddlRetries, else 0)", nonNegativeInteger)
      .addOption(new Option('--embedded', 'use a local embedded PostgreSQL with data under .polymigrate/ (development only)').conflicts(['url', 'directUrl']))
      .showHelpAfterError('(run polymigrate --help for usage)')
      // Commander's error text is held back: main writes it redacted, or a JSON error instead.
      .configureOutput({ writeErr })
      // Throw instead of exiting, so usage errors map to exit 2 (settings are copied to subcommands).
      .exitOverride()
      .addHelpText(
        'after',
        `
Exit codes: 0 ok/up to date · 1 a migration failed or the database is unreachable · 2 usage or config
error · 3 status: pending migrations · 4 status: problems, verify/baseline: drift, plan --fail-on, check: unsound migrations · 5 refused (lock timeout, safety rule, --strict)`,
      )
  );
}

/** The commands that read or change the database's migrations: up, down, status. */
function addRunCommands(program: Command, run: RunCommand): void {
  program
    .command('up')
    .alias('deploy')
    .description('apply pending migrations of every engine, in config order')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--engine <name>', 'only this engine (repeatable)', collect)
    .option('--to <engine:id>', 'stop after this migration')
    .option('--allow-modified', 'apply even when an applied migration was edited')
    .option('--verify', 'after a successful run, run verify: exit 4 when the schema differs from what the applied migrations make')
    .action(async (options, command: Command) => run(async (cli) => (await import('./commands/run-commands.js')).upCommand(cli, options), command));

  program
    .command('down')
    .alias('rollback')
    .description('undo the last up run (newest step first), or --engine NAME --steps N')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--engine <name>', 'roll back within this engine')
    .option('--steps <n>', 'with --engine: how many migrations (default 1)', positiveInteger)
    .option('--strict', 'refuse (exit 5) if any step cannot be reverted')
    .action(async (options, command: Command) => run(async (cli) => (await import('./commands/run-commands.js')).downCommand(cli, options), command));

  program
    .command('status')
    .description("show each engine's migrations and their state (exit 3 pending, 4 problems)")
    .option('--engine <name>', 'only this engine (repeatable)', collect)
    .option('--all', 'list every migration (otherwise an engine with more than 20 applied lists only its newest 10 applied; --json always lists all)')
    .action(async (options, command: Command) => run(async (cli) => (await import('./commands/status-command.js')).statusCommand(cli, options), command));
}

/** The commands that compare and trace on the shadow database: verify, plan. */
function addShadowCommands(program: Command, run: RunCommand): void {
  program
    .command('verify')
    .description('compare the database with what its applied migrations produce, replayed in a shadow database (exit 4 on drift)')
    .option('--engine <name>', "only objects these engines' migrations created or changed (repeatable)", collect)
    .option(
      '--shadow-url <url>',
      "a PostgreSQL server for the shadow database (default: the config's shadowUrl, else an embedded server); polymigrate creates and drops only its own polymigrate_shadow_* databases there",
    )
    .option('--no-cache', 'replay every migration and keep no templates of replayed prefixes')
    .action(async (options, command: Command) => run(async (cli) => (await import('./commands/verify-command.js')).verifyCommand(cli, options), command));

  program
    .command('check')
    .description(
      'for CI, no database needed: replay every migration into a fresh shadow database and check that each down restores the schema (up → down → up); exit 4 when a down forgets something or fails, or a migration fails',
    )
    .option('--engine <name>', "check only these engines' downs; every engine is still replayed (repeatable)", collect)
    .option(
      '--shadow-url <url>',
      "a PostgreSQL server for the shadow database (default: the config's shadowUrl, else an embedded server); polymigrate creates and drops only its own polymigrate_shadow_* databases there",
    )
    .action(async (options, command: Command) => run(async (cli) => (await import('./commands/check-command.js')).checkCommand(cli, options), command));

  program
    .command('plan')
    .description(
      "trace what each pending migration locks, rewrites and destroys, on the shadow at the live database's applied state, sized by the live catalog (nothing is written to the database)",
    )
    .option('--engine <name>', "only this engine's pending migrations (repeatable)", collect)
    .addOption(new Option('--format <format>', 'human output: a table per engine, or the Markdown deploy report').choices(['table', 'markdown']).default('table'))
    .addOption(new Option('--fail-on <level>', 'exit 4 when a finding reaches this level after sizes, or a migration fails in the shadow').choices(['low', 'medium', 'high', 'critical']))
    .option('--shadow-url <url>', "a PostgreSQL server for the shadow database (default: the config's shadowUrl, else an embedded server)")
    .option('--no-cache', 'replay every applied migration and keep no templates')
    .action(async (options, command: Command) => run(async (cli) => (await import('./commands/plan-command.js')).planCommand(cli, options), command));
}

/** `baseline`: adopting migrations on a database whose schema was made without them. */
function addBaselineCommand(program: Command, run: RunCommand): void {
  program
    .command('baseline')
    .description(
      "record ENGINE's migrations as applied on a database whose schema was made without them (drizzle-kit push, prisma db push, Payload dev mode, by hand) — only when the objects they make match a shadow replay (exit 4 and nothing written otherwise)",
    )
    .argument('<engine>', 'engine name from the config')
    .option('--to <id>', 'record only up to this migration (default: every migration on disk)')
    .option('--dry-run', 'compare and print what would be recorded; write nothing')
    .option('--shadow-url <url>', 'a PostgreSQL server for the shadow database (as for verify)')
    .option('--no-cache', 'replay every migration and keep no templates of replayed prefixes')
    .addHelpText(
      'after',
      `
Replays, in a shadow database, every other engine's applied migrations and ENGINE's migrations up to
--to, and compares the live database's objects that ENGINE's migrations create or change. When none
is missing or different, the migrations not yet recorded are written to ENGINE's own history exactly
as the engine would (Prisma: as migrate resolve --applied; Drizzle: hash + the journal's when;
Payload: one new batch, and its dev-mode marker removed; SQL: its history rows), in one transaction,
under the lock. Objects no migration makes are listed and left alone.
Exit codes: 0 recorded, nothing to record, or --dry-run · 4 differences (nothing written) · 1 runtime · 2 usage ·
5 refused (lock timeout, a migration recorded as failed)`,
    )
    .action(async (engine: string, options, command: Command) => run(async (cli) => (await import('./commands/baseline-command.js')).baselineCommand(cli, engine, options), command));
}

/** The commands that write files or repair one migration's history: create, resolve, init. */
function addProjectCommands(program: Command, run: RunCommand): void {
  program
    .command('create')
    .description("write a new migration in the engine's own conventions")
    .argument('<engine>', 'engine name from the config')
    .argument('<name>', 'what the migration does, e.g. add_users')
    .option('--empty', "write an empty migration even when the engine's generator finds no change (Prisma: polymigrate's template, without running prisma migrate dev)")
    .action(async (engine: string, name: string, options, command: Command) =>
      run(async (cli) => (await import('./commands/create-command.js')).createCommand(cli, engine, name, options), command),
    );

  program
    .command('resolve')
    .description("repair a failed migration's history (as the engine's own resolve would)")
    .argument('<engine>', 'engine name from the config')
    .argument('<id>', 'migration id')
    .addOption(new Option('--applied', 'you completed it by hand: record it as applied').conflicts('rolledBack'))
    .addOption(new Option('--rolled-back', 'you undid it: it will run again on the next up'))
    .action(async (engine: string, id: string, options, command: Command) =>
      run(async (cli) => (await import('./commands/resolve-command.js')).resolveCommand(cli, engine, id, options), command),
    );

  program
    .command('init')
    .description('write polymigrate.config.ts from what it detects in this repository and its workspaces, and add .polymigrate/ to .gitignore')
    .option('--force', 'replace an existing config')
    .option('--add-script', 'add "db:migrate": "polymigrate" to package.json scripts')
    .action(async (options, command: Command) => run(async (cli) => (await import('./commands/init-command.js')).initCommand(cli, options), command));
}

async function runAction(command: Command, body: (cli: Cli) => Promise<number>, exit: (code: number) => void): Promise<void> {
  const global = command.optsWithGlobals<GlobalOptions>();
  // Start-up stages as user-timing marks (no output, no cost to speak of); the start-up
  // benchmark (scripts/bench/load-breakdown.mjs) reads them from the real process.
  performance.mark('polymigrate:cli');
  // Loaded here, not at the top: `--help` and `--version` never pay for the config loader, valibot or pg.
  const [{ createCli }, { toReportableError }, { errorJson, printJson }] = await Promise.all([import('./cli-context.js'), import('./exit.js'), import('./output/json-report.js')]);
  const cli = createCli(global);
  let code: number;
  try {
    code = await body(cli);
  } catch (error) {
    const reportable = toReportableError(error);
    if (global.json) printJson(errorJson(command.name(), reportable));
    cli.log('error', reportable.message, { exitCode: reportable.exitCode });
    if (global.logFormat !== 'json') {
      process.stderr.write(`${cli.style.red('error')} ${reportable.message}\n`);
      if (reportable.hint) process.stderr.write(`  ${reportable.hint}\n`);
    }
    code = reportable.exitCode;
  } finally {
    await cli.close().catch(() => undefined);
  }
  exit(code);
}

export async function main(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.ok;
  let commanderText = '';
  const program = buildProgram(
    (code) => {
      exitCode = code;
    },
    (text) => {
      commanderText += text;
    },
  );
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return ExitCode.ok;
    }
    await program.parseAsync(argv);
  } catch (error) {
    // --help and --version are successes; every other parse error (no command given included) is a usage error.
    if (error instanceof CommanderError && (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')) return ExitCode.ok;
    if (error instanceof CommanderError) return (await import('./usage-error.js')).reportUsageError(error, argv.slice(2), program, commanderText);
    throw error;
  }
  return exitCode;
}

main(process.argv).then(
  (code) => {
    // Engines' pools and timers must not keep a finished command alive.
    process.exitCode = code;
    setImmediate(() => process.exit(code));
  },
  async (error) => {
    const { redactSecrets } = await import('../secrets/secret-registry.js');
    process.stderr.write(`${redactSecrets(String(error?.stack ?? error))}\n`);
    process.exit(ExitCode.failure);
  },
);
