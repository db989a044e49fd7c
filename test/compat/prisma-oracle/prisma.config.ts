// Prisma CLI config for the offline test oracle (see test/compat/prisma-oracle.ts): the JS/WASM
// schema engine with the pg driver adapter, because the native engine binary would be downloaded
// at first run. The schema is always passed with --schema.
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  async adapter() {
    // allowExitOnIdle: an idle pool must not keep the CLI alive after it has answered.
    return new PrismaPg({ connectionString: process.env.DATABASE_URL!, allowExitOnIdle: true });
  },
});
