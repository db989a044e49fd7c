import path from 'node:path';
import type { DiscoveredMigration } from '../../src/adapter/contract.js';
import { readMigrationDirectory } from '../../src/discover/read-migration-directory.js';
import { MigrationFileError } from '../../src/errors.js';

/**
 * Payload's migrations, listed the way Payload's readMigrationFiles does, without loading
 * Payload: every `.ts`/`.js` file of the directory except index.ts/index.js (the generated list),
 * sorted by file name, named by the file name before its first dot. The `.json` snapshots beside
 * them are the generator's input, not migrations.
 */
export function discoverPayloadMigrations(dir: string, engine: string): DiscoveredMigration[] {
  const files = readMigrationDirectory(dir, engine)
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
    .sort()
    .filter((file) => (file.endsWith('.ts') || file.endsWith('.js')) && file !== 'index.ts' && file !== 'index.js');
  const seen = new Map<string, string>();
  return files.map((file) => {
    const id = file.split('.')[0]!;
    const clash = seen.get(id);
    if (clash) {
      throw new MigrationFileError(
        path.join(dir, file),
        `has the same migration name "${id}" as ${clash}; Payload would run both under one name.`,
        'Keep one file per migration in the migration directory (compiled .js copies belong elsewhere).',
      );
    }
    seen.set(id, file);
    // Payload migrations always export down(): rollback is native, no file to look for.
    return { id, path: path.join(dir, file), hasDown: true, transactional: true };
  });
}
