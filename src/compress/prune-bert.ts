// Structured pruning of a BERT-family model (the cross-encoder students), block by block:
// - whole layers: the last k are dropped (the paper's production recipe drops the last 8 of 28);
// - attention heads: the consumer is `attention.output.dense` (a group is head_dim input rows); the
//   producers `query`/`key`/`value` lose the removed heads' rows;
// - MLP neurons: the consumer is `output.dense` (a group is one input row); the producer
//   `intermediate.dense` loses the removed neurons' rows.
// Each consumer is refitted by OSSCAR (or cut by magnitude, the baseline) on calibration activations taken
// from the training engine's forward pass of the model *as pruned so far*, so each block's fit sees the
// inputs it will really get. The engine's forward matches PyTorch (train/parity.test.ts) and exposes every
// layer's input, which ONNX Runtime's fused graph would need rebuilding for after every block.

import { SiftError } from '../errors.js';
import type { BertEncoder, BertLayer, TokenBatch } from '../train/index.js';
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
import type { PruneSolution } from './osscar.js';

export type { LayerPruneReport, PruneMethod } from './consumer-fit.js';

export interface BertPruneSpec extends PruneSpec {
  /** Fraction of attention heads removed in every kept layer, in [0, 1). */
  heads?: number;
}

export interface BertPruneResult {
  layers: LayerPruneReport[];
  /** Removed head indices per kept layer (Hugging Face's `pruned_heads`). */
  prunedHeads: Record<string, number[]>;
  /** What the caller should tell the user (a calibration set too small for the Hessian's rank). */
  warnings: string[];
}

/** Prunes `encoder` in place on the calibration batches; calls `onBlock` after each block. */
export function pruneBertEncoder(
  encoder: BertEncoder,
  calibration: readonly TokenBatch[],
  spec: BertPruneSpec,
  onBlock: (done: number, total: number) => void = () => {},
): BertPruneResult {
  const mlp = fraction(spec.mlp ?? 0, 'mlp');
  const heads = fraction(spec.heads ?? 0, 'heads');
  dropTopLayers(encoder.layers, spec.dropLayers ?? 0);
  const result: BertPruneResult = { layers: [], prunedHeads: {}, warnings: [] };
  if (mlp === 0 && heads === 0) return result;
  if (calibration.length === 0) {
    throw new SiftError('E_PRUNE', 'no calibration pairs: pruning needs activations to fit', {
      field: 'calibration',
    });
  }
  let hidden = calibration.map((batch) => encoder.embeddings.forward(batch));
  encoder.layers.forEach((layer, index) => {
    if (heads > 0) {
      const headDim = layer.parts.query.outFeatures / layer.parts.heads;
      const groups = layer.parts.heads;
      const keep = Math.max(1, groups - Math.round(heads * groups));
      const { report, solution } = fitConsumer(
        layer.parts.attentionOutput,
        calibration,
        (b) => layer.forward(hidden[b]!, calibration[b]!.batch, calibration[b]!.seq, calibration[b]!.lengths),
        headDim,
        keep,
        spec,
        (w) => result.warnings.push(`layer ${index} attention: ${w}`),
      );
      result.layers.push({ ...report, layer: index, target: 'heads' });
      const removed = range(groups).filter((h) => !solution.kept.includes(h));
      if (removed.length > 0) result.prunedHeads[String(index)] = removed;
      sliceHeads(layer, solution, headDim);
    }
    if (mlp > 0) {
      const groups = layer.parts.intermediate.outFeatures;
      const keep = Math.max(1, groups - Math.round(mlp * groups));
      const { report, solution } = fitConsumer(
        layer.parts.output,
        calibration,
        (b) => layer.forward(hidden[b]!, calibration[b]!.batch, calibration[b]!.seq, calibration[b]!.lengths),
        1,
        keep,
        spec,
        (w) => result.warnings.push(`layer ${index} MLP: ${w}`),
      );
      result.layers.push({ ...report, layer: index, target: 'mlp' });
      sliceNeurons(layer, solution);
    }
    hidden = hidden.map((x, b) =>
      layer.forward(x, calibration[b]!.batch, calibration[b]!.seq, calibration[b]!.lengths),
    );
    onBlock(index + 1, encoder.layers.length);
  });
  return result;
}

/** Keeps the solution's heads: q/k/v rows of those heads, the attention output refitted on them. */
function sliceHeads(layer: BertLayer, solution: PruneSolution, headDim: number): void {
  const parts = layer.parts;
  const rows: number[] = [];
  for (const h of solution.kept) for (let i = 0; i < headDim; i++) rows.push(h * headDim + i);
  parts.query = keepOutputs(parts.query, rows);
  parts.key = keepOutputs(parts.key, rows);
  parts.value = keepOutputs(parts.value, rows);
  parts.attentionOutput = withInputs(
    parts.attentionOutput,
    consumerWeight(solution, parts.attentionOutput.outFeatures),
  );
  parts.heads = solution.kept.length;
}

/** Keeps the solution's MLP neurons: intermediate rows, the output refitted on them. */
function sliceNeurons(layer: BertLayer, solution: PruneSolution): void {
  const parts = layer.parts;
  parts.intermediate = keepOutputs(parts.intermediate, solution.kept);
  parts.output = withInputs(parts.output, consumerWeight(solution, parts.output.outFeatures));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
