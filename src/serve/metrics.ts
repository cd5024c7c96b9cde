// Prometheus metrics for the service: counters, gauges and histograms with labels, rendered in the text
// exposition format (version 0.0.4) that `GET /metrics` returns.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { LatencyReserve } from './latency-reserve.js';

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(',')}}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

interface Metric {
  render(): string[];
}

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    private readonly help: string,
  ) {}

  inc(labels: Labels = {}, amount = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + amount);
  }

  /** The current value for these labels (0 when never incremented). */
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [key, value] of this.values) lines.push(`${this.name}${key} ${value}`);
    return lines;
  }
}

/** A gauge whose values are read when the metrics are rendered. */
export class Gauge implements Metric {
  private readonly readers = new Map<string, () => number>();
  constructor(
    readonly name: string,
    private readonly help: string,
  ) {}

  track(labels: Labels, read: () => number): void {
    this.readers.set(labelKey(labels), read);
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const [key, read] of this.readers) lines.push(`${this.name}${key} ${read()}`);
    return lines;
  }
}

export class Histogram implements Metric {
  private readonly series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();
  constructor(
    readonly name: string,
    private readonly help: string,
    /** Upper bounds of the buckets, ascending; +Inf is implied. */
    private readonly buckets: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) entry.counts[i]!++;
    entry.sum += value;
    entry.count++;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.series.values()) {
      this.buckets.forEach((bound, i) => {
        lines.push(`${this.name}_bucket${labelKey({ ...labels, le: String(bound) })} ${counts[i]}`);
      });
      lines.push(`${this.name}_bucket${labelKey({ ...labels, le: '+Inf' })} ${count}`);
      lines.push(`${this.name}_sum${labelKey(labels)} ${sum}`);
      lines.push(`${this.name}_count${labelKey(labels)} ${count}`);
    }
    return lines;
  }
}

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** Every metric the service exports, by role. */
export class ServeMetrics {
  readonly requests = new Counter(
    'sift_http_requests_total',
    'HTTP requests answered, by route, method and status',
  );
  readonly requestSeconds = new Histogram(
    'sift_http_request_duration_seconds',
    'time from request to response, by route',
    SECONDS,
  );
  readonly stageSeconds = new Histogram(
    'sift_stage_duration_seconds',
    'time spent per search stage (embed, retrieve, rerank, rank)',
    SECONDS,
  );
  readonly batchSize = new Histogram('sift_batch_size', 'items per model call, by batcher', BATCH_SIZES);
  readonly queueDepth = new Gauge('sift_queue_depth', 'items waiting, by queue');
  readonly rejected = new Counter('sift_requests_rejected_total', 'requests shed, by reason (429/503)');
  readonly cancelled = new Counter(
    'sift_requests_cancelled_total',
    'requests abandoned before they finished, by reason (client disconnect, timeout)',
  );
  readonly cacheLookups = new Counter('sift_cache_lookups_total', 'cache lookups, by cache and result');
  readonly rankWithdrawn = new Counter(
    'sift_rank_jobs_withdrawn_total',
    'reranking jobs still queued when their latency budget ended (answered in first-stage order)',
  );
  readonly rankCutOff = new Counter(
    'sift_rank_jobs_cut_off_total',
    'reranking jobs still in a worker when their latency budget ended (answered with the chunks finished)',
  );
  readonly index = new Gauge('sift_index', 'facts about the served index (documents, generation)');
  readonly process = new Gauge('sift_process', 'process facts: resident memory and heap in bytes');
  readonly eventLoopDelay = new Gauge(
    'sift_event_loop_delay_seconds',
    "delay of the HTTP thread's event loop since start, by quantile",
  );
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  /** The last second's loop delay: its longest stall is folded each second into `recentLoopDelay`. */
  private readonly loopDelayWindow = monitorEventLoopDelay({ resolution: 5 });
  private readonly recentLoopDelay = new LatencyReserve();
  private readonly loopDelayTimer: NodeJS.Timeout;

  constructor() {
    this.loopDelay.enable();
    this.loopDelayWindow.enable();
    this.loopDelayTimer = setInterval(() => {
      // The window's longest stall, not a percentile: one stall of 600 ms among a second of 5 ms ticks
      // is under 1% of the samples, yet every request and timer of that moment waited for it.
      if (this.loopDelayWindow.count > 0) this.recentLoopDelay.observe(this.loopDelayWindow.max / 1e6);
      this.loopDelayWindow.reset();
    }, 1000);
    this.loopDelayTimer.unref();
    for (const q of [0.5, 0.99, 1]) {
      this.eventLoopDelay.track({ quantile: String(q) }, () =>
        q === 1 ? this.loopDelay.max / 1e9 : this.loopDelay.percentile(q * 100) / 1e9,
      );
    }
    this.process.track({ fact: 'resident_memory_bytes' }, () => process.memoryUsage.rss());
    this.process.track({ fact: 'heap_used_bytes' }, () => process.memoryUsage().heapUsed);
  }

  render(): string {
    const metrics: Metric[] = [
      this.requests,
      this.requestSeconds,
      this.stageSeconds,
      this.batchSize,
      this.queueDepth,
      this.rejected,
      this.cancelled,
      this.cacheLookups,
      this.rankWithdrawn,
      this.rankCutOff,
      this.index,
      this.process,
      this.eventLoopDelay,
    ];
    return `${metrics.flatMap((metric) => metric.render()).join('\n')}\n`;
  }

  /**
   * How late the HTTP thread may be, ms: an upper estimate of the event loop's recent longest stall. A
   * request that arrives while the loop is busy is seen that much after it came, and a timer fires that
   * late.
   */
  get loopDelayReserveMs(): number {
    return this.recentLoopDelay.ms;
  }

  close(): void {
    clearInterval(this.loopDelayTimer);
    this.loopDelayWindow.disable();
    this.loopDelay.disable();
  }
}
