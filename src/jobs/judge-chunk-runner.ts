// What a worker does with a labelling chunk, queue aside: open (once, then reuse) the store and the
// judge the chunk names, check that the judge labels under the id the producer expects, and label the
// chunk into the store in one transaction (judge/label-chunk.ts).

import { SiftError } from '../errors.js';
import {
  type ChunkSummary,
  isUrlJudge,
  type Judge,
  LabelStore,
  labelChunk,
  openJudge,
  type Policy,
  parsePolicy,
} from '../judge/index.js';
import type { ChunkJudge, JudgeChunk } from './judge-chunk.js';

export interface ChunkRunnerOptions {
  /** Threads for a local model judge (llama.cpp or sift's runtime). Default: every core. */
  threads?: number;
  /** Environment API keys are read from (the worker's own; keys never travel in a job). */
  env?: NodeJS.ProcessEnv;
}

interface OpenedJudge {
  judge: Judge;
  /** Local models judge one pair at a time: chunks sharing one take turns (`await turn`). */
  turn: Promise<unknown>;
  exclusive: boolean;
}

export class JudgeChunkRunner {
  private readonly stores = new Map<string, LabelStore>();
  private readonly judges = new Map<string, Promise<OpenedJudge>>();

  constructor(private readonly options: ChunkRunnerOptions = {}) {}

  async run(
    chunk: JudgeChunk,
    hooks: { signal?: AbortSignal; onPair?: (done: number, pending: number) => void | Promise<void> } = {},
  ): Promise<ChunkSummary> {
    const store = this.store(chunk.store);
    const policy = this.policy(store, chunk.policyHash);
    const opened = await this.judge(chunk.judge, policy);
    const work = async (): Promise<ChunkSummary> =>
      labelChunk({
        store,
        judge: opened.judge,
        policy,
        jobId: chunk.jobId,
        pairIds: chunk.pairIds,
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        ...(hooks.onPair ? { onPair: hooks.onPair } : {}),
      });
    if (!opened.exclusive) return work();
    const result = opened.turn.then(work, work);
    opened.turn = result.catch(() => undefined);
    return result;
  }

  /** Closes every judge and store this runner opened. */
  async close(): Promise<void> {
    for (const opened of this.judges.values()) {
      const judge = await opened.then(
        (o) => o.judge,
        () => undefined,
      );
      await judge?.close();
    }
    this.judges.clear();
    for (const store of this.stores.values()) store.close();
    this.stores.clear();
  }

  private store(path: string): LabelStore {
    let store = this.stores.get(path);
    if (!store) {
      store = LabelStore.open(path);
      this.stores.set(path, store);
    }
    return store;
  }

  private policy(store: LabelStore, hash: string): Policy {
    const saved = store.savedPolicy(hash);
    if (!saved) {
      throw new SiftError('E_STORE', `the chunk's policy ${hash.slice(0, 12)} is not saved in this store`, {
        file: store.path,
        field: 'policyHash',
      });
    }
    const policy = parsePolicy(saved.text, saved.source);
    if (policy.hash !== hash) {
      throw new SiftError(
        'E_STORE',
        `the saved policy ${hash.slice(0, 12)} hashes to ${policy.hash.slice(0, 12)}`,
        {
          file: store.path,
          field: 'policyHash',
        },
      );
    }
    return policy;
  }

  private async judge(spec: ChunkJudge, policy: Policy): Promise<OpenedJudge> {
    const key = JSON.stringify([spec, policy.hash]);
    let opened = this.judges.get(key);
    if (!opened) {
      opened = this.openJudge(spec, policy);
      this.judges.set(key, opened);
      // A judge that failed to open is tried again by the next chunk (the model may be pulled by then).
      opened.catch(() => this.judges.delete(key));
    }
    return opened;
  }

  private async openJudge(spec: ChunkJudge, policy: Policy): Promise<OpenedJudge> {
    const url = isUrlJudge(spec.spec);
    const apiKey = url && spec.apiKeyEnv ? (this.options.env ?? process.env)[spec.apiKeyEnv] : undefined;
    const prices =
      spec.priceIn !== undefined || spec.priceOut !== undefined
        ? { inputPerMillion: spec.priceIn ?? 0, outputPerMillion: spec.priceOut ?? 0 }
        : undefined;
    const judge = await openJudge(spec.spec, {
      policy,
      quiet: true,
      ...(this.options.threads !== undefined ? { threads: this.options.threads } : {}),
      http: {
        ...(spec.model ? { model: spec.model } : {}),
        ...(apiKey ? { apiKey } : {}),
        timeoutMs: (spec.timeoutSeconds ?? 60) * 1000,
        maxAttempts: Math.floor(spec.retries ?? 4) + 1,
      },
      chat: {
        ...(spec.maxDocChars !== undefined ? { prompt: { maxDocChars: spec.maxDocChars } } : {}),
        ...(spec.outputAttempts !== undefined ? { outputAttempts: spec.outputAttempts } : {}),
        softLabels: spec.softLabels ?? false,
        ...(prices ? { prices } : {}),
      },
    });
    if (judge.id !== spec.id) {
      await judge.close();
      throw new SiftError(
        'E_BAD_JOB',
        `the chunk expects judge id "${spec.id}" but "${spec.spec}" opens here as "${judge.id}"`,
        { field: 'judge.id' },
      );
    }
    return { judge, turn: Promise.resolve(), exclusive: !url };
  }
}
