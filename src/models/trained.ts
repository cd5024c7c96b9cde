// Models that sift trained itself (`sift train`): each is a standard Hugging Face folder (config.json,
// model.safetensors, tokenizer files) under $SIFT_HOME/models/trained/<id>/, with a model card,
// sift-model.json, saying what it is and how it was made (preset, base model, label sets and their
// hashes, settings, dev metrics). Rankers, the CLI and the server find trained models here by id.
//
// Installing is atomic: each install writes a new folder (.<id>@<stamp>) and then renames a symbolic link
// <id> → that folder over the old link, so a reader sees the old model or the new one, never a
// half-copied folder, and a kill at any moment leaves one of the two installed.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import {
  cp,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  symlink,
} from 'node:fs/promises';
import { join } from 'node:path';
import { SiftError } from '../errors.js';
import { siftPaths, writeFileAtomic } from '../util/index.js';

export const MODEL_CARD = 'sift-model.json';
export const MODEL_CARD_VERSION = 1;

/**
 * What a trained model is: cross-encoders and decoder rankers (a yes/no decoder: a Llama/Qwen2 folder
 * whose card names its prompt) are rankers (`--rerank`), bi-encoders embedders (`--embedder`).
 */
export type TrainedModelKind = 'cross-encoder' | 'bi-encoder' | 'decoder-ranker';

const KINDS: readonly TrainedModelKind[] = ['cross-encoder', 'bi-encoder', 'decoder-ranker'];

export interface TrainedModelCard {
  version: typeof MODEL_CARD_VERSION;
  id: string;
  kind: TrainedModelKind;
  /** The recipe (`sift train --preset <name>`), or "custom". */
  preset: string;
  /** Registry id of the model training started from. */
  base: string;
  /** When the model was installed (ISO 8601). */
  createdAt: string;
  /** Everything else worth knowing: data (files and sha256), settings, steps, dev metrics. */
  [detail: string]: unknown;
}

/** Ids sift reserves for models its presets train; `--rerank` names them before they exist. */
export const TRAINABLE_MODELS: Readonly<Record<string, { preset: string; kind: TrainedModelKind }>> = {
  'sift-ce-minilm-l6': { preset: 'default', kind: 'cross-encoder' },
  'sift-ce-jobs': { preset: 'demo', kind: 'cross-encoder' },
  'sift-bi-minilm-l6': { preset: 'bi-encoder', kind: 'bi-encoder' },
  'sift-yesno-smollm2-135m': { preset: 'decoder', kind: 'decoder-ranker' },
};

const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Checks a trained model's id (it names a folder): lower-case letters, digits, '.', '_' and '-'. */
export function checkTrainedModelId(id: string): string {
  if (!ID.test(id) || id.includes('..')) {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      `"${id}" is not a usable model id (lower-case letters, digits, ".", "_" and "-", at most 64)`,
      { field: 'id' },
    );
  }
  return id;
}

export function trainedModelsDir(home: string = siftPaths().home): string {
  return join(home, 'models', 'trained');
}

export function trainedModelDir(id: string, home?: string): string {
  return join(trainedModelsDir(home), checkTrainedModelId(id));
}

/** The card of the trained model `id`, or undefined when none is installed. */
export async function readTrainedModel(id: string, home?: string): Promise<TrainedModelCard | undefined> {
  if (!ID.test(id)) return undefined;
  const file = join(trainedModelDir(id, home), MODEL_CARD);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let card: unknown;
  try {
    card = JSON.parse(text);
  } catch {
    throw new SiftError('E_MODEL_LOAD', 'the model card is not JSON', { file });
  }
  const c = card as Partial<TrainedModelCard>;
  if (c.version !== MODEL_CARD_VERSION || c.id !== id || !KINDS.includes(c.kind as TrainedModelKind)) {
    throw new SiftError(
      'E_MODEL_LOAD',
      `not a version ${MODEL_CARD_VERSION} card of a trained model "${id}"`,
      {
        file,
      },
    );
  }
  return c as TrainedModelCard;
}

/** The folder of installed trained model `id` (config.json and weights present), or undefined. */
export function installedTrainedModel(id: string, home?: string): string | undefined {
  if (!ID.test(id)) return undefined;
  const dir = trainedModelDir(id, home);
  return existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'model.safetensors')) ? dir : undefined;
}

/** Ids of the installed trained models, of one kind when `kind` is given (synchronous: ranker lists are). */
export function installedTrainedIds(home?: string, kind?: TrainedModelKind): string[] {
  let names: string[];
  try {
    names = readdirSync(trainedModelsDir(home));
  } catch {
    return [];
  }
  return names
    .filter((name) => installedTrainedModel(name, home) !== undefined)
    .filter((name) => kind === undefined || installedTrainedKind(name, home) === kind)
    .sort();
}

/**
 * The kind its card gives an installed trained model, or undefined when none is installed or its card is
 * unreadable. Synchronous, for the ranker and embedder lookups that decide what an id is.
 */
export function installedTrainedKind(id: string, home?: string): TrainedModelKind | undefined {
  if (!installedTrainedModel(id, home)) return undefined;
  try {
    const card = JSON.parse(readFileSync(join(trainedModelDir(id, home), MODEL_CARD), 'utf8')) as {
      kind?: unknown;
    };
    return KINDS.find((kind) => kind === card.kind);
  } catch {
    return undefined;
  }
}

/** Cards of every installed trained model, by id. */
export async function listTrainedModels(home?: string): Promise<TrainedModelCard[]> {
  let names: string[];
  try {
    names = await readdir(trainedModelsDir(home));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const cards: TrainedModelCard[] = [];
  for (const name of names.sort()) {
    if (!ID.test(name)) continue; // staging folders (".<id>.new-…") and strays
    const card = await readTrainedModel(name, home).catch(() => undefined);
    if (card) cards.push(card);
  }
  return cards;
}

/**
 * Installs the model in `from` (a Hugging Face folder) as trained model `card.id`, with its card,
 * replacing an earlier one atomically. Returns the installed folder (the link's path).
 */
export async function installTrainedModel(
  from: string,
  card: TrainedModelCard,
  home?: string,
): Promise<string> {
  const link = trainedModelDir(card.id, home);
  const root = trainedModelsDir(home);
  await mkdir(root, { recursive: true });
  const stamp = `${Date.now()}-${process.pid}`;
  const folder = `.${card.id}@${stamp}`;
  // Only what a model folder holds: no optimizer moments or trainer state. `from` may itself be an
  // installed model (a link): copy what it points to, never the link.
  await cp(await realpath(from), join(root, folder), {
    recursive: true,
    dereference: true,
    filter: (source) => !/(optimizer\.safetensors|trainer-state\.json)$/.test(source),
  });
  await writeFileAtomic(join(root, folder, MODEL_CARD), `${JSON.stringify(card, null, 2)}\n`);
  const previous = await lstat(link).then(
    async (stats) => (stats.isSymbolicLink() ? await readlink(link) : undefined),
    () => undefined,
  );
  const staged = join(root, `.${card.id}.link-${stamp}`);
  await symlink(folder, staged);
  await rename(staged, link);
  if (previous && previous !== folder) await rm(join(root, previous), { recursive: true, force: true });
  return link;
}
