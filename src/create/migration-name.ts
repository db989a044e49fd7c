import { ConfigError } from '../errors.js';

/** UTC `yyyyMMddHHmmss`, the version prefix Prisma, Supabase and drizzle-kit 1.0 use. */
export function utcTimestamp(date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` + `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`;
}

/** "Add users table" → "add_users_table"; refuses names that leave nothing usable. */
export function snakeName(name: string): string {
  const snake = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!snake) {
    throw new ConfigError(`Migration name "${name}" has no letters or digits to build a file name from.`, 'Use a short description such as add_users_table.');
  }
  return snake;
}
