// Training checkpoints: a Hugging Face model folder (model.safetensors with BertForSequenceClassification
// names, config.json, the tokenizer files) plus optimizer.safetensors (AdamW's moments) and
// trainer-state.json (step, data position, RNG, early-stopping state), so a run resumes exactly.
//
// Writing is atomic at two levels: a checkpoint is written into a temporary folder, every file fsynced,
// the folder renamed to checkpoints/step-NNNNNNN and fsynced into its parent; only then does the LATEST
// pointer (one line, temp file + fsync + rename) move to it. A crash or a full disk at any point leaves
// LATEST naming the previous complete checkpoint; the half-written folder is removed (or ignored on resume).

import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SiftError } from '../errors.js';
import { encodeSafetensors, readSafetensors, TOKENIZER_FILES } from '../models/index.js';
import { writeFileAtomic } from '../util/index.js';
import type { AdamW } from './adamw.js';
import type { Parameter } from './parameter.js';

export const TRAINER_STATE_VERSION = 1;

export interface TrainerState {
  version: number;
  /** sha256 of the options and data that determine the run; a resume must match it. */
  fingerprint: string;
  /** Optimizer steps taken. */
  step: number;
  /** Where the data stands: the next micro-batch is batch `batchInEpoch` of epoch `epoch`. */
  epoch: number;
  batchInEpoch: number;
  /** The dropout RNG's state. */
  rng: number;
  /** Best dev metric so far (nDCG@10, higher is better) and the checkpoint that had it. */
  best: { metric: number; step: number; checkpoint: string } | null;
  /** Evaluations in a row without improvement (early stopping). */
  badEvals: number;
  /** Mean training loss of each optimizer step since the start (for reports and resume checks). */
  losses: number[];
}

/** How checkpoint files reach the disk; tests replace it to simulate a full disk. */
export interface CheckpointIo {
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
}

/** write + fsync + close. */
export const durableIo: CheckpointIo = {
  async writeFile(path, data) {
    const handle = await open(path, 'w');
    try {
      await handle.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

export interface CheckpointContent {
  params: readonly Parameter[];
  adam: AdamW;
  state: TrainerState;
  /** config.json's text. */
  config: string;
  /** The folder tokenizer files are copied from. */
  tokenizerDir: string;
  /** More files copied from tokenizerDir when present (relative paths), e.g. sentence-transformers' modules. */
  modelFiles?: readonly string[];
}

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(7, '0')}`;
}

/** Writes a checkpoint and moves LATEST to it; returns its folder. */
export async function writeCheckpoint(
  outDir: string,
  content: CheckpointContent,
  io: CheckpointIo = durableIo,
): Promise<string> {
  const root = join(outDir, 'checkpoints');
  await mkdir(root, { recursive: true });
  const name = checkpointName(content.state.step);
  const final = join(root, name);
  const temp = join(root, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(temp);
    const { params, adam } = content;
    await io.writeFile(
      join(temp, 'model.safetensors'),
      encodeSafetensors(
        params.map((p) => ({ name: p.name, shape: p.shape, data: p.data })),
        { format: 'pt' },
      ),
    );
    await io.writeFile(
      join(temp, 'optimizer.safetensors'),
      encodeSafetensors([
        ...params.map((p, i) => ({ name: `m.${p.name}`, shape: p.shape, data: adam.m[i]! })),
        ...params.map((p, i) => ({ name: `v.${p.name}`, shape: p.shape, data: adam.v[i]! })),
      ]),
    );
    await io.writeFile(join(temp, 'config.json'), content.config);
    for (const file of [...TOKENIZER_FILES, ...(content.modelFiles ?? [])]) {
      const bytes = await readFile(join(content.tokenizerDir, file)).catch(() => undefined);
      if (!bytes) continue;
      await mkdir(dirname(join(temp, file)), { recursive: true });
      await io.writeFile(join(temp, file), bytes);
    }
    await io.writeFile(
      join(temp, 'trainer-state.json'),
      `${JSON.stringify({ ...content.state, adamStep: adam.step }, null, 1)}\n`,
    );
    await syncDir(temp);
    await rm(final, { recursive: true, force: true });
    await rename(temp, final);
    await syncDir(root);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    const previous = await latestCheckpoint(outDir);
    throw new SiftError(
      'E_IO',
      `${code === 'ENOSPC' ? 'disk is full' : `cannot write (${code ?? String(error)})`} while writing checkpoint ${name}; ${previous ? `the previous checkpoint ${previous} is intact` : 'no earlier checkpoint exists'}`,
      { file: final },
      { cause: error },
    );
  }
  await writeFileAtomic(join(outDir, 'LATEST'), `${name}\n`);
  return final;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes a model folder a Hugging Face loader and sift both read: model.safetensors from `params`,
 * config.json, and the tokenizer files of `tokenizerDir`. For models made outside a training run (pruning).
 */
export async function writeModelFolder(
  dir: string,
  content: { params: readonly Parameter[]; config: string; tokenizerDir: string },
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await durableIo.writeFile(
    join(dir, 'model.safetensors'),
    encodeSafetensors(
      content.params.map((p) => ({ name: p.name, shape: p.shape, data: p.data })),
      { format: 'pt' },
    ),
  );
  await durableIo.writeFile(join(dir, 'config.json'), content.config);
  for (const file of TOKENIZER_FILES) {
    const bytes = await readFile(join(content.tokenizerDir, file)).catch(() => undefined);
    if (bytes) await durableIo.writeFile(join(dir, file), bytes);
  }
  await syncDir(dir);
}

/** The folder LATEST names, or undefined when no checkpoint was ever completed. */
export async function latestCheckpoint(outDir: string): Promise<string | undefined> {
  const text = await readFile(join(outDir, 'LATEST'), 'utf8').catch(() => undefined);
  const name = text?.trim();
  return name ? join(outDir, 'checkpoints', name) : undefined;
}

/** Reads a checkpoint's trainer state. */
export async function readTrainerState(dir: string): Promise<TrainerState & { adamStep: number }> {
  const file = join(dir, 'trainer-state.json');
  let state: TrainerState & { adamStep: number };
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as TrainerState & { adamStep: number };
  } catch (error) {
    throw new SiftError(
      'E_CHECKPOINT',
      'the checkpoint has no readable trainer-state.json',
      { file },
      { cause: error },
    );
  }
  if (state.version !== TRAINER_STATE_VERSION)
    throw new SiftError(
      'E_CHECKPOINT',
      `trainer state version ${state.version} is not ${TRAINER_STATE_VERSION}`,
      {
        file,
      },
    );
  return state;
}

/** Where a run starts: a fresh state, or the one saved in the run's LATEST checkpoint. */
export interface RunStart {
  state: TrainerState;
  /** AdamW's step count to restore (0 when fresh). */
  adamStep: number;
  /** The checkpoint resumed from (its weights and optimizer state load next), or undefined when fresh. */
  resumeFrom: string | undefined;
}

/**
 * Starts a run in `outDir`, or continues it from LATEST. A saved run made with other options or data
 * (another fingerprint) is refused with E_CHECKPOINT rather than silently mixed with this one.
 */
export async function startOrResume(outDir: string, fingerprint: string, seed: number): Promise<RunStart> {
  const resumeFrom = await latestCheckpoint(outDir);
  if (!resumeFrom)
    return {
      state: {
        version: TRAINER_STATE_VERSION,
        fingerprint,
        step: 0,
        epoch: 0,
        batchInEpoch: 0,
        rng: (seed ^ 0x5bd1e995) >>> 0,
        best: null,
        badEvals: 0,
        losses: [],
      },
      adamStep: 0,
      resumeFrom,
    };
  const saved = await readTrainerState(resumeFrom);
  if (saved.fingerprint !== fingerprint)
    throw new SiftError(
      'E_CHECKPOINT',
      'the output folder holds a different training run (options or data differ); use a new folder',
      { file: join(resumeFrom, 'trainer-state.json') },
    );
  const { adamStep, ...state } = saved;
  return { state, adamStep, resumeFrom };
}

/** Loads AdamW's moments and step from a checkpoint into `adam` (parameters matched by name). */
export async function loadOptimizer(dir: string, adam: AdamW, step: number): Promise<void> {
  const file = await readSafetensors(join(dir, 'optimizer.safetensors'));
  adam.params.forEach((p, i) => {
    for (const [prefix, target] of [
      ['m', adam.m[i]!],
      ['v', adam.v[i]!],
    ] as const) {
      const name = `${prefix}.${p.name}`;
      if (!file.has(name))
        throw new SiftError('E_CHECKPOINT', `optimizer state lacks "${name}"`, {
          file: file.file,
          field: name,
        });
      target.set(file.float32(name).data);
    }
  });
  adam.step = step;
}

/** Removes all but the newest `keep` checkpoints, never one in `protect` (the best). */
export async function pruneCheckpoints(
  outDir: string,
  keep: number,
  protect: readonly string[],
): Promise<void> {
  const root = join(outDir, 'checkpoints');
  const names = (await readdir(root)).filter((n) => /^step-\d+$/.test(n)).sort();
  const old = names.slice(0, Math.max(0, names.length - keep));
  for (const name of old) {
    const dir = join(root, name);
    if (!protect.includes(dir)) await rm(dir, { recursive: true, force: true });
  }
}
