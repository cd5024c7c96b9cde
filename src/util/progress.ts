// A terminal progress bar for long work: count, rate and ETA on one line of stderr.
//
// On a TTY it redraws in place at most ten times a second; elsewhere (CI logs, pipes) it prints a
// plain line every 10% so logs stay readable. `quiet` silences it entirely.

export interface ProgressOptions {
  label: string;
  /** Expected total; unknown totals show a count and rate only. */
  total?: number;
  unit?: string;
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
}

export class ProgressBar {
  private done = 0;
  private readonly startedAt = performance.now();
  private lastDrawAt = 0;
  private lastDecile = -1;
  private readonly stream: NodeJS.WriteStream;
  private finished = false;
  private status = '';

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
  }

  get count(): number {
    return this.done;
  }

  /** Seconds since the bar started. */
  get elapsed(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** Extra text shown after the rate and ETA (e.g. the training loss). */
  setStatus(text: string): void {
    this.status = text;
  }

  tick(amount = 1): void {
    this.done += amount;
    if (this.options.quiet) return;
    const now = performance.now();
    if (this.stream.isTTY) {
      if (now - this.lastDrawAt >= 100) {
        this.lastDrawAt = now;
        this.stream.write(`\r${this.render()}\u001b[K`);
      }
    } else if (this.options.total) {
      const decile = Math.floor((10 * this.done) / this.options.total);
      if (decile > this.lastDecile && decile < 10) {
        this.lastDecile = decile;
        this.stream.write(`${this.render()}\n`);
      }
    }
  }

  /** Draws the final state and ends the line. */
  finish(summary?: string): void {
    if (this.finished || this.options.quiet) return;
    this.finished = true;
    const line = `${this.render()}${summary ? `  ${summary}` : ''}`;
    this.stream.write(this.stream.isTTY ? `\r${line}\u001b[K\n` : `${line}\n`);
  }

  private render(): string {
    const line = this.renderCounts();
    return this.status ? `${line}  ${this.status}` : line;
  }

  private renderCounts(): string {
    const { label, total, unit = 'items' } = this.options;
    const seconds = Math.max(this.elapsed, 1e-9);
    const rate = this.done / seconds;
    const rateText = `${formatCount(rate)} ${unit}/s`;
    if (!total) return `${label}  ${formatCount(this.done)} ${unit}  ${rateText}`;
    const fraction = Math.min(1, this.done / total);
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const eta = rate > 0 ? (total - this.done) / rate : Number.POSITIVE_INFINITY;
    const etaText = this.done >= total ? `${seconds.toFixed(1)}s` : `ETA ${formatDuration(eta)}`;
    return `${label} ${bar} ${(fraction * 100).toFixed(0).padStart(3)}%  ${formatCount(this.done)}/${formatCount(total)} ${unit}  ${rateText}  ${etaText}`;
  }
}

function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n >= 100 || Number.isInteger(n) ? Math.round(n).toString() : n.toFixed(1);
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  if (seconds < 3600)
    return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}
