import type { EngineDescriptor } from './descriptor.js';
import { prismaDescriptor } from '../../adapters/prisma/descriptor.js';
import { payloadDescriptor } from '../../adapters/payload/descriptor.js';
import { drizzleDescriptor } from '../../adapters/drizzle/descriptor.js';
import { sqlDescriptor } from '../../adapters/sql/descriptor.js';

export type { AdapterEnvironment } from './descriptor.js';

/**
 * The engine kinds polymigrate ships: one descriptor per adapters/<kind>/ folder, each holding
 * all that engine knows. Custom engines are adapter objects in the config.
 */
export const ENGINE_DESCRIPTORS: readonly EngineDescriptor[] = [sqlDescriptor, drizzleDescriptor, prismaDescriptor, payloadDescriptor];

export function engineDescriptor(kind: string): EngineDescriptor | undefined {
  return ENGINE_DESCRIPTORS.find((d) => d.kind === kind);
}

export function engineKindNames(): string[] {
  return ENGINE_DESCRIPTORS.map((d) => d.kind);
}
