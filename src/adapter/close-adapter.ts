import type { MigrationAdapter } from './contract.js';

/**
 * Ends what an adapter kept warm for the command (Payload's child process, say). A failure to close
 * is not the command's failure: the command's own outcome is what the caller reports.
 */
export async function closeAdapter(adapter: MigrationAdapter): Promise<void> {
  await adapter.close?.().catch(() => undefined);
}
