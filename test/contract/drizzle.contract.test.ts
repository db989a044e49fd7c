import fs from 'node:fs';
import { createDrizzleAdapter } from '../../adapters/drizzle/drizzle-adapter.js';
import { drizzleProject, writeJournal, type JournalEntrySpec } from '../helpers/drizzle-project.js';
import type { TempProject } from '../helpers/project.js';
import { adapterContract } from '../../src/testing/adapter-contract.js';
import { createTestDatabase } from '../helpers/database.js';

let project: TempProject;

const ENTRIES: JournalEntrySpec[] = [
  {
    idx: 0,
    tag: '0000_accounts',
    when: 1_700_000_000_000,
    sql: 'CREATE TABLE "accounts" ("id" serial PRIMARY KEY);\n--> statement-breakpoint\nCREATE INDEX "accounts_id_idx" ON "accounts" ("id");',
    down: 'DROP TABLE "accounts";\n',
  },
  { idx: 3, tag: '0010_profiles', when: 1_700_000_100_000, sql: 'CREATE TABLE "profiles" ("id" serial PRIMARY KEY, "account_id" integer REFERENCES "accounts"("id"));' },
  { idx: 4, tag: '0002_audit', when: 1_700_000_200_000, sql: 'CREATE TABLE "audit" ("id" bigserial PRIMARY KEY, "at" timestamptz DEFAULT now());', down: 'DROP TABLE "audit";' },
  {
    idx: 7,
    tag: 'tags',
    when: 1_700_000_300_000,
    sql: 'CREATE TABLE "tags" ("id" serial PRIMARY KEY);--> statement-breakpoint\nALTER TABLE "tags" ADD COLUMN "name" text;',
    down: 'DROP TABLE "tags";',
  },
];

adapterContract(
  'drizzle',
  {
    // Journal order is apply order: idx with gaps, tags whose file-name order differs from the
    // journal's (0010 before 0002), one tag without a number (drizzle-kit --prefix none), one without a down.
    expectedOrder: ['0000_accounts', '0010_profiles', '0002_audit', 'tags'],
    revertible: ['0000_accounts', '0002_audit', 'tags'],
    async setup() {
      project = drizzleProject('pm-contract-drizzle-', ENTRIES);
      return createDrizzleAdapter({
        options: { kind: 'drizzle', name: 'drizzle', migrations: project.path('db'), atomic: false, drizzleConfig: project.path('drizzle.config.ts') },
        configDir: project.dir,
        journalSchema: 'polymigrate',
      });
    },
    // No addNonTransactional(): Drizzle runs every migration of a migrate() call inside one
    // transaction, so CREATE INDEX CONCURRENTLY cannot run through it at all (ENGINES.md).
    addFailing() {
      // drizzle-kit's statement breakpoints: the failing statement is the second chunk, on line 3.
      const entry = { idx: 8, tag: '0011_broken', when: 1_700_000_400_000, sql: 'CREATE TABLE "broken" ("id" integer);\n--> statement-breakpoint\nALTER TABLE "brokn" ADD COLUMN "x" text;' };
      writeJournal(project, [...ENTRIES, entry]);
      return { id: '0011_broken', file: project.path('db/0011_broken.sql'), line: 3 };
    },
    modify(id) {
      const file = project.path(`db/${id}.sql`);
      const original = fs.readFileSync(file, 'utf8');
      fs.writeFileSync(file, `${original}\n-- edited after it ran\n`);
      return () => fs.writeFileSync(file, original);
    },
    cleanup: () => project.cleanup(),
  },
  { createDatabase: () => createTestDatabase('contract') },
);
