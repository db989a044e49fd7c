import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { POLYMIGRATE_LOCK_KEY } from '../../src/lock/advisory-lock.js';
import { adminUrl, query, serverPassword, withClient } from '../helpers/database.js';
import { TempProject } from '../helpers/project.js';
import { CLI, REPO_ROOT } from '../helpers/run-cli.js';
import { budget, STEP_MS } from '../helpers/time-budget.js';

/** The example project's migrations, per engine, in apply order (checked against the disk below). */
export const PRISMA_IDS = fs
  .readdirSync(path.join(REPO_ROOT, 'prisma/migrations'), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
export const DRIZZLE_TAGS = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'drizzle/migrations/meta/_journal.json'), 'utf8')) as { entries: Array<{ tag: string }> }).entries.map(
  (e) => e.tag,
);
export const REPORTING_IDS = fs
  .readdirSync(path.join(REPO_ROOT, 'sql/reporting'))
  .filter((f) => f.endsWith('.sql') && !f.endsWith('.down.sql'))
  .map((f) => f.slice(0, -4))
  .sort();

export interface ExampleOptions {
  /** Extra files for the reporting SQL folder of the copy (name → content), e.g. a slow migration. */
  reporting?: Record<string, string>;
  /** Extra polymigrate config keys. */
  config?: Record<string, unknown>;
}

/**
 * The repository's example project (prisma → drizzle → sql "reporting") copied into a temp
 * folder, with node_modules linked (drizzle.config.ts imports drizzle-kit) and a JSON config
 * listing the three engines as polymigrate.config.ts does.
 */
export function exampleProject(prefix: string, options: ExampleOptions = {}): TempProject {
  const project = new TempProject(prefix);
  for (const dir of ['prisma', 'drizzle', 'sql/reporting']) {
    fs.cpSync(path.join(REPO_ROOT, dir), project.path(dir), { recursive: true });
  }
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), project.path('node_modules'), 'dir');
  for (const [name, content] of Object.entries(options.reporting ?? {})) project.write(`sql/reporting/${name}`, content);
  project.config({
    ...options.config,
    engines: [
      { kind: 'prisma', migrations: 'prisma/migrations' },
      { kind: 'drizzle', migrations: 'drizzle/migrations', drizzleConfig: 'drizzle/drizzle.config.ts' },
      { kind: 'sql', name: 'reporting', migrations: 'sql/reporting' },
    ],
  });
  return project;
}

/** How many history rows each engine holds: what "applied exactly once" is checked against. */
export async function historyCounts(url: string): Promise<{ prisma: number; drizzle: number; reporting: number }> {
  return withClient(url, async (c) => {
    const count = async (sql: string) => {
      try {
        return Number((await c.query<{ n: string }>(sql)).rows[0]!.n);
      } catch (error) {
        if ((error as { code?: string }).code === '42P01') return 0;
        throw error;
      }
    };
    return {
      prisma: await count('SELECT count(*) AS n FROM _prisma_migrations'),
      drizzle: await count('SELECT count(*) AS n FROM drizzle.__drizzle_migrations'),
      reporting: await count(`SELECT count(*) AS n FROM polymigrate.sql_migrations WHERE engine = 'reporting'`),
    };
  });
}

/** What each engine's own history table says, as [engine, id, state] — the truth `status` must tell. */
export async function historyTruth(url: string): Promise<Array<[string, string, string]>> {
  return withClient(url, async (c) => {
    const out: Array<[string, string, string]> = [];
    const rows = async (sql: string) => {
      try {
        return (await c.query(sql)).rows;
      } catch (error) {
        if ((error as { code?: string }).code === '42P01' || (error as { code?: string }).code === '3F000') return [];
        throw error;
      }
    };
    for (const r of await rows(`SELECT migration_name, finished_at IS NOT NULL AS done FROM _prisma_migrations WHERE rolled_back_at IS NULL ORDER BY 1`)) {
      out.push(['prisma', r.migration_name, r.done ? 'applied' : 'failed']);
    }
    // Drizzle identifies rows by created_at = the journal's `when`.
    const journal = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'drizzle/migrations/meta/_journal.json'), 'utf8')) as { entries: Array<{ tag: string; when: number }> };
    for (const r of await rows('SELECT created_at FROM drizzle.__drizzle_migrations ORDER BY created_at')) {
      const entry = journal.entries.find((e) => e.when === Number(r.created_at));
      out.push(['drizzle', entry?.tag ?? `unknown ${r.created_at}`, 'applied']);
    }
    for (const r of await rows(`SELECT id, finished_at IS NOT NULL AS done FROM polymigrate.sql_migrations WHERE engine = 'reporting' ORDER BY id`)) {
      out.push(['reporting', r.id, r.done ? 'applied' : 'failed']);
    }
    return out;
  });
}

/** `polymigrate status --json`, reduced to the non-pending migrations as [engine, id, state]. */
export function statusTruth(doc: { engines: Array<{ name: string; migrations: Array<{ id: string; state: string }> }> }): Array<[string, string, string]> {
  return doc.engines
    .flatMap((e) => e.migrations.filter((m) => m.state !== 'pending').map((m) => [e.name, m.id, m.state] as [string, string, string]))
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : 0));
}

/**
 * A snapshot of the database that two runs of the same migrations must share byte for byte:
 * every schema, column, index, constraint, function, view and sequence, and each engine's history
 * rows without what differs between runs (uuids, serial ids, timestamps, durations, logs).
 * polymigrate's own journal (runs/steps) is left out: it records when and where, not what.
 */
export async function normalisedSnapshot(url: string): Promise<string> {
  return withClient(url, async (c) => {
    const parts: Record<string, unknown> = {};
    const q = async (key: string, sql: string) => {
      try {
        parts[key] = (await c.query(sql)).rows;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== '42P01' && code !== '3F000') throw error;
        parts[key] = 'absent';
      }
    };
    const userSchemas = `NOT IN ('pg_catalog','information_schema','pg_toast')`;
    await q('schemas', `SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'information_schema' ORDER BY 1`);
    await q(
      'columns',
      `SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
             WHERE table_schema ${userSchemas} ORDER BY 1,2,3`,
    );
    await q(
      'indexes',
      `SELECT n.nspname, c.relname, i.indisvalid, i.indisready, pg_get_indexdef(i.indexrelid) AS def
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname ${userSchemas} ORDER BY 1,2`,
    );
    await q(
      'constraints',
      `SELECT n.nspname, conname, pg_get_constraintdef(con.oid) AS def FROM pg_constraint con
             JOIN pg_namespace n ON n.oid = con.connamespace WHERE n.nspname ${userSchemas} ORDER BY 1,2,3`,
    );
    await q(
      'functions',
      `SELECT n.nspname, p.proname, pg_get_functiondef(p.oid) AS def FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname ${userSchemas} ORDER BY 1,2`,
    );
    await q('views', `SELECT schemaname, viewname, definition FROM pg_views WHERE schemaname ${userSchemas} ORDER BY 1,2`);
    await q(
      'types',
      `SELECT n.nspname, t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels FROM pg_type t
             JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY 1,2 ORDER BY 1,2`,
    );
    await q('sequences', `SELECT schemaname, sequencename FROM pg_sequences ORDER BY 1,2`);
    await q(
      'prisma',
      `SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back,
             applied_steps_count, logs FROM _prisma_migrations ORDER BY migration_name, started_at`,
    );
    await q('drizzle', `SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY created_at`);
    await q('sql', `SELECT engine, id, checksum, finished_at IS NOT NULL AS finished FROM polymigrate.sql_migrations ORDER BY 1,2`);
    await q('kpis', `SELECT key, label, unit FROM reporting.kpi_definitions ORDER BY 1`);
    return JSON.stringify(parts, null, 1);
  });
}

/** Sessions holding polymigrate's (or another) advisory lock in this database right now (pg_locks lists every database's). */
export async function advisoryHolders(url: string, key = POLYMIGRATE_LOCK_KEY): Promise<number[]> {
  return withClient(url, async (c) =>
    (
      await c.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid::text = $1 AND objid::text = $2
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [(key >> 32n).toString(), (key & 0xffffffffn).toString()],
      )
    ).rows.map((r) => r.pid),
  );
}

/**
 * Wait until no session of the test database holds `key` (PostgreSQL notices a dead client within
 * moments); returns how long that took, or -1 when it still was held after `timeoutMs`.
 */
export async function waitForNoHolder(url: string, key = POLYMIGRATE_LOCK_KEY, timeoutMs = budget(STEP_MS.query)): Promise<number> {
  const started = Date.now();
  for (;;) {
    if ((await advisoryHolders(url, key)).length === 0) return Date.now() - started;
    if (Date.now() - started > timeoutMs) return -1;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * How many advisory locks sessions of `database` still hold once the clients that ended are gone:
 * PostgreSQL notices a closed client a moment after it exits, so this waits for the count to reach 0,
 * up to `timeoutMs`; a lock a pooled server session keeps stays, and is counted then.
 */
export async function advisoryLocksLeft(database: string, timeoutMs = budget(5_000)): Promise<number> {
  const sql = `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = $1)`;
  const started = Date.now();
  for (;;) {
    const n = (await query<{ n: number }>(adminUrl(), sql, [database]))[0]!.n;
    if (n === 0 || Date.now() - started > timeoutMs) return n;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface SpawnedCli {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/**
 * Start the built CLI without waiting for it (runCli waits): the crash and fault tests need the
 * process handle to kill it, or to start the database while it waits. Output is still checked
 * for the database password (and `secrets`) when it ends. Killed after `timeoutMs` (default: the
 * budget of one fast-engine run), saying so on its stderr, so that a run that hangs fails its test
 * with its output rather than running into the test's timeout.
 */
export function spawnCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined>; secrets?: string[]; timeoutMs?: number }): SpawnedCli {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...options.env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const timeoutMs = options.timeoutMs ?? budget(STEP_MS.cli);
  const timer = setTimeout(() => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // The arguments may hold a URL with a password (--shadow-url): masked, or the secrets check would fail too.
    const shown = args.join(' ').replace(/(:\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@');
    stderr += `\n[test] polymigrate ${shown} was still running after ${timeoutMs} ms (its budget): killed\n`;
    child.kill('SIGKILL');
  }, timeoutMs);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const secret of [serverPassword(), ...(options.secrets ?? [])]) {
        expect(stdout, 'stdout must not contain a secret').not.toContain(secret);
        expect(stderr, 'stderr must not contain a secret').not.toContain(secret);
      }
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, output: () => ({ stdout, stderr }), done };
}

/** Every line of `--log-format json` output must parse, and none may carry a secret. */
export function jsonLogLines(stderr: string, secrets: string[] = []): Array<Record<string, unknown>> {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  return lines.map((line) => {
    for (const secret of [serverPassword(), ...secrets]) expect(line).not.toContain(secret);
    return JSON.parse(line) as Record<string, unknown>;
  });
}
