import path from 'node:path';
import { ExitCode } from '../../errors.js';
import { create } from '../../operations/create.js';
import type { Cli } from '../cli-context.js';
import { printJson } from '../output/json-report.js';

export async function createCommand(cli: Cli, engine: string, name: string, options: { empty?: boolean }): Promise<number> {
  const session = await cli.session();
  const created = await create(session, engine, name, options.empty ? { empty: true } : {});
  if (cli.global.json) {
    printJson({ version: 1, command: 'create', engine, ...created });
  } else {
    cli.say(`Created ${engine} migration ${created.id}:`);
    for (const file of created.files) cli.say(`  ${path.relative(process.cwd(), file) || file}`);
    for (const note of created.notes ?? []) cli.say(cli.style.dim(note));
  }
  return ExitCode.ok;
}
