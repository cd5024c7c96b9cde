// Fine-tunes a BERT bi-encoder (sentence-transformers' Transformer → mean Pooling → Normalize) on judge
// labels, as LinkedIn tunes its retrieval embedder (../shared/SYSTEM.md §1): per query, 1–2 positives (grade above
// `positiveAbove`) and 2–3 hard negatives (the rest), multiple-negatives ranking over the batch, so every
// other query's documents are negatives too.
//
// Unlike a cross-encoder with a new head, the starting model already ranks (it is hybrid's dense half), so
// the run's job is to keep what it knows and move towards the judge: dev nDCG@10 of the starting model is
// measured before the first step and is the bar: a run that never beats it installs the starting weights.
//
// Each batch embeds its queries and documents in one forward pass (rows padded to the longest; attention
// and pooling skip the padding), so one backward pass returns every gradient. Resuming works as in the
// cross-encoder trainer: weights, AdamW's moments, the dropout RNG and the data position are checkpointed;
// an epoch's batches are a function of seed and epoch.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { SiftError } from '../errors.js';
import { evaluateRun, type Run } from '../eval/index.js';
import { embeddingText } from '../index/index.js';
import type { Qrels } from '../ingest/index.js';
import { bertWeights, loadTokenizer, readBertConfig, readSafetensors } from '../models/index.js';
import { Mulberry32, ProgressBar } from '../util/index.js';
import { AdamW } from './adamw.js';
import { type EncodedPair, tokenBatch } from './batches.js';
import { BertEncoder } from './bert-model.js';
import { loadOptimizer, startOrResume } from './checkpoint.js';
import type { TrainingExample } from './examples.js';
import { MeanPooling } from './heads.js';
import { multipleNegativesRanking } from './losses.js';
import { applyOptimizerStep, type OptimizerStepContext } from './optimizer-step.js';
import type { Module, Parameter } from './parameter.js';
import { RunBook, type TrainResult } from './run-book.js';

/** sentence-transformers' files that make the folder load as a mean-pooled, normalised embedder there. */
export const SENTENCE_TRANSFORMERS_FILES = [
  'modules.json',
  'sentence_bert_config.json',
  '1_Pooling/config.json',
] as const;

/** BERT encoder + mean pooling over real tokens; the loss normalises (cosine is scale-free). */
export class BiEncoderModel implements Module {
  private readonly pooling = new MeanPooling();

  constructor(readonly encoder: BertEncoder) {}

  parameters(): Parameter[] {
    return this.encoder.parameters();
  }

  /** → embeddings [batch, hidden]. */
  forward(tokens: Parameters<BertEncoder['forward']>[0]): Float32Array {
    return this.pooling.forward(
      this.encoder.forward(tokens),
      tokens.seq,
      this.encoder.hidden,
      tokens.lengths,
    );
  }

  backward(dEmbeddings: Float32Array): void {
    this.encoder.backward(this.pooling.backward(dEmbeddings));
  }
}

export interface BiEncoderTrainOptions {
  /** The sentence-transformers folder to start from (config.json, model.safetensors, tokenizer files). */
  modelDir: string;
  /** Checkpoints go to outDir/checkpoints; an existing run there is resumed. */
  outDir: string;
  train: readonly TrainingExample[];
  dev?: readonly TrainingExample[];
  /** A document is a positive of its query when its grade is above this. Default 1 (LinkedIn's > 1). */
  positiveAbove?: number;
  /** Positives and hard negatives drawn per query and epoch. Defaults 2 and 3. */
  positivesPerQuery?: number;
  negativesPerQuery?: number;
  /** Queries per batch. Default 8. */
  queriesPerBatch?: number;
  /** Cosine scale of the loss (sentence-transformers' default, a temperature of 0.05). Default 20. */
  scale?: number;
  epochs?: number;
  maxSteps?: number;
  learningRate?: number;
  warmupRatio?: number;
  weightDecay?: number;
  maxGradNorm?: number;
  /** Tokens per text, special tokens included: the embedder's own limit. Default 256. */
  maxLength?: number;
  dropout?: number;
  seed?: number;
  /** Evaluations (one per epoch) without a better dev nDCG@10 before stopping. Default 2. */
  patience?: number;
  keepCheckpoints?: number;
  quiet?: boolean;
  /** After each optimizer step, as PairTrainOptions.onStep. */
  onStep?: (step: number, loss: number, totalSteps: number) => void;
}

interface Draw {
  query: string;
  docs: { row: number; positive: boolean }[];
}

export async function trainBiEncoder(options: BiEncoderTrainOptions): Promise<TrainResult> {
  const o = {
    positiveAbove: options.positiveAbove ?? 1,
    positivesPerQuery: options.positivesPerQuery ?? 2,
    negativesPerQuery: options.negativesPerQuery ?? 3,
    queriesPerBatch: options.queriesPerBatch ?? 8,
    scale: options.scale ?? 20,
    epochs: options.epochs ?? 1,
    learningRate: options.learningRate ?? 2e-5,
    warmupRatio: options.warmupRatio ?? 0.1,
    weightDecay: options.weightDecay ?? 0.01,
    maxGradNorm: options.maxGradNorm ?? 1,
    maxLength: options.maxLength ?? 256,
    dropout: options.dropout ?? 0,
    seed: options.seed ?? 42,
    patience: options.patience ?? 2,
    keep: options.keepCheckpoints ?? 2,
  };
  const byQuery = groupByQuery(options.train);
  const trainable = [...byQuery.values()].filter((rows) =>
    rows.some((r) => options.train[r]!.grade > o.positiveAbove),
  );
  if (trainable.length === 0) {
    throw new SiftError(
      'E_TRAIN_DATA',
      `no training query has a document graded above ${o.positiveAbove}: a bi-encoder needs positives`,
      { field: 'grade' },
    );
  }

  const { config, text: configText } = await readBertConfig(options.modelDir);
  const tokenizer = await loadTokenizer(options.modelDir, { maxLength: o.maxLength });
  const encode = (texts: readonly string[]): EncodedPair[] =>
    tokenizer.encodeBatch(texts, { maxLength: o.maxLength }).ids.map((ids) => ({
      ids: Int32Array.from(ids),
      typeIds: new Int32Array(ids.length),
    }));
  // The document text is what the index embeds (index/embed.ts), so training sees what serving sees.
  const docTokens = encode(options.train.map((e) => embeddingText(e)));
  const queryTokens = new Map<string, EncodedPair>();
  for (const rows of byQuery.values()) {
    const text = options.train[rows[0]!]!.query;
    if (!queryTokens.has(text)) queryTokens.set(text, encode([text])[0]!);
  }

  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ o: { ...o, keep: undefined }, model: options.modelDir }))
    .update(JSON.stringify(options.train.map((e) => [e.queryId, e.docId, e.grade, e.query])))
    .update(JSON.stringify(docTokens.map((p) => p.ids.length)))
    .digest('hex');
  const { state, adamStep, resumeFrom } = await startOrResume(options.outDir, fingerprint, o.seed);
  const dropoutRng = new Mulberry32(state.rng);
  let training = true;
  const weights = bertWeights(
    await readSafetensors(join(resumeFrom ?? options.modelDir, 'model.safetensors')),
    config,
  );
  const model = new BiEncoderModel(
    BertEncoder.fromWeights(weights, config, {
      dropout: o.dropout,
      rng: () => (training ? dropoutRng : undefined),
    }),
  );
  const params = model.parameters();
  const adam = new AdamW(params, { weightDecay: o.weightDecay });
  if (resumeFrom) await loadOptimizer(resumeFrom, adam, adamStep);
  const hfConfig = `${JSON.stringify({ ...JSON.parse(configText), architectures: ['BertModel'] }, null, 2)}\n`;

  /** Each query's draw for `epoch`: its positives and hard negatives, sampled with a per-epoch seed. */
  const epochDraws = (epoch: number): Draw[][] => {
    const rng = new Mulberry32((o.seed ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0);
    const draws = rng.shuffle(trainable.slice()).map((rows): Draw => {
      const positives = rng.shuffle(rows.filter((r) => options.train[r]!.grade > o.positiveAbove));
      const negatives = rng.shuffle(rows.filter((r) => options.train[r]!.grade <= o.positiveAbove));
      return {
        query: options.train[rows[0]!]!.query,
        docs: [
          ...positives.slice(0, o.positivesPerQuery).map((row) => ({ row, positive: true })),
          ...negatives.slice(0, o.negativesPerQuery).map((row) => ({ row, positive: false })),
        ],
      };
    });
    const batches: Draw[][] = [];
    for (let i = 0; i < draws.length; i += o.queriesPerBatch)
      batches.push(draws.slice(i, i + o.queriesPerBatch));
    return batches;
  };

  /** One forward and backward pass over a batch's queries and documents; returns the loss. */
  const trainOn = (batch: Draw[]): number => {
    const rows: EncodedPair[] = batch.map((d) => queryTokens.get(d.query)!);
    const queryOf: number[] = [];
    const positive: boolean[] = [];
    batch.forEach((draw, q) => {
      for (const doc of draw.docs) {
        rows.push(docTokens[doc.row]!);
        queryOf.push(q);
        positive.push(doc.positive);
      }
    });
    const embeddings = model.forward(
      tokenBatch(
        rows,
        rows.map((_, i) => i),
      ),
    );
    const width = model.encoder.hidden;
    const split = batch.length * width;
    const result = multipleNegativesRanking(
      embeddings.subarray(0, split),
      embeddings.subarray(split),
      width,
      queryOf,
      positive,
      o.scale,
    );
    const grad = new Float32Array(embeddings.length);
    grad.set(result.queries, 0);
    grad.set(result.documents, split);
    model.backward(grad);
    return result.loss;
  };

  const stepsPerEpoch = epochDraws(0).length;
  const totalSteps = Math.min(options.maxSteps ?? Number.POSITIVE_INFINITY, stepsPerEpoch * o.epochs);
  const schedule = {
    peak: o.learningRate,
    warmupSteps: Math.round(o.warmupRatio * totalSteps),
    totalSteps,
    decay: 'linear' as const,
  };

  const dev = options.dev?.length ? options.dev : undefined;
  const book = new RunBook({
    outDir: options.outDir,
    state,
    resumeFrom,
    dropoutRng,
    content: {
      params,
      adam,
      config: hfConfig,
      tokenizerDir: options.modelDir,
      modelFiles: SENTENCE_TRANSFORMERS_FILES,
    },
    keep: o.keep,
    patience: o.patience,
  });
  const evaluate = async (): Promise<boolean> => {
    if (!dev) return false;
    training = false;
    const ndcg10 = devNdcg(model, dev, encode);
    training = true;
    return book.recordEvaluation({ ndcg10 });
  };

  // The starting model is the bar every later checkpoint must clear.
  if (state.step === 0 && !resumeFrom) await evaluate();

  const progress = new ProgressBar({
    label: 'train bi-encoder',
    total: totalSteps,
    unit: 'steps',
    quiet: options.quiet ?? false,
  });
  progress.tick(state.step);
  const stepContext: OptimizerStepContext = {
    book,
    params,
    adam,
    maxGradNorm: o.maxGradNorm,
    schedule,
    progress,
    ...(options.onStep ? { onStep: options.onStep } : {}),
  };
  let lastEvaluated = state.best?.step ?? -1;
  while (state.epoch < o.epochs && state.step < totalSteps) {
    const batches = epochDraws(state.epoch);
    while (state.batchInEpoch < batches.length && state.step < totalSteps) {
      applyOptimizerStep(stepContext, trainOn(batches[state.batchInEpoch]!), 1, 1);
    }
    if (state.batchInEpoch < batches.length) break; // maxSteps reached mid-epoch
    // An epoch is done: evaluate, keep the best, stop once dev stops improving.
    state.epoch++;
    state.batchInEpoch = 0;
    lastEvaluated = state.step;
    const stop = await evaluate();
    // Every epoch ends in a checkpoint, so a kill loses at most the epoch under way.
    if (!book.checkpointed) await book.checkpoint();
    if (stop) {
      // Patience ran out; at the last step that is just the end of the run.
      book.stoppedEarly = state.step < totalSteps;
      break;
    }
  }
  if (lastEvaluated !== state.step && !book.stoppedEarly) await evaluate();
  if (!book.checkpointed) await book.checkpoint();
  progress.finish(book.summary());
  return book.result();
}

function groupByQuery(examples: readonly TrainingExample[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  examples.forEach((e, i) => {
    const rows = groups.get(e.queryId);
    if (rows) rows.push(i);
    else groups.set(e.queryId, [i]);
  });
  return groups;
}

/** nDCG@10 of each dev query's labelled documents ranked by cosine, the labels' grades as qrels. */
function devNdcg(
  model: BiEncoderModel,
  examples: readonly TrainingExample[],
  encode: (texts: readonly string[]) => EncodedPair[],
): number {
  const width = model.encoder.hidden;
  const embed = (texts: string[]): Float32Array[] => {
    const tokens = encode(texts);
    const order = tokens.map((_, i) => i).sort((a, b) => tokens[a]!.ids.length - tokens[b]!.ids.length);
    const out: Float32Array[] = new Array(texts.length);
    for (let start = 0; start < order.length; start += 16) {
      const rows = order.slice(start, start + 16);
      const vectors = model.forward(tokenBatch(tokens, rows));
      rows.forEach((r, b) => {
        out[r] = vectors.slice(b * width, (b + 1) * width);
      });
    }
    return out;
  };
  const queries = [...new Set(examples.map((e) => e.query))];
  const queryVectors = new Map(embed(queries).map((v, i) => [queries[i]!, v]));
  const docVectors = embed(examples.map((e) => embeddingText(e)));
  const cosine = (a: Float32Array, b: Float32Array) => {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let j = 0; j < width; j++) {
      dot += a[j]! * b[j]!;
      na += a[j]! ** 2;
      nb += b[j]! ** 2;
    }
    return dot / Math.sqrt(na * nb || 1);
  };
  const run: Run = new Map();
  const qrels: Qrels = new Map();
  examples.forEach((e, i) => {
    if (!run.has(e.queryId)) run.set(e.queryId, []);
    run.get(e.queryId)!.push({ docId: e.docId, score: cosine(queryVectors.get(e.query)!, docVectors[i]!) });
    if (!qrels.has(e.queryId)) qrels.set(e.queryId, new Map());
    qrels.get(e.queryId)!.set(e.docId, e.grade);
  });
  return evaluateRun(run, qrels, { metrics: ['ndcg@10'] }).metrics['ndcg@10'] ?? 0;
}
