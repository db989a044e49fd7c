import type { CreatedMigration, CreateOptions } from '../adapter/contract.js';
import type { Session } from '../session.js';

/** Write a new migration in the engine's own conventions. Never touches the database. */
export async function create(session: Session, engine: string, name: string, options: CreateOptions = {}): Promise<CreatedMigration> {
  const adapter = await session.adapter(engine);
  return adapter.source.create(name, options);
}
