// The checkpoint a training run starts from: an installed trained model named by --from, or the
// recipe's registry base as the training engine can read it (models/trainable-checkpoint.ts converts a
// base that ships only an ONNX export).

import { SiftError } from '../errors.js';
import { installedTrainedModel, trainableCheckpoint } from '../models/index.js';

export async function startingCheckpoint(
  from: string | undefined,
  base: string,
  options: { home: string; quiet: boolean },
): Promise<string> {
  if (from === undefined) return trainableCheckpoint(base, options);
  const folder = installedTrainedModel(from, options.home);
  if (!folder) {
    throw new SiftError('E_MODEL_UNKNOWN', `no trained model "${from}" is installed to start from`, {
      field: 'from',
    });
  }
  return folder;
}
