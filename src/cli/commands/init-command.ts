import { ExitCode } from '../../errors.js';
import { init } from '../../operations/init.js';
import type { Cli } from '../cli-context.js';
import { printJson } from '../output/json-report.js';

export async function initCommand(cli: Cli, options: { force?: boolean; addScript?: boolean }): Promise<number> {
  const result = init(process.cwd(), options);
  if (cli.global.json) {
    printJson({ version: 1, command: 'init', file: result.file, engines: result.engines, addedScript: result.addedScript, addedGitignore: result.addedGitignore });
    return ExitCode.ok;
  }
  cli.say(`Wrote ${result.file} with the engines in this order:`);
  for (const line of result.explanation) cli.say(`  ${line}`);
  if (result.addedScript) cli.say('Added "db:migrate": "polymigrate" to package.json scripts.');
  if (result.addedGitignore) cli.say("Added .polymigrate/ (local database servers' data) to .gitignore.");
  cli.say('Next: polymigrate status');
  return ExitCode.ok;
}
