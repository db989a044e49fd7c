import { defineConfig } from 'polymigrate';

// The example project used by `npm run demo`, the docs and the tests: several engines sharing
// one PostgreSQL database. Paths are relative to this file.
export default defineConfig({
  engines: [
    { kind: 'prisma', migrations: 'prisma/migrations' },
    { kind: 'sql', name: 'reporting', migrations: 'sql/reporting' },
  ],
});
