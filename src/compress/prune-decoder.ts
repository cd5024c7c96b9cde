// Structured pruning of a yes/no decoder (Llama/Qwen2, the paper's SLM rankers), block by block, as the
// paper prunes its 0.6B student (50% of MLP neurons and 8 of 28 layers):
// - whole layers: the last k are dropped;
// - MLP neurons: the consumer is `mlp.down_proj` (a group is one input row, one SwiGLU neuron); the
//   producers `mlp.gate_proj` and `mlp.up_proj` lose the removed neurons' rows.
// Attention heads are not pruned: under grouped-query attention a head shares its key/value group with
// others, and Hugging Face's Llama config has one head count for every layer.
// As for BERT, each consumer is refitted by OSSCAR (or cut by magnitude) on activations from the training
// engine's forward pass of the model as pruned so far.

import { SiftError } from '../errors.js';
import type { TokenBatch, YesNoDecoder } from '../train/index.js';
import {
  consumerWeight,
  dropTopLayers,
  fitConsumer,
  fraction,
  keepOutputs,
  type LayerPruneReport,
  type PruneSpec,
  withInputs,
} from './consumer-fit.js';

export interface DecoderPruneResult {
  layers: LayerPruneReport[];
  warnings: string[];
}

/** Prunes `model` in place on the calibration batches; calls `onBlock` after each block. */
export function pruneDecoder(
  model: YesNoDecoder,
  calibration: readonly TokenBatch[],
  spec: PruneSpec,
  onBlock: (done: number, total: number) => void = () => {},
): DecoderPruneResult {
  const mlp = fraction(spec.mlp ?? 0, 'mlp');
  dropTopLayers(model.layers, spec.dropLayers ?? 0);
  const result: DecoderPruneResult = { layers: [], warnings: [] };
  if (mlp === 0) return result;
  if (calibration.length === 0) {
    throw new SiftError('E_PRUNE', 'no calibration pairs: pruning needs activations to fit', {
      field: 'calibration',
    });
  }
  let hidden = calibration.map((batch) => model.embed(batch));
  model.layers.forEach((layer, index) => {
    const parts = layer.parts;
    const groups = parts.gate.outFeatures;
    const keep = Math.max(1, groups - Math.round(mlp * groups));
    const run = (b: number) =>
      layer.forward(hidden[b]!, calibration[b]!.batch, calibration[b]!.seq, calibration[b]!.lengths);
    const { report, solution } = fitConsumer(parts.down, calibration, run, 1, keep, spec, (w) =>
      result.warnings.push(`layer ${index} MLP: ${w}`),
    );
    result.layers.push({ ...report, layer: index, target: 'mlp' });
    parts.gate = keepOutputs(parts.gate, solution.kept);
    parts.up = keepOutputs(parts.up, solution.kept);
    parts.down = withInputs(parts.down, consumerWeight(solution, parts.down.outFeatures));
    hidden = hidden.map((_, b) => run(b));
    onBlock(index + 1, model.layers.length);
  });
  return result;
}
