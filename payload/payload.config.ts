import { postgresAdapter } from '@payloadcms/db-postgres';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConfig } from 'payload';

// Example Payload project used by polymigrate's tests.
// Migrations live in ./migrations next to this file (absolute path, so the cwd does not matter).
const dirname = path.dirname(fileURLToPath(import.meta.url));

export default buildConfig({
  secret: process.env.PAYLOAD_SECRET ?? '',
  db: postgresAdapter({
    pool: { connectionString: process.env.DATABASE_URL },
    migrationDir: path.resolve(dirname, 'migrations'),
  }),
  // No Next.js, no generated types, no network calls.
  typescript: { autoGenerate: false },
  telemetry: false,
  collections: [
    {
      slug: 'users',
      auth: true,
      fields: [],
    },
    {
      slug: 'herbs',
      fields: [
        { name: 'name', type: 'text', required: true },
        { name: 'latinName', type: 'text' },
        { name: 'nature', type: 'select', options: ['cold', 'cool', 'neutral', 'warm', 'hot'] },
      ],
    },
    {
      slug: 'formulas',
      fields: [
        { name: 'name', type: 'text', required: true },
        { name: 'herbs', type: 'relationship', relationTo: 'herbs', hasMany: true },
      ],
    },
    {
      slug: 'practitioners',
      fields: [
        { name: 'name', type: 'text', required: true },
        { name: 'email', type: 'email' },
        { name: 'formulas', type: 'relationship', relationTo: 'formulas', hasMany: true },
      ],
    },
    {
      slug: 'articles',
      versions: { drafts: true },
      fields: [
        { name: 'title', type: 'text', required: true },
        { name: 'body', type: 'textarea' },
      ],
    },
  ],
});
