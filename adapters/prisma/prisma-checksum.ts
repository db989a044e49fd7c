import { hash } from 'node:crypto';

/** Prisma's checksum: SHA-256 of migration.sql's bytes, lowercase hex (64 characters). */
export function prismaChecksum(script: Buffer | string): string {
  return hash('sha256', script, 'hex');
}

/**
 * Every checksum Prisma accepts as "this file, unedited": the file as it is, and the file with
 * its line endings converted either way, because a checkout on another OS (git autocrlf) rewrites
 * line endings without anyone editing the migration.
 */
export function acceptedPrismaChecksums(script: Buffer): string[] {
  const text = script.toString('utf8');
  const lf = text.replace(/\r\n/g, '\n');
  const crlf = lf.replace(/\n/g, '\r\n');
  return [...new Set([prismaChecksum(script), prismaChecksum(lf), prismaChecksum(crlf)])];
}
