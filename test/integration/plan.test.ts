import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/database.js';
import { PAYLOAD_TEST_SECRET } from '../helpers/payload-project.js';
import type { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';
import { exampleProject } from '../helpers/shadow-project.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';

const PAYLOAD_ID = '20261123_000000_herb_notes';
const REPORTING_ID = '20260124000000_kpi_value_index';

/** A Payload migration written as Payload writes them: its SQL is only known from what Payload sends. */
const PAYLOAD_MIGRATION = `import { MigrateUpArgs, MigrateDownArgs, sql } from '@payloadcms/db-postgres'

export async function up({ db }: MigrateUpArgs): Promise<void> {
  await db.execute(sql\`
   ALTER TABLE "herbs" ADD COLUMN "notes" varchar;
  CREATE INDEX "herbs_notes_idx" ON "herbs" USING btree ("notes");\`)
}

export async function down({ db }: MigrateDownArgs): Promise<void> {
  await db.execute(sql\`
   DROP INDEX "herbs_notes_idx";
  ALTER TABLE "herbs" DROP COLUMN "notes";\`)
}
`;

interface PlanJson {
  command: string;
  risk: { level: string };
  live?: { queries: number; relations: Array<{ schema: string; name: string; rows?: number }> };
  migrations: Array<{
    engine: string;
    id: string;
    risk: { level: string };
    rollback: { strategy: string };
    objects: { created: string[]; altered: string[]; dropped: string[] };
    trace: { notes: string[] };
    statements: Array<{ sql: string; locks: Array<{ relation: string; mode: string; source: string }>; findings: Array<{ code: string; level: string; ignored?: unknown }> }>;
  }>;
}

/**
 * The example project (Prisma, Drizzle, Payload, SQL), all applied on the live database, then two
 * pending migrations: a Payload one (analysed from the SQL Payload sends to the shadow) and a SQL
 * one that indexes a live table of 200,000 rows without CONCURRENTLY.
 */
describe('polymigrate plan (the example project, two pending migrations)', () => {
  let project: TempProject;
  let live: Awaited<ReturnType<typeof createTestDatabase>>;
  const env = () => ({ DATABASE_URL: live.url, PAYLOAD_SECRET: PAYLOAD_TEST_SECRET });
  const cli = (args: string[], extra = 0) => runCli(args, { cwd: project.dir, env: env(), timeoutMs: budget(STEP_MS.payload * (1 + extra) + STEP_MS.server + STEP_MS.cli) });

  beforeAll(
    async () => {
      live = await createTestDatabase('planlive');
      project = exampleProject('pm-plan-');
      const up = await cli(['up']);
      expect(up.code, up.stderr).toBe(0);
      await query(
        live.url,
        `INSERT INTO reporting.kpi_definitions (key, label) VALUES ('signups', 'Sign-ups') ON CONFLICT DO NOTHING;
      INSERT INTO reporting.kpi_snapshots (kpi_key, day, value) SELECT 'signups', date '1500-01-01' + i, i FROM generate_series(1, 200000) AS i;
      ANALYZE reporting.kpi_snapshots`,
      );
      project.write(`payload/migrations/${PAYLOAD_ID}.ts`, PAYLOAD_MIGRATION);
      const index = project.read('payload/migrations/index.ts');
      project.write(
        'payload/migrations/index.ts',
        index
          .replace(/^(import .*\n)(?!import)/m, `$1import * as migration_${PAYLOAD_ID} from './${PAYLOAD_ID}';\n`)
          .replace(/\];\s*$/, `  {\n    up: migration_${PAYLOAD_ID}.up,\n    down: migration_${PAYLOAD_ID}.down,\n    name: '${PAYLOAD_ID}',\n  },\n];\n`),
      );
      project.write(`sql/reporting/${REPORTING_ID}.sql`, 'CREATE INDEX kpi_snapshots_value_idx ON reporting.kpi_snapshots (value);\n');
    },
    testBudget({ payload: 1, cli: 1, query: 2 }),
  );

  afterAll(
    async () => {
      await live?.drop();
      project?.cleanup();
    },
    testBudget({ query: 2 }),
  );

  it(
    "--json: each pending migration with its statements and findings, Payload's from the SQL it sent, sized by the live catalog",
    async () => {
      const result = await cli(['plan', '--json'], 1);
      expect(result.code, result.stderr).toBe(0);
      const doc = JSON.parse(result.stdout) as PlanJson;
      expect(doc.command).toBe('plan');
      expect(doc.migrations.map((m) => `${m.engine}:${m.id}`)).toEqual([`payload:${PAYLOAD_ID}`, `reporting:${REPORTING_ID}`]);
      const [payload, reporting] = doc.migrations as [PlanJson['migrations'][number], PlanJson['migrations'][number]];
      const payloadIndex = payload.statements.find((s) => /CREATE INDEX "herbs_notes_idx"/.test(s.sql));
      expect(payloadIndex, JSON.stringify(payload.statements.map((s) => s.sql))).toBeDefined();
      expect(payloadIndex!.findings.map((f) => f.code)).toContain('PM101');
      // What Payload sent is run again through the trace on a copy of the state before it: its locks are observed, not guessed.
      const payloadAlter = payload.statements.find((s) => /ALTER TABLE "herbs" ADD COLUMN "notes"/.test(s.sql))!;
      expect(payloadAlter.locks).toContainEqual(expect.objectContaining({ relation: 'public.herbs', mode: 'AccessExclusiveLock', source: 'observed' }));
      expect(payloadIndex!.locks).toContainEqual(expect.objectContaining({ relation: 'public.herbs', mode: 'ShareLock', source: 'observed' }));
      expect(payload.trace.notes.join('\n')).toMatch(/captured from the server's log\), run again on a copy/);
      expect(payload.rollback.strategy).toBe('native');
      const reportingIndex = reporting.statements.find((s) => /kpi_snapshots_value_idx/.test(s.sql))!;
      expect(reportingIndex.findings.map((f) => f.code)).toContain('PM101');
      expect(reporting.rollback.strategy).toBe('none');
      // What each does: from the trace's catalog changes (SQL), from the schema before and after (Payload's own run).
      expect(reporting.objects.created).toContain('index reporting.kpi_snapshots_value_idx');
      expect(payload.objects.created).toEqual(expect.arrayContaining(['column public.herbs.notes', 'index public.herbs_notes_idx']));
      const snapshots = doc.live!.relations.find((r) => r.schema === 'reporting' && r.name === 'kpi_snapshots');
      expect(snapshots?.rows).toBeGreaterThan(150_000);
      expect(['medium', 'high', 'critical']).toContain(reporting.risk.level);
      expect(doc.live!.queries, 'the live database sees a fixed number of catalog reads').toBeLessThanOrEqual(3);
    },
    testBudget({ payload: 2, server: 1, cli: 1 }),
  );

  it(
    'the live database is only read: the pending migrations are still pending, nothing they make exists there',
    async () => {
      const status = await cli(['status', '--json']);
      expect(status.code).toBe(3);
      expect((JSON.parse(status.stdout) as { pending: number }).pending).toBe(2);
      const made = await query(
        live.url,
        `SELECT 1 FROM pg_indexes WHERE indexname IN ('herbs_notes_idx', 'kpi_snapshots_value_idx')
      UNION ALL SELECT 1 FROM information_schema.columns WHERE table_name = 'herbs' AND column_name = 'notes'`,
      );
      expect(made).toEqual([]);
    },
    testBudget({ cli: 1, query: 1 }),
  );

  it(
    '--format markdown: the deploy report with its sections and the findings; --fail-on exits 4 when a finding reaches the level',
    async () => {
      const markdown = await cli(['plan', '--format', 'markdown'], 1);
      expect(markdown.code, markdown.stderr).toBe(0);
      for (const heading of ['## Deploy plan', '### Pending migrations', '### Safety analysis', '### Expected lock windows', '### Rollback strategy', '### After the deploy']) {
        expect(markdown.stdout).toContain(heading);
      }
      expect(markdown.stdout).toContain('PM101');
      expect(markdown.stdout).toContain(REPORTING_ID);
      expect(markdown.stdout).toContain('polymigrate verify');
      const bogus = await cli(['plan', '--fail-on', 'severe']);
      expect(bogus.code, 'an unknown level is a usage error, before any work').toBe(2);
      expect(bogus.stderr).toMatch(/--fail-on.*severe.*low, medium, high, critical/s);
      const failing = await cli(['plan', '--fail-on', 'low'], 1);
      expect(failing.code, failing.stderr).toBe(4);
      expect(failing.stderr).toMatch(/--fail-on low: \d+ finding\(s\) at low or above/);
    },
    testBudget({ payload: 4, server: 2, cli: 2 }),
  );
});
