// `sift compress embed-tokens`: an embedding-token ranker (MixLM) made from a trained yes/no decoder. Each
// item is read as one vector, the item adapter's map of the document's stored embedding (the index's
// vectors of `embedder`), instead of its ~128 text tokens. The adapter learns from the decoder itself
// reading the full text (train/embedding-token-trainer.ts), on the first stage's candidates for the
// collections' training queries: hybrid's top `candidates`, the lists the ranker reorders when it serves.
// Test queries are never read.
//
// The result is installed as a trained model: the decoder's own files, the adapter's weights
// (item-adapter.safetensors) and a card whose `embeddingTokens` names the embedder; `--rerank <id>` opens
// it as an EmbeddingTokenRanker.

import { link, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SiftError } from '../errors.js';
import { querySplit } from '../ingest/index.js';
import {
  DEFAULT_EMBEDDER,
  encodeSafetensors,
  installedTrainedModel,
  installTrainedModel,
  MODEL_CARD,
  readDecoderSource,
  readTrainedModel,
  type TrainedModelCard,
} from '../models/index.js';
import { DecoderRanker, ITEM_ADAPTER_FILE, openRanker } from '../rank/index.js';
import { openCollection, openRetriever } from '../search/index.js';
import { type EmbeddingTokenList, trainItemAdapter, YesNoDecoder } from '../train/index.js';
import { Mulberry32, siftPaths, writeFileAtomic } from '../util/index.js';

export interface EmbedTokensOptions {
  /** An installed trained yes/no decoder ranker. */
  model: string;
  /** Id the embedding-token ranker is installed under. */
  out: string;
  /** BEIR collection folders whose training queries give the lists. */
  collections: readonly string[];
  /** The embedder whose stored vectors items are read as. Default: sift's default embedder. */
  embedder?: string;
  /** Hybrid candidates per training query. Default 8. */
  candidates?: number;
  /** Training queries per collection, at most (a seeded sample). Default: all. */
  maxQueries?: number;
  epochs?: number;
  learningRate?: number;
  seed?: number;
  home?: string;
  quiet?: boolean;
}

export interface EmbedTokensResult {
  id: string;
  folder: string;
  card: TrainedModelCard;
}

export const DEFAULT_EMBED_TOKEN_CANDIDATES = 8;

export async function trainEmbeddingTokens(options: EmbedTokensOptions): Promise<EmbedTokensResult> {
  const paths = options.home ? siftPaths({ ...process.env, SIFT_HOME: options.home }) : siftPaths();
  const source = installedTrainedModel(options.model, paths.home);
  const sourceCard = source ? await readTrainedModel(options.model, paths.home) : undefined;
  if (!source || sourceCard?.kind !== 'decoder-ranker' || sourceCard['embeddingTokens'])
    throw new SiftError(
      'E_MODEL_KIND',
      `"${options.model}" is not an installed yes/no decoder ranker that reads text (sift models list shows them)`,
      { field: 'model' },
    );
  if (options.out === options.model)
    throw new SiftError('E_BAD_ARGUMENT', '--out must name a new model', { field: 'out' });
  if (options.collections.length === 0)
    throw new SiftError('E_BAD_ARGUMENT', 'name at least one --collection to learn from', {
      field: 'collection',
    });
  const embedder = options.embedder ?? DEFAULT_EMBEDDER;
  const candidates = options.candidates ?? DEFAULT_EMBED_TOKEN_CANDIDATES;
  const seed = options.seed ?? 42;
  const quiet = options.quiet ?? false;

  const ranker = await openRanker(options.model, { quiet, home: paths.home });
  let lists: EmbeddingTokenList[];
  let suffix: readonly number[];
  let labels: { yes: number; no: number };
  try {
    if (!(ranker instanceof DecoderRanker))
      throw new SiftError('E_MODEL_KIND', `"${options.model}" is not a yes/no decoder ranker`, {
        field: 'model',
      });
    suffix = ranker.suffixTokens;
    labels = ranker.labelTokenIds;
    lists = [];
    for (const folder of options.collections)
      lists.push(
        ...(await collectionLists(
          folder,
          ranker,
          embedder,
          candidates,
          options.maxQueries,
          seed,
          paths.indexes,
          quiet,
        )),
      );
  } finally {
    await ranker.release();
  }
  if (lists.length === 0)
    throw new SiftError('E_TRAIN_DATA', 'no training query has two or more candidates to learn from', {
      field: 'collection',
    });

  const weights = await readDecoderSource(source);
  const decoder = YesNoDecoder.fromWeights(weights.weights, weights.config, labels);
  const result = await trainItemAdapter({
    decoder,
    suffix,
    lists,
    ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
    ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
    seed,
    quiet,
  });

  const work = join(paths.home, 'tmp', `embed-tokens-${options.out}-${process.pid}-${Date.now()}`);
  await mkdir(work, { recursive: true });
  try {
    // The decoder's own files (hard links: install copies them once); its cached graphs are rebuilt with
    // vector inputs, and its card is replaced.
    for (const file of await readdir(source))
      if (file !== MODEL_CARD && !file.startsWith('sift-graph-'))
        await link(join(source, file), join(work, file));
    const adapter = result.adapter;
    // The adapter's parameters carry the tensor names rank/item-adapter.ts reads.
    await writeFileAtomic(
      join(work, ITEM_ADAPTER_FILE),
      encodeSafetensors(adapter.parameters().map((p) => ({ name: p.name, shape: p.shape, data: p.data }))),
    );
    const card: TrainedModelCard = {
      version: 1,
      id: options.out,
      kind: 'decoder-ranker',
      preset: 'embedding-tokens',
      base: options.model,
      createdAt: new Date().toISOString(),
      description: `${options.model} reading each item as one vector: ${embedder}'s stored embedding through a learned adapter`,
      settings: sourceCard['settings'],
      ranker: sourceCard['ranker'],
      embeddingTokens: {
        embedder,
        adapter: {
          file: ITEM_ADAPTER_FILE,
          in: adapter.inner.inFeatures,
          hidden: adapter.inner.outFeatures,
          out: adapter.outer.outFeatures,
          activation: 'silu',
        },
        collections: options.collections.map((dir) => dir.split('/').filter(Boolean).pop()),
        queries: lists.length,
        pairs: lists.reduce((n, l) => n + l.items.length, 0),
        candidates,
        maxQueries: options.maxQueries ?? null,
        ...result.settings,
        steps: result.steps,
        teacherSpread: result.teacherSpread,
        losses: { firstEpoch: result.firstEpoch, lastEpoch: result.lastEpoch },
        seconds: result.seconds,
        seed,
      },
      source: { id: options.model, createdAt: sourceCard.createdAt },
    };
    const folder = await installTrainedModel(work, card, paths.home);
    return { id: options.out, folder, card };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** One collection's lists: hybrid's top candidates for (a seeded sample of) its training queries. */
async function collectionLists(
  folder: string,
  ranker: DecoderRanker,
  embedder: string,
  candidates: number,
  maxQueries: number | undefined,
  seed: number,
  indexes: string,
  quiet: boolean,
): Promise<EmbeddingTokenList[]> {
  const { collection, index } = await openCollection(folder, indexes, quiet);
  let queries = collection.queries.filter((q) => querySplit(q.id) === 'train');
  if (maxQueries !== undefined)
    queries = new Mulberry32(seed >>> 0).shuffle([...queries]).slice(0, maxQueries);
  // Hybrid embeds the index with `embedder` when it has no vectors of it yet.
  const { retriever, release } = await openRetriever(index, { mode: 'hybrid', embedder, quiet });
  const store = index.vectors(embedder);
  if (!store) throw new SiftError('E_RANKER_VECTORS', `index "${index.name}" has no ${embedder} vectors`);
  const lists: EmbeddingTokenList[] = [];
  try {
    for (const query of queries) {
      const items: EmbeddingTokenList['items'][number][] = [];
      for (const hit of await retriever.search({ query: query.text, k: candidates })) {
        const ord = index.docs.ordOf(hit.id);
        const doc = ord === undefined ? undefined : index.docs.get(ord);
        if (ord === undefined || !doc || ord >= store.rows) continue;
        items.push({ textTokens: ranker.itemTokens(doc), vector: store.vector(ord) });
      }
      if (items.length >= 2) lists.push({ prefix: ranker.prefixTokens(query.text), items });
    }
  } finally {
    await release();
  }
  return lists;
}
