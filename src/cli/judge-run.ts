// `sift judge run`: labels a store's pending pairs with a judge under a policy (locally, or on the queue).

import { isUrlJudge, LabelStore, loadPolicy, openJudge, runLabelJob } from '../judge/index.js';
import { queuedRunAction } from './judge-queued-run.js';
import type { JudgeRunSettings } from './judge-shared.js';

export interface RunCommandOptions extends JudgeRunSettings {
  concurrency?: number;
  rate?: number;
  limit?: number;
  threads?: number;
  queue?: string;
  prefix: string;
  chunk: number;
  wait: boolean;
  quiet: boolean;
}

export async function runAction(opts: RunCommandOptions): Promise<void> {
  if (opts.queue !== undefined) return queuedRunAction({ ...opts, queue: opts.queue });
  const policy = await loadPolicy(opts.policy);
  const store = LabelStore.open(opts.store);
  const url = isUrlJudge(opts.judge);
  const apiKey = url ? process.env[opts.apiKeyEnv] : undefined;
  const prices =
    opts.priceIn !== undefined || opts.priceOut !== undefined
      ? { inputPerMillion: opts.priceIn ?? 0, outputPerMillion: opts.priceOut ?? 0 }
      : undefined;
  const judge = await openJudge(opts.judge, {
    policy,
    quiet: opts.quiet,
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    http: {
      ...(opts.model ? { model: opts.model } : {}),
      ...(apiKey ? { apiKey } : {}),
      timeoutMs: opts.timeout * 1000,
      maxAttempts: Math.floor(opts.retries) + 1,
      ...(opts.rate ? { requestsPerSecond: opts.rate } : {}),
      maxConcurrency: opts.concurrency ?? 4,
    },
    chat: {
      ...(opts.maxDocChars !== undefined ? { prompt: { maxDocChars: opts.maxDocChars } } : {}),
      outputAttempts: opts.outputAttempts,
      softLabels: opts.softLabels,
      ...(prices ? { prices } : {}),
    },
  }).catch((error: unknown) => {
    store.close();
    throw error;
  });

  const controller = new AbortController();
  const onSignal = () => {
    if (!opts.quiet) console.error('\nsift: stopping after the pairs in flight (run again to resume)');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const summary = await runLabelJob({
      store,
      judge,
      policy,
      concurrency: opts.concurrency ?? (url ? 4 : 1),
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      signal: controller.signal,
      quiet: opts.quiet,
      description: {
        judge: opts.judge,
        ...(opts.model ? { model: opts.model } : {}),
        policy: policy.source,
        ...(opts.maxDocChars !== undefined ? { maxDocChars: opts.maxDocChars } : {}),
        ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
        concurrency: opts.concurrency ?? (url ? 4 : 1),
        outputAttempts: opts.outputAttempts,
        softLabels: opts.softLabels,
      },
    });
    const counts = store.counts();
    const spend = store.spend(policy.hash, judge.id);
    console.log(
      `job ${summary.jobId} ${summary.status}: ${summary.labelled} labelled, ${summary.cached} from cache, ` +
        `${summary.failed} failed of ${summary.pending} pending (judge ${judge.id}, policy ${policy.name} ${policy.hash.slice(0, 12)})`,
    );
    const rate = summary.seconds > 0 ? summary.labelled / summary.seconds : 0;
    console.log(
      `${summary.seconds.toFixed(1)} s, ${rate.toFixed(2)} labels/s; tokens ${summary.promptTokens} in / ${summary.completionTokens} out` +
        (prices
          ? `, $${summary.costUsd.toFixed(4)} (store total for this judge and policy $${spend.costUsd.toFixed(4)})`
          : ''),
    );
    const failures = store.failures(policy.hash, judge.id);
    console.log(
      `${opts.store}: ${counts.pairs} pairs, ${counts.labels} labels, ${failures.length} pairs failing for this judge and policy`,
    );
    for (const failure of failures.slice(0, 3)) console.log(`  pair ${failure.pairId}: ${failure.lastError}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await judge.close();
    store.close();
  }
}

// ---- audit ------------------------------------------------------------------------------------------
