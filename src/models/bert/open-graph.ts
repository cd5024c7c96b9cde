// Opens the ONNX session of a BERT folder's safetensors weights: built by graph.ts once, then cached beside
// the weights under a key of everything the graph depends on (builder version, config, options, the
// weights file's size and mtime). Embedders and cross-encoders both open their graphs here.

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SiftError } from '../../errors.js';
import type { Session, SessionOptions } from '../../runtime/index.js';
import { openCachedGraph } from '../../runtime/index.js';
import { readSafetensors } from '../safetensors.js';
import type { BertConfig } from './config.js';
import { BERT_GRAPH_VERSION, type BertGraphOptions, buildBertEncoderGraph } from './graph.js';

export async function openBertGraph(
  dir: string,
  config: { parsed: BertConfig; text: string },
  graphOptions: BertGraphOptions,
  options: { cache: boolean; session: SessionOptions },
): Promise<{ session: Session; path: string | undefined }> {
  const weightsFile = join(dir, 'model.safetensors');
  const weights = await stat(weightsFile).catch((error: unknown) => {
    throw new SiftError(
      'E_MODEL_FILE',
      'the weights file does not exist',
      { file: weightsFile },
      { cause: error },
    );
  });
  const key = {
    builder: BERT_GRAPH_VERSION,
    config: config.text,
    options: graphOptions,
    weights: { bytes: weights.size, mtimeMs: weights.mtimeMs },
  };
  const build = async () =>
    buildBertEncoderGraph(config.parsed, await readSafetensors(weightsFile), graphOptions);
  return openCachedGraph(dir, key, build, options.cache, options.session);
}
