// `sift prune` end to end: a trained cross-encoder or yes/no decoder (by id) pruned on calibration pairs from collections'
// training queries, installed as a new trained model with a card saying how it was made, so
// `--rerank <new id>` and `sift serve --rankers <new id>` use it like any other.
//
// Calibration pairs are each collection's training-split queries with their judged documents and random
// unjudged ones (train/beir-examples.ts): the relevant and irrelevant pairs the ranker must keep telling
// apart. Test queries are never read, so a pruned model's evaluation on them stays clean.

import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SiftError } from '../errors.js';
import {
  installedTrainedModel,
  installTrainedModel,
  readTrainedModel,
  TRAINABLE_MODELS,
  type TrainedModelCard,
} from '../models/index.js';
import { DecoderRanker, openRanker } from '../rank/index.js';
import { beirExamples } from '../train/index.js';
import { Mulberry32, ProgressBar, siftPaths } from '../util/index.js';
import type { BertPruneSpec } from './prune-bert.js';
import { pruneDecoderFolder } from './prune-decoder-folder.js';
import { type CalibrationPair, type PruneFolderResult, pruneCrossEncoderFolder } from './prune-model.js';

export interface PruneTrainedOptions extends BertPruneSpec {
  /** Installed trained cross-encoder or decoder ranker to prune. */
  model: string;
  /** Id the pruned model is installed under. */
  out: string;
  /** BEIR collection folders whose training queries give the calibration pairs. */
  calibration: readonly string[];
  /** Calibration pairs in all, shared evenly between the collections. Default 256. */
  pairs?: number;
  seed?: number;
  home?: string;
  quiet?: boolean;
}

export interface PruneTrainedResult {
  id: string;
  folder: string;
  card: TrainedModelCard;
  prune: PruneFolderResult;
}

export const DEFAULT_CALIBRATION_PAIRS = 256;

export async function pruneTrainedModel(options: PruneTrainedOptions): Promise<PruneTrainedResult> {
  const home = options.home ?? siftPaths().home;
  const source = installedTrainedModel(options.model, home);
  if (!source) {
    throw new SiftError(
      TRAINABLE_MODELS[options.model] ? 'E_MODEL_NOT_TRAINED' : 'E_MODEL_UNKNOWN',
      TRAINABLE_MODELS[options.model]
        ? `${options.model} is not trained here yet; run: sift train --preset ${TRAINABLE_MODELS[options.model]!.preset}`
        : `no trained model "${options.model}" is installed (sift models list shows them)`,
      { field: 'model' },
    );
  }
  if (options.out === options.model) {
    throw new SiftError('E_BAD_ARGUMENT', '--out must name a new model, not the one being pruned', {
      field: 'out',
    });
  }
  if (options.calibration.length === 0) {
    throw new SiftError('E_PRUNE', 'name at least one --calibration collection', { field: 'calibration' });
  }
  const sourceCard = await readTrainedModel(options.model, home);
  const settings = (sourceCard?.['settings'] ?? {}) as { maxLength?: number };
  const maxLength = settings.maxLength ?? 256;
  const pairs = await calibrationPairs(
    options.calibration,
    options.pairs ?? DEFAULT_CALIBRATION_PAIRS,
    options.seed ?? 42,
  );

  const decoder = sourceCard?.kind === 'decoder-ranker';
  if (decoder && options.heads) {
    throw new SiftError(
      'E_PRUNE',
      'a decoder ranker is pruned by MLP neurons and layers; its attention heads share key/value groups and are kept',
      { field: 'heads' },
    );
  }
  const work = join(home, 'tmp', `prune-${options.out}-${process.pid}-${Date.now()}`);
  await mkdir(work, { recursive: true });
  try {
    let bar: ProgressBar | undefined;
    const onBlock = (_done: number, total: number) => {
      bar ??= new ProgressBar({
        label: `pruning ${options.model}`,
        total,
        unit: 'blocks',
        quiet: options.quiet ?? false,
      });
      bar.tick();
    };
    const prune = decoder
      ? await pruneTrainedDecoder(options, source, work, pairs, onBlock)
      : await pruneCrossEncoderFolder({
          ...options,
          modelDir: source,
          outDir: work,
          calibration: pairs,
          maxLength,
          onBlock,
        });
    bar?.finish();
    const card: TrainedModelCard = {
      version: 1,
      id: options.out,
      kind: decoder ? 'decoder-ranker' : 'cross-encoder',
      preset: 'pruned',
      base: options.model,
      createdAt: new Date().toISOString(),
      description: `${options.model} pruned by ${options.method ?? 'osscar'}: ${describeSpec(options)}`,
      settings: decoder ? settings : { ...settings, maxLength },
      // A decoder ranker is served with the prompt it was trained on.
      ...(decoder ? { ranker: sourceCard?.['ranker'] } : {}),
      pruning: {
        method: options.method ?? 'osscar',
        mlp: options.mlp ?? 0,
        heads: options.heads ?? 0,
        dropLayers: options.dropLayers ?? 0,
        ...(options.steps !== undefined ? { steps: options.steps } : {}),
        ...(options.damping !== undefined ? { damping: options.damping } : {}),
        ...(options.localSearch !== undefined ? { localSearch: options.localSearch } : {}),
        calibration: {
          collections: options.calibration.map((dir) => dir.split('/').filter(Boolean).pop()),
          pairs: prune.calibrationPairs,
          tokens: prune.calibrationTokens,
          seed: options.seed ?? 42,
        },
        parameters: { before: prune.before, after: prune.after },
        layers: { before: prune.layersBefore, after: prune.layersAfter },
        blocks: prune.layers,
        warnings: prune.warnings,
      },
      source: { id: options.model, createdAt: sourceCard?.createdAt },
    };
    const folder = await installTrainedModel(work, card, home);
    return { id: options.out, folder, card, prune };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A trained decoder ranker pruned on the calibration pairs, as its ranker prompts them. */
async function pruneTrainedDecoder(
  options: PruneTrainedOptions,
  source: string,
  outDir: string,
  calibration: readonly CalibrationPair[],
  onBlock: (done: number, total: number) => void,
): Promise<PruneFolderResult> {
  const ranker = await openRanker(options.model, { quiet: options.quiet ?? false });
  try {
    if (!(ranker instanceof DecoderRanker))
      throw new SiftError('E_MODEL_KIND', `"${options.model}" is not a yes/no decoder ranker`, {
        field: 'model',
      });
    return await pruneDecoderFolder({
      ...options,
      modelDir: source,
      outDir,
      calibration,
      promptTokens: (pair) => [
        ...ranker.prefixTokens(pair.query),
        ...ranker.itemTokens({ id: '', title: pair.title, text: pair.text }),
      ],
      labelTokens: ranker.labelTokenIds,
      onBlock,
    });
  } finally {
    await ranker.release();
  }
}

/** `count` pairs from the collections' training queries, an equal share each, seeded. */
export async function calibrationPairs(
  collections: readonly string[],
  count: number,
  seed: number,
): Promise<CalibrationPair[]> {
  if (!Number.isInteger(count) || count < 1) {
    throw new SiftError('E_PRUNE', `calibration pairs must be a positive integer, not ${count}`, {
      field: 'pairs',
    });
  }
  const share = Math.ceil(count / collections.length);
  const out: CalibrationPair[] = [];
  for (const [i, folder] of collections.entries()) {
    const examples = [
      ...(await beirExamples(folder, { split: 'train' })),
      ...(await beirExamples(folder, { split: 'dev' })),
    ];
    if (examples.length === 0) {
      throw new SiftError('E_PRUNE', `no judged training queries in ${folder} to calibrate on`, {
        file: folder,
      });
    }
    const picked = new Mulberry32((seed + i * 7919) >>> 0).shuffle(examples).slice(0, share);
    out.push(...picked.map((e) => ({ query: e.query, title: e.title, text: e.text })));
  }
  return out.slice(0, count);
}

function describeSpec(spec: BertPruneSpec): string {
  const parts: string[] = [];
  if (spec.mlp) parts.push(`${Math.round(spec.mlp * 100)}% of MLP neurons`);
  if (spec.heads) parts.push(`${Math.round(spec.heads * 100)}% of attention heads`);
  if (spec.dropLayers) parts.push(`the last ${spec.dropLayers} layers`);
  return parts.length > 0 ? `removed ${parts.join(', ')}` : 'nothing removed';
}
