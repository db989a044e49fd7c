import fs from 'node:fs';
import path from 'node:path';
import type { EngineDescriptor } from '../../src/adapter/descriptor.js';
import { sqlEngineSchema } from './config.js';

export const sqlDescriptor: EngineDescriptor = {
  kind: 'sql',
  optionsSchema: sqlEngineSchema,
  create: async (env) => (await import('./sql-adapter.js')).createSqlAdapter(env),
  initRank: 3,
  detect({ dir, rel }) {
    // Supabase's folder; its CLI keeps its own history, which this engine then writes.
    const supabase = path.join(dir, 'supabase', 'migrations');
    if (!fs.existsSync(supabase)) return [];
    return [{ kind: 'sql', name: 'supabase', migrations: rel(supabase), extra: { history: 'supabase' }, evidence: rel(supabase) }];
  },
};
