import fs from 'node:fs';
import path from 'node:path';
import type { DetectedEngine, DetectionFolder } from '../../src/adapter/descriptor.js';
import { prismaConfigIn, prismaProjectDir, readPrismaConfigLiterals, type PrismaConfigFile } from './prisma-config-file.js';

/**
 * `init`: a Prisma project in one package folder. A Prisma config file (Prisma 7 always has one;
 * 6.x may) says where the migrations are; read literally, never run: init does not execute
 * project code. Without one, Prisma's conventional places: `prisma/schema.prisma` with
 * `prisma/migrations`, a `prisma/schema/` folder of .prisma files, or `schema.prisma` at the root.
 */
export function detectPrisma({ dir, rel }: DetectionFolder): DetectedEngine[] {
  const configFile = prismaConfigIn(dir);
  if (configFile) {
    const config = readable(configFile);
    const migrations = config?.migrations ?? migrationsOfSchema(config?.schema) ?? conventionalMigrations(prismaProjectDir(configFile));
    return [{ kind: 'prisma', name: 'prisma', migrations: rel(migrations), extra: { prismaConfig: rel(configFile) }, evidence: rel(configFile) }];
  }
  const migrations = foundMigrations(dir);
  return migrations ? [{ kind: 'prisma', name: 'prisma', migrations: rel(migrations), extra: {}, evidence: rel(path.dirname(migrations)) }] : [];
}

function readable(file: string): PrismaConfigFile | undefined {
  try {
    return readPrismaConfigLiterals(file);
  } catch {
    return undefined;
  }
}

/** Prisma's default migrations folder for a schema: `<folder of the schema file>/migrations`, or `<schema folder>/migrations`. */
function migrationsOfSchema(schema: string | undefined): string | undefined {
  if (!schema) return undefined;
  return path.join(isFolder(schema) ? schema : path.dirname(schema), 'migrations');
}

/** Where Prisma keeps migrations in a folder without a Prisma config, when something says Prisma is there. */
function foundMigrations(dir: string): string | undefined {
  const prisma = path.join(dir, 'prisma');
  const migrations = path.join(prisma, 'migrations');
  if (fs.existsSync(path.join(prisma, 'schema.prisma')) || fs.existsSync(migrations)) return migrations;
  const folder = path.join(prisma, 'schema');
  if (isFolder(folder) && fs.readdirSync(folder).some((name) => name.endsWith('.prisma'))) return path.join(folder, 'migrations');
  if (fs.existsSync(path.join(dir, 'schema.prisma'))) return path.join(dir, 'migrations');
  return undefined;
}

function conventionalMigrations(dir: string): string {
  return foundMigrations(dir) ?? path.join(dir, 'prisma', 'migrations');
}

function isFolder(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
