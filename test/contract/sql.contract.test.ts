import fs from 'node:fs';
import { TempProject } from '../helpers/project.js';
import { createSqlAdapter } from '../../adapters/sql/sql-adapter.js';
import { adapterContract } from '../../src/testing/adapter-contract.js';
import { createTestDatabase } from '../helpers/database.js';

let project: TempProject;

adapterContract(
  'sql',
  {
    // Gaps in versions, one without a down, and files written out of order.
    expectedOrder: ['1_accounts', '3_profiles', '10_audit', '20260101000000_tags'],
    revertible: ['1_accounts', '10_audit', '20260101000000_tags'],
    async setup() {
      project = new TempProject('pm-contract-sql-');
      project.write('db/20260101000000_tags.sql', 'CREATE TABLE tags (id serial PRIMARY KEY, name text);\n-- migrate:down\nDROP TABLE tags;\n');
      project.write('db/10_audit.sql', 'CREATE TABLE audit (id bigserial PRIMARY KEY, at timestamptz DEFAULT now());\n');
      project.write('db/10_audit.down.sql', 'DROP TABLE audit;\n');
      project.write('db/3_profiles.sql', 'CREATE TABLE profiles (id serial PRIMARY KEY, account_id int REFERENCES accounts(id));\n');
      project.write('db/1_accounts.sql', 'CREATE TABLE accounts (id serial PRIMARY KEY);\n-- migrate:down\nDROP TABLE accounts;\n');
      return createSqlAdapter({
        options: { kind: 'sql', name: 'sql', migrations: project.path('db'), history: 'polymigrate' },
        configDir: project.dir,
        journalSchema: 'polymigrate',
      });
    },
    addFailing() {
      const file = project.write('db/30_broken.sql', 'CREATE TABLE broken_ok (id int);\n\nSELECT 1 / 0;\n-- migrate:down\nDROP TABLE broken_ok;\n');
      return { id: '30_broken', file, line: 3 };
    },
    modify(id) {
      const file = project.path(`db/${id}.sql`);
      const original = fs.readFileSync(file, 'utf8');
      fs.writeFileSync(file, `${original}-- edited after it ran\n`);
      return () => fs.writeFileSync(file, original);
    },
    addNonTransactional() {
      project.write('db/25_accounts_index.sql', '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY accounts_id_idx ON accounts (id);\n');
      return { id: '25_accounts_index' };
    },
    cleanup: () => project.cleanup(),
  },
  { createDatabase: () => createTestDatabase('contract') },
);
