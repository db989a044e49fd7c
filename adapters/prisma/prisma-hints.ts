import fs from 'node:fs';
import path from 'node:path';
import { diffDatabaseToSchemaCommand, diffSchemasCommand, shellWord } from './prisma-commands.js';
import type { PrismaProject } from './prisma-project.js';

/** A path as the user, in the folder they ran polymigrate from, would type it. */
function shown(p: string): string {
  return path.relative(process.cwd(), p) || '.';
}

/** `git show REV:PATH` reads PATH from the repository root unless it starts with ./ or ../. */
function gitPath(p: string): string {
  const rel = shown(p);
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** The repository holding `p` (the first folder above it with a .git), if any. */
function gitRoot(p: string): string | undefined {
  for (let dir = path.dirname(p); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Where the schema as it was before `id` is put, and the shell line that puts it there: a single
 * file with `git show`; a folder of .prisma files (Prisma 6.7+ / 7) with `git archive`, run at the
 * repository's root because in a subfolder git archives only that subfolder and refuses `../` paths.
 */
function previousSchema(project: PrismaProject, id: string): { at: string; fetch: string } {
  const rev = `<commit before ${id}>`;
  if (!project.schemaIsFolder) {
    return { at: '/tmp/previous.prisma', fetch: `git show ${rev}:${gitPath(project.schema)} > /tmp/previous.prisma` };
  }
  const root = gitRoot(project.schema);
  const inRepo = (root ? path.relative(root, project.schema) : shown(project.schema)).split(path.sep).join('/');
  const git = root && root !== process.cwd() ? `git -C ${shellWord(shown(root))}` : 'git';
  return {
    at: path.posix.join('/tmp/previous-schema', inRepo),
    fetch: `rm -rf /tmp/previous-schema && mkdir -p /tmp/previous-schema && ${git} archive ${rev} ${shellWord(inRepo)} | tar -x -C /tmp/previous-schema`,
  };
}

/**
 * Prisma has no down migrations. Its documented way to undo one is to diff the current schema
 * against the schema as it was before the migration (docs: orm/v7 and orm/v6 "Generating down
 * migrations"); polymigrate then runs that down.sql and deletes the migration's history rows.
 */
export function prismaRollbackHint(project: PrismaProject, folder: string, id: string): string {
  const down = path.join(folder, 'down.sql');
  const previous = previousSchema(project, id);
  return [
    `Prisma has no down migrations; write ${down} from the schema diff:`,
    `  1. the schema before ${id}: ${previous.fetch}`,
    `  2. ${diffSchemasCommand(project.syntax, project.schema, previous.at)} > ${shellWord(down)}`,
    `  3. review it, then run polymigrate down again (it runs down.sql and deletes ${id}'s _prisma_migrations rows, so Prisma sees it pending).`,
  ].join('\n');
}

/**
 * Paths in the files `create` writes are relative to the folder Prisma runs in (where it finds
 * its config file), as the user types them there.
 */
function inProject(project: PrismaProject, p: string): string {
  return path.relative(project.dir, p).split(path.sep).join('/') || '.';
}

/** `--config` when Prisma, run in the project folder, would not find that config file on its own. */
function configArgument(project: PrismaProject): string | undefined {
  if (!project.config) return undefined;
  const found = ['prisma.config.', '.config/prisma.'].some((start) => inProject(project, project.config!.file).startsWith(start));
  return found ? undefined : inProject(project, project.config.file);
}

/** Where the paths in a template start, said from the migration's own folder (the file moves with the repository, not with a cwd). */
function runFrom(project: PrismaProject, folder: string): string {
  const dir = path.relative(folder, project.dir).split(path.sep).join('/') || '.';
  return `-- (Paths are relative to ${dir} from this folder: run Prisma there${project.config ? `, beside ${path.basename(project.config.file)}` : ''}.)`;
}

export function migrationTemplate(name: string, folder: string, project: PrismaProject): string {
  const diff = diffDatabaseToSchemaCommand(project.syntax, inProject(project, project.schema), configArgument(project));
  return [
    `-- ${name}`,
    '-- Empty migration written by polymigrate. Let Prisma generate the SQL from the schema, e.g.',
    `--   ${diff} >> this file`,
    '-- (against an up-to-date development database), or use `npx prisma migrate dev --create-only`',
    '-- instead and delete this folder.',
    runFrom(project, folder),
    '',
  ].join('\n');
}

export function downTemplate(id: string, folder: string, project: PrismaProject): string {
  const diff = diffSchemasCommand(project.syntax, inProject(project, project.schema), '<schema before this migration>');
  return [
    `-- Reverts ${id} (polymigrate down runs this file, then deletes its _prisma_migrations rows).`,
    `-- Generate it with: ${diff}`,
    '-- While it holds only comments the migration counts as not revertible.',
    runFrom(project, folder),
    '',
  ].join('\n');
}

export function templateNotes(dir: string, script: string, down: string): string[] {
  return [
    `${path.relative(process.cwd(), script)} is empty: polymigrate does not generate Prisma SQL itself. Fill it with \`npx prisma migrate diff ... --script\` (see the comment in the file).`,
    `${path.relative(process.cwd(), down)} is a template; fill it to make the migration revertible, or delete it.`,
    `Migrations folder: ${dir}`,
  ];
}
