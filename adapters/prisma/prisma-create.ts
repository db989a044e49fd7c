import fs from 'node:fs';
import path from 'node:path';
import type { CreatedMigration, CreateOptions } from '../../src/adapter/contract.js';
import { ConfigError } from '../../src/errors.js';
import { snakeName, utcTimestamp } from '../../src/create/migration-name.js';
import { createOnlyArgs } from './prisma-commands.js';
import { runPrismaCli } from './prisma-cli-run.js';
import { downTemplate, migrationTemplate, templateNotes } from './prisma-hints.js';
import { DOWN_FILE, SCRIPT_FILE } from './prisma-migrations-folder.js';
import type { PrismaProject } from './prisma-project.js';

export interface PrismaCreateInput {
  engine: string;
  /** The migrations folder, absolute. */
  dir: string;
  name: string;
  options: CreateOptions;
  project: PrismaProject;
}

/**
 * `polymigrate create prisma NAME`: the project's own `prisma migrate dev --create-only` when
 * Prisma is installed (the SQL comes from the schema diff, the folder name and file from Prisma),
 * else, or with `--empty`, polymigrate's empty migration with instructions. Either way a
 * commented down.sql template is added, and the notes say which of the two happened.
 */
export async function createPrismaMigration(input: PrismaCreateInput): Promise<CreatedMigration> {
  const { project } = input;
  if (input.options.empty) return writeTemplate(input, 'Written by polymigrate (--empty): Prisma was not run.');
  const cli = project.installed?.cli;
  if (!cli) {
    const why = project.installed
      ? `the installed prisma ${project.installed.version} (${project.installed.packageDir}) has no CLI entry file (package.json bin.prisma)`
      : `no node_modules/prisma in ${path.relative(process.cwd(), project.dir) || '.'} or a folder above it`;
    return writeTemplate(input, `Prisma's CLI is not installed for this project (${why}), so polymigrate wrote its empty template instead of running \`prisma migrate dev --create-only\`.`);
  }
  return runPrismaCreate(input, cli);
}

function writeTemplate(input: PrismaCreateInput, how: string): CreatedMigration {
  const { dir, name, project } = input;
  fs.mkdirSync(dir, { recursive: true });
  const id = `${utcTimestamp()}_${snakeName(name)}`;
  const folder = path.join(dir, id);
  if (fs.existsSync(folder)) throw new ConfigError(`${folder} already exists.`, 'Wait a second or choose another name.');
  fs.mkdirSync(folder);
  const script = path.join(folder, SCRIPT_FILE);
  const down = path.join(folder, DOWN_FILE);
  fs.writeFileSync(script, migrationTemplate(name, folder, project));
  fs.writeFileSync(down, downTemplate(id, folder, project));
  return { id, files: [script, down], notes: [how, ...templateNotes(dir, script, down)] };
}

/** The migration folders in `dir` (names), to see which one Prisma added. */
function migrationFolders(dir: string): Set<string> {
  if (!fs.existsSync(dir)) return new Set();
  return new Set(
    fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name),
  );
}

async function runPrismaCreate(input: PrismaCreateInput, cli: string): Promise<CreatedMigration> {
  const { engine, dir, name, project } = input;
  const installed = project.installed!;
  // Without a config file naming the schema, point Prisma at the one beside our migrations: its
  // migrations folder defaults to `<schema folder>/migrations`, which is then ours.
  const schema = !project.config?.schema && fs.existsSync(project.schema) ? project.schema : undefined;
  const args = createOnlyArgs(snakeName(name), project.config?.file, schema);
  const before = migrationFolders(dir);
  const run = await runPrismaCli(cli, args, project.dir);
  const shownArgs = args.map((a) => (path.isAbsolute(a) ? path.relative(project.dir, a) || '.' : a)).join(' ');
  const where = `It ran in ${project.dir} with the project's prisma ${installed.version}.`;
  if (run.code !== 0) {
    throw new ConfigError(
      `${engine}: prisma ${shownArgs} failed (exit ${run.code}):\n${run.output || '(it printed nothing)'}`,
      `${where} For polymigrate's empty template instead: polymigrate create ${engine} ${JSON.stringify(name)} --empty`,
    );
  }
  const created = [...migrationFolders(dir)].filter((id) => !before.has(id) && fs.existsSync(path.join(dir, id, SCRIPT_FILE))).sort();
  const id = created.at(-1);
  if (!id) {
    const elsewhere =
      project.config?.migrations && path.resolve(project.config.migrations) !== path.resolve(dir)
        ? `${project.config.file} puts Prisma's migrations in ${project.config.migrations}, not in ${dir}: make the two agree.`
        : `Check that Prisma's migrations folder (its config's migrations.path, else <schema folder>/migrations) is ${dir}.`;
    throw new ConfigError(`${engine}: prisma ${shownArgs} wrote no migration into ${dir}:\n${run.output}`, `${where} ${elsewhere}`);
  }
  const script = path.join(dir, id, SCRIPT_FILE);
  const down = path.join(dir, id, DOWN_FILE);
  if (!fs.existsSync(down)) fs.writeFileSync(down, downTemplate(id, path.join(dir, id), project));
  return {
    id,
    files: [script, down],
    notes: [
      `Written by the project's Prisma CLI (prisma ${installed.version}): prisma ${shownArgs}. Its output:`,
      ...run.output.split('\n').map((line) => `  ${line}`),
      `${path.relative(process.cwd(), down)} is a template; fill it to make the migration revertible, or delete it.`,
    ],
  };
}
