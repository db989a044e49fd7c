import os from 'node:os';
import type { Queryable } from '../adapter/contract.js';
import { qualified, quoteIdent } from '../db/quote.js';
import { isMissingTable } from '../db/missing-table.js';
import { sqlLiteral } from '../db/sql-literal.js';
import type { JournalStep } from '../plan/plan-down.js';

/**
 * polymigrate's own record of every run and step, in its own schema. It answers "what did the
 * last up do" for the unified `down`, names the holder of a lock, and is an audit trail.
 * No engine depends on it: each engine's history table stays the source of truth.
 */
export interface RunRecord {
  command: string;
  options: Record<string, unknown>;
  version: string;
}

export type StepStatus = 'applied' | 'reverted' | 'failed' | 'interrupted';

export interface StepRecord {
  seq: number;
  engine: string;
  migration: string;
  direction: 'up' | 'down';
  status: StepStatus;
  startedAt: Date;
  durationMs: number;
  error?: string;
}

/** A step row's columns, in the order both ways of writing one (recordStep, stepRowSql) give values. */
const STEP_COLUMNS = '(run_id, seq, engine, migration, direction, status, started_at, duration_ms, error)';

export class Journal {
  readonly runs: string;
  readonly steps: string;
  constructor(readonly schema: string) {
    this.runs = qualified(schema, 'runs');
    this.steps = qualified(schema, 'steps');
  }

  async ensure(db: Queryable): Promise<void> {
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)};
      CREATE TABLE IF NOT EXISTS ${this.runs} (
        id bigserial PRIMARY KEY,
        command text NOT NULL,
        options jsonb NOT NULL DEFAULT '{}',
        host text NOT NULL,
        pid integer NOT NULL,
        version text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        outcome text NOT NULL DEFAULT 'running'
      );
      CREATE TABLE IF NOT EXISTS ${this.steps} (
        run_id bigint NOT NULL REFERENCES ${this.runs}(id) ON DELETE CASCADE,
        seq integer NOT NULL,
        engine text NOT NULL,
        migration text NOT NULL,
        direction text NOT NULL,
        status text NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms integer NOT NULL,
        error text,
        PRIMARY KEY (run_id, seq)
      )`);
  }

  async startRun(db: Queryable, run: RunRecord): Promise<number> {
    const { rows } = await db.query<{ id: string }>(`INSERT INTO ${this.runs} (command, options, host, pid, version) VALUES ($1, $2, $3, $4, $5) RETURNING id`, [
      run.command,
      JSON.stringify(run.options),
      os.hostname(),
      process.pid,
      run.version,
    ]);
    return Number(rows[0]!.id);
  }

  async recordStep(db: Queryable, runId: number, step: StepRecord): Promise<void> {
    await db.query(`INSERT INTO ${this.steps} ${STEP_COLUMNS} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
      runId,
      step.seq,
      step.engine,
      step.migration,
      step.direction,
      step.status,
      step.startedAt,
      Math.round(step.durationMs),
      step.error ?? null,
    ]);
  }

  /**
   * The same row as SQL text, sent with the step's own statements inside its transaction (see
   * src/run/step-pipeline.ts): values are inlined as literals (standard_conforming_strings is on
   * in every supported PostgreSQL), and the start and duration are the server's (the
   * transaction's start, and the time since), because the text is written before the step runs.
   */
  stepRowSql(runId: number, step: Omit<StepRecord, 'durationMs' | 'startedAt'>): string {
    const values = [runId, step.seq, step.engine, step.migration, step.direction, step.status].map(sqlLiteral).join(', ');
    return `INSERT INTO ${this.steps} ${STEP_COLUMNS}
      VALUES (${values}, now(), round(extract(epoch FROM clock_timestamp() - now()) * 1000)::integer, ${sqlLiteral(step.error ?? null)})`;
  }

  /**
   * A statement that fails unless step `seq` of the run has committed (its row is only written in
   * its own transaction): a pipelined step's query starts with it (src/run/step-pipeline.ts). The
   * count is a subquery, so the division happens at run time.
   */
  stepCommittedCheckSql(runId: number, seq: number): string {
    return `SELECT 1 / (SELECT count(*)::integer FROM ${this.steps} WHERE run_id = ${sqlLiteral(runId)} AND seq = ${sqlLiteral(seq)}) AS previous_step_committed`;
  }

  async finishRun(db: Queryable, runId: number, outcome: 'succeeded' | 'failed' | 'refused' | 'interrupted'): Promise<void> {
    await db.query(`UPDATE ${this.runs} SET finished_at = now(), outcome = $2 WHERE id = $1`, [runId, outcome]);
  }

  /** Applied steps of recent `up` runs, newest run first (the planner picks the last one still applied). */
  async recentUpSteps(db: Queryable, runLimit = 50): Promise<JournalStep[]> {
    try {
      const { rows } = await db.query<{ run_id: string; engine: string; migration: string }>(
        `SELECT s.run_id, s.engine, s.migration FROM ${this.steps} s
          WHERE s.direction = 'up' AND s.status = 'applied' AND s.run_id IN (
            SELECT DISTINCT run_id FROM ${this.steps} WHERE direction = 'up' AND status = 'applied'
            ORDER BY run_id DESC LIMIT $1)
          ORDER BY s.run_id DESC, s.seq`,
        [runLimit],
      );
      return rows.map((row) => ({ runId: Number(row.run_id), engine: row.engine, id: row.migration }));
    } catch (error) {
      if (isMissingTable(error)) return [];
      throw error;
    }
  }

  /** The run that is still marked running (the likely lock holder), if any. */
  async runningRuns(db: Queryable): Promise<Array<{ id: number; command: string; host: string; pid: number; startedAt: Date }>> {
    try {
      const { rows } = await db.query<{ id: string; command: string; host: string; pid: number; started_at: Date }>(
        `SELECT id, command, host, pid, started_at FROM ${this.runs} WHERE outcome = 'running' ORDER BY id DESC LIMIT 5`,
      );
      return rows.map((r) => ({ id: Number(r.id), command: r.command, host: r.host, pid: r.pid, startedAt: r.started_at }));
    } catch (error) {
      if (isMissingTable(error)) return [];
      throw error;
    }
  }
}
