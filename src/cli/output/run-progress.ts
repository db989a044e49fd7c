import type { Plan, PlannedStep } from '../../plan/plan-types.js';
import type { StepResult } from '../../run/step-result.js';
import type { Cli } from '../cli-context.js';
import type { LiveProgress } from './live-progress.js';
import type { ProgressState } from './progress-line.js';
import { leavesRecord, wantsLiveProgress } from './progress-policy.js';

/**
 * The live progress line of `up`/`down`, between the run's events and the CLI's output. Once the
 * plan qualifies (progress-policy.ts) it takes over the CLI's human output for the run: a step
 * that finished quickly only moves the line on, a failed, stopped or slow step prints its usual
 * line, and everything else printed meanwhile (warnings, an engine's output, the Ctrl-C notice)
 * is written above the line. `stop()` hands the output back before the summary is printed.
 *
 * Until the renderer is loaded (a lazy import, so that no other command loads it), the state is
 * kept and whatever must stay is printed as usual: there is no line on screen to clear yet.
 */
export class RunProgress {
  private state: ProgressState | undefined;
  private steps: PlannedStep[] = [];
  private live: LiveProgress | undefined;
  private stopped = false;
  /** While the CLI prints a quick step's line: it is dropped. */
  private quiet = false;
  private restoreCli: (() => void) | undefined;

  constructor(private readonly cli: Cli) {}

  /** The plan is ready: a real run long enough, on a terminal, switches to the live line. */
  planned(plan: Plan, dryRun: boolean): void {
    if (dryRun || plan.refusals.length > 0 || this.state || this.stopped) return;
    const where = { isTTY: Boolean(process.stdout.isTTY), env: process.env, json: Boolean(this.cli.global.json), logFormat: this.cli.global.logFormat };
    if (!wantsLiveProgress(plan.steps.length, where)) return;
    const now = Date.now();
    this.steps = plan.steps;
    this.state = { total: plan.steps.length, done: 0, current: plan.steps[0]!, startedAt: now, currentSince: now };
    this.takeOver();
    import('./live-progress.js').then(
      ({ startLiveProgress }) => {
        if (!this.stopped) this.live = startLiveProgress(process.stdout, () => this.state!, this.cli.style);
      },
      // Cannot happen in a sound install; if it does, the run prints its lines as it always did.
      () => this.stop(),
    );
  }

  /** Clear the line, show the cursor, give the output back (idempotent). */
  stop(): void {
    this.stopped = true;
    this.live?.stop();
    this.live = undefined;
    this.restoreCli?.();
    this.restoreCli = undefined;
  }

  /**
   * Wrap the CLI's output and step events for the run. The CLI's own step handler still runs for
   * every step (its JSON log line, whatever else it does); only the line a quick step prints is dropped.
   */
  private takeOver(): void {
    const { cli } = this;
    const { events } = cli;
    const { say, warn } = cli;
    const stepStarted = events.stepStarted?.bind(events);
    const stepFinished = events.stepFinished?.bind(events);
    cli.say = (text) => {
      if (!this.quiet) this.above(() => say.call(cli, text));
    };
    cli.warn = (text) => this.above(() => warn.call(cli, text));
    events.stepStarted = (step) => {
      stepStarted?.(step);
      this.started(step);
    };
    events.stepFinished = (result) => {
      this.finished(result);
      this.quiet = !leavesRecord(result);
      try {
        stepFinished?.(result);
      } finally {
        this.quiet = false;
      }
    };
    this.restoreCli = () => {
      Object.assign(cli, { say, warn });
      Object.assign(events, { stepStarted, stepFinished });
    };
  }

  private above(write: () => void): void {
    if (this.live) this.live.above(write);
    else write();
  }

  private started(step: PlannedStep): void {
    const state = this.state!;
    if (this.steps[state.done] === step) state.currentSince = Date.now();
  }

  private finished(result: StepResult): void {
    // Steps not run after a failure are counted in the summary; the line counts steps that ran.
    if (result.status === 'not-run') return;
    const state = this.state!;
    state.done += 1;
    state.current = this.steps[state.done];
    state.currentSince = Date.now();
    this.live?.changed();
  }
}
