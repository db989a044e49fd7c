import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Measured facts of the reliability tests, one JSON file per test file in
 * test/reliability/results/ (files run in parallel, so they never share one). The README's
 * "Reliability" section is rendered from these by scripts/reliability-report.mjs — never typed.
 */
export const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

export interface ResultRow {
  /** What was tried, in words. */
  case: string;
  /** What held (or the measured figure). */
  held: string;
  /** Exit code(s) observed, when the case is about one. */
  exit?: number | string;
  /** Measured time, ms. */
  ms?: number;
}

export interface ResultSection {
  /** Sort key and heading. */
  order: number;
  title: string;
  /** One or two sentences: what the test does. */
  summary: string;
  rows: ResultRow[];
  /** Figures that are not rows (concurrency level, number of trials…). */
  facts?: Record<string, string | number>;
  /** Sentences printed under the table (a recipe, a caveat). */
  notes?: string[];
}

/** Collects rows while a file runs; `save()` (in afterAll) writes them only when every row passed. */
export class ResultRecorder {
  private readonly rows: ResultRow[] = [];
  private readonly facts: Record<string, string | number> = {};
  constructor(
    private readonly file: string,
    private readonly section: Omit<ResultSection, 'rows' | 'facts'>,
  ) {}

  row(row: ResultRow): void {
    this.rows.push(row);
  }

  fact(key: string, value: string | number): void {
    this.facts[key] = value;
  }

  /**
   * Written only when the file's tests all passed (a failed run must not publish figures), and
   * only when asked (`npm run reliability`): a plain `npm test` leaves the tracked results alone.
   */
  save(allPassed: boolean): void {
    if (!process.env.POLYMIGRATE_RECORD_RELIABILITY) return;
    if (!allPassed || this.rows.length === 0) return;
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const doc: ResultSection & { measuredOn: string } = {
      ...this.section,
      facts: { ...this.facts },
      rows: this.rows,
      measuredOn: `${os.platform()} ${os.arch()}, ${os.cpus().length} CPU, Node ${process.versions.node}`,
    };
    const target = path.join(RESULTS_DIR, `${this.file}.json`);
    fs.writeFileSync(`${target}.tmp`, `${JSON.stringify(doc, null, 2)}\n`);
    fs.renameSync(`${target}.tmp`, target);
  }
}
