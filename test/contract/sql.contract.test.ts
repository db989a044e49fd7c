import { TempProject } from '../helpers/project.js';
import { createSqlAdapter } from '../../adapters/sql/sql-adapter.js';
import { adapterContract } from './adapter-contract.js';

let project: TempProject;

adapterContract('sql', {
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
  cleanup: () => project.cleanup(),
});
