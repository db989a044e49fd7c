import { defineConfig } from 'drizzle-kit';

// Run from the repository root:
//   DATABASE_URL=postgres://... npx drizzle-kit generate --config drizzle/drizzle.config.ts --name <name>
//   DATABASE_URL=postgres://... npx drizzle-kit migrate  --config drizzle/drizzle.config.ts
// drizzle-kit resolves `schema` and `out` against the current working directory, not this file.
export default defineConfig({
  dialect: 'postgresql',
  schema: './drizzle/schema.ts',
  out: './drizzle/migrations',
  dbCredentials: {
    url: process.env.DATABASE_URL ?? '',
  },
});
