// The one file that touches node-llama-cpp: llama.cpp's prebuilt CPU binary (the npm package
// @node-llama-cpp/linux-x64, so nothing is downloaded or compiled at install or run time).
//
// sift uses llama.cpp as a scorer, not a chatbot: a `LlamaScorer` holds one model, one context and one
// sequence; callers append tokens, read next-token distributions at chosen positions, and cut the
// sequence back to a prefix so that a shared prefix (a grading policy) is evaluated once and reused.

import { availableParallelism } from 'node:os';
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import { SiftError } from '../errors.js';

export interface LlamaScorerOptions {
  /**
   * Threads for matrix products. Default: every core this process may use (os.availableParallelism).
   * Never left to node-llama-cpp: its default (`maxThreads`, twice the math cores on a 2-core machine)
   * oversubscribes the cores, and llama.cpp's threads wait for each other at every layer: on 2 cores the
   * scoring judge ran 7.8× slower with it (bench/judge.ts).
   */
  threads?: number;
  /** Context window in tokens (prefix + everything appended). Default 2048. */
  contextSize?: number;
  /** Tokens decoded per llama.cpp batch. Default 512. */
  batchSize?: number;
}

/** Next-token probabilities (over the whole vocabulary) after one appended token. */
export type TokenDistribution = ReadonlyMap<number, number>;

let llamaOnce: Promise<Llama> | undefined;

/**
 * llama.cpp's CPU build, loaded once per process (about half a second). The package itself is imported
 * here, on first use, so that importing runtime/ costs nothing to the processes that never score with it.
 */
function loadLlama(): Promise<Llama> {
  llamaOnce ??= import('node-llama-cpp')
    .then(({ getLlama }) => getLlama({ gpu: false, build: 'never', logLevel: 'error' as never }))
    .catch((error: unknown) => {
      llamaOnce = undefined;
      throw new SiftError(
        'E_NATIVE_UNAVAILABLE',
        `llama.cpp's prebuilt CPU binary (node-llama-cpp) cannot be loaded: ${(error as Error).message}`,
        {},
        { cause: error },
      );
    });
  return llamaOnce;
}

export class LlamaScorer {
  private constructor(
    /** The GGUF file, for messages. */
    readonly file: string,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly sequence: LlamaContextSequence,
    /** Context window in tokens. */
    readonly contextSize: number,
  ) {}

  static async open(file: string, options: LlamaScorerOptions = {}): Promise<LlamaScorer> {
    const llama = await loadLlama();
    const contextSize = options.contextSize ?? 2048;
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
    } catch (error) {
      throw new SiftError(
        'E_MODEL_LOAD',
        `llama.cpp cannot load the GGUF file: ${(error as Error).message}`,
        { file },
        { cause: error },
      );
    }
    const context = await model.createContext({
      contextSize,
      batchSize: options.batchSize ?? 512,
      sequences: 1,
      threads: options.threads ?? availableParallelism(),
    });
    return new LlamaScorer(file, model, context, context.getSequence(), contextSize);
  }

  /** Token ids of `text`; ChatML markers such as `<|im_start|>` become their special tokens. */
  tokenize(text: string): number[] {
    return this.model.tokenize(text, true) as number[];
  }

  /** Token ids of `text` with special-token markers read as plain text (for user-supplied text). */
  tokenizePlain(text: string): number[] {
    return this.model.tokenize(text, false) as number[];
  }

  detokenize(tokens: readonly number[]): string {
    return this.model.detokenize(tokens as never);
  }

  /** Tokens currently in the sequence. */
  get length(): number {
    return this.sequence.nextTokenIndex;
  }

  /** The tokens currently in the sequence (to check whether a prefix is already there). */
  tokens(): readonly number[] {
    return this.sequence.contextTokens as number[];
  }

  /** Evaluates `tokens` after what the sequence holds. */
  async append(tokens: readonly number[]): Promise<void> {
    this.checkRoom(tokens.length);
    if (tokens.length > 0) await this.sequence.evaluateWithoutGeneratingNewTokens(tokens as never);
  }

  /**
   * Evaluates `tokens` and returns, for each index in `at`, the distribution of the token that follows
   * `tokens[index]` (index `tokens.length - 1` is the next token after the whole input).
   */
  async appendAndRead(tokens: readonly number[], at: readonly number[]): Promise<TokenDistribution[]> {
    this.checkRoom(tokens.length);
    const wanted = new Set(at);
    const input = tokens.map((token, index) =>
      wanted.has(index) ? ([token, { generateNext: { probabilities: true } }] as const) : token,
    );
    const output = await this.sequence.controlledEvaluate(input as never);
    return at.map((index) => {
      const probabilities = output[index]?.next.probabilities;
      if (!probabilities) throw new SiftError('E_INTERNAL', `llama.cpp returned no distribution at ${index}`);
      return probabilities as TokenDistribution;
    });
  }

  /**
   * Evaluates `tokens`, then generates greedily (the most likely token at each step) until `stop` accepts
   * the tokens generated so far, an end-of-generation token comes, or `maxTokens` were generated. The
   * sequence then holds `tokens` and every generated token but the last (which was never fed back);
   * callers that go on cut back to a known length first.
   */
  async appendAndGenerate(
    tokens: readonly number[],
    maxTokens: number,
    stop: (generated: readonly number[]) => boolean,
  ): Promise<number[]> {
    if (tokens.length === 0) throw new SiftError('E_INTERNAL', 'generation needs at least one input token');
    this.checkRoom(tokens.length + maxTokens);
    const greedy = { generateNext: { token: true, options: { temperature: 0 } } } as const;
    const input = tokens.map((token, index) => (index === tokens.length - 1 ? [token, greedy] : token));
    let output = await this.sequence.controlledEvaluate(input as never);
    let next = output[tokens.length - 1]?.next.token as number | undefined;
    const generated: number[] = [];
    while (next !== undefined && !this.model.isEogToken(next as never) && generated.length < maxTokens) {
      generated.push(next);
      if (stop(generated) || generated.length === maxTokens) break;
      output = await this.sequence.controlledEvaluate([[next, greedy]] as never);
      next = output[0]?.next.token as number | undefined;
    }
    return generated;
  }

  /** Cuts the sequence back to its first `length` tokens (the KV cache of the rest is freed). */
  async truncate(length: number): Promise<void> {
    const end = this.sequence.nextTokenIndex;
    if (length < end) await this.sequence.eraseContextTokenRanges([{ start: length, end }]);
  }

  async close(): Promise<void> {
    this.sequence.dispose();
    await this.context.dispose();
    await this.model.dispose();
  }

  private checkRoom(more: number): void {
    if (this.length + more > this.contextSize) {
      throw new SiftError(
        'E_CONTEXT_OVERFLOW',
        `${this.length + more} tokens do not fit the ${this.contextSize}-token context`,
        { file: this.file },
      );
    }
  }
}
