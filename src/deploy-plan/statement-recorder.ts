import { diffCatalog, relationRef } from './catalog-diff.js';
import type { Observation } from './catalog-observation.js';
import type { DocumentedLock } from './documented-locks.js';
import { blocksOf } from './lock-modes.js';
import type { ShapedStatement } from './statement-shape.js';
import type { HeldLock, LockFact, LockMode, StatementTrace } from './types.js';

/**
 * Turns (statement, observation) pairs into StatementTraces. It knows nothing about how the
 * statements were run: trace.ts feeds it after each statement it runs itself; a statement captured
 * from a session polymigrate does not drive (Payload's, from the server log) is fed with
 * `unobserved` — or, better, replayed through trace.ts on a scratch database in the state before
 * its migration (captured-log.ts). An in-process hook on another client could feed `ran` with
 * observations made on that client between its statements (observeCatalog on the same connection).
 *
 * It keeps the locks the current transaction holds, so each statement reports only the locks it
 * took itself, plus those it ran under (`holding`): a lock lasts until its transaction ends.
 */
export class StatementRecorder {
  readonly statements: StatementTrace[] = [];
  private previous: Observation;
  private held = new Map<string, HeldLock>();

  constructor(readonly initial: Observation) {
    this.previous = initial;
  }

  /** The observation the next statement starts from. */
  get current(): Observation {
    return this.previous;
  }

  ran(
    shaped: ShapedStatement,
    run: {
      after: Observation;
      durationMs: number;
      rowCount?: number;
      ranIn: NonNullable<StatementTrace['ranIn']>;
      documented?: DocumentedLock[];
      note?: string;
    },
  ): StatementTrace {
    const index = this.statements.length;
    const holding = [...this.held.values()];
    const locks = run.documented
      ? run.documented.flatMap((lock) => this.fact(lock.relation, lock.mode, 'documented'))
      : run.after.locks.filter((l) => !this.held.has(key(l.relation, l.mode))).flatMap((l) => this.fact(l.relation, l.mode, 'observed'));
    if (run.ranIn !== 'outside a transaction') {
      for (const lock of run.after.locks) {
        const fact = this.fact(lock.relation, lock.mode, 'observed')[0];
        if (fact && !this.held.has(key(lock.relation, lock.mode))) this.held.set(key(lock.relation, lock.mode), { ...fact, takenBy: index });
      }
    }
    const trace: StatementTrace = {
      index,
      statement: shaped.statement,
      shape: shaped.shape,
      outcome: 'ran',
      ranIn: run.ranIn,
      durationMs: run.durationMs,
      lockTimeoutMs: this.previous.lockTimeoutMs,
      locks,
      holding,
      changes: diffCatalog(this.initial, this.previous, run.after),
      ...(run.rowCount !== undefined ? { rowCount: run.rowCount } : {}),
      ...(run.note ? { note: run.note } : {}),
    };
    this.previous = run.after;
    this.statements.push(trace);
    return trace;
  }

  failed(shaped: ShapedStatement, error: { message: string; code?: string }, durationMs: number, ranIn: NonNullable<StatementTrace['ranIn']>): StatementTrace {
    return this.push(shaped, 'failed', { error, durationMs, ranIn, holding: [...this.held.values()] });
  }

  /** Not run: transaction control the trace stands in for ('control'), or after a failure ('not-run'). */
  skipped(shaped: ShapedStatement, outcome: 'control' | 'not-run', note?: string): StatementTrace {
    return this.push(shaped, outcome, note ? { note } : {});
  }

  /** Known only by its SQL (captured from a log, not replayed): the rules fall back on the parse tree. */
  unobserved(shaped: ShapedStatement, note?: string): StatementTrace {
    return this.push(shaped, 'ran', note ? { note } : {});
  }

  /** The transaction ended (COMMIT or ROLLBACK): its locks are gone. */
  transactionEnded(after?: Observation): void {
    this.held.clear();
    if (after) this.previous = after;
  }

  private push(shaped: ShapedStatement, outcome: StatementTrace['outcome'], extra: Partial<StatementTrace>): StatementTrace {
    const trace: StatementTrace = {
      index: this.statements.length,
      statement: shaped.statement,
      shape: shaped.shape,
      outcome,
      locks: [],
      holding: [],
      ...extra,
    };
    this.statements.push(trace);
    return trace;
  }

  private fact(relation: number, mode: LockMode, source: LockFact['source']): LockFact[] {
    const ref = relationRef(this.initial, relation);
    return ref ? [{ relation: ref, mode, blocks: blocksOf(mode), source }] : [];
  }
}

function key(relation: number, mode: LockMode): string {
  return `${relation}:${mode}`;
}
