// Opens the ONNX session of a nomic-bert GGUF file and the tokenizer its vocabulary defines: the graph is
// built by nomic.ts once, then cached beside the weights under a key of the builder version, the options
// and the GGUF file's size and mtime.

import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SiftError } from '../../errors.js';
import type { Session, SessionOptions } from '../../runtime/index.js';
import { openCachedGraph } from '../../runtime/index.js';
import { readGguf } from '../gguf/gguf-file.js';
import { ggufTokenizer } from '../gguf/gguf-tokenizer.js';
import type { TextTokenizer } from '../tokenizer.js';
import { buildNomicEncoderGraph, NOMIC_GRAPH_VERSION, type NomicGraphOptions, nomicConfig } from './nomic.js';

export async function openNomicGraph(
  file: string,
  graphOptions: NomicGraphOptions,
  options: { cache: boolean; session: SessionOptions },
): Promise<{ session: Session; path: string | undefined; tokenizer: TextTokenizer }> {
  const weights = await stat(file).catch((error: unknown) => {
    throw new SiftError('E_MODEL_FILE', 'the GGUF weights file does not exist', { file }, { cause: error });
  });
  const gguf = await readGguf(file);
  const config = nomicConfig(gguf);
  const tokenizer = ggufTokenizer(gguf).tokenizer;
  const key = {
    builder: NOMIC_GRAPH_VERSION,
    config,
    options: graphOptions,
    weights: { bytes: weights.size, mtimeMs: weights.mtimeMs },
  };
  const built = await openCachedGraph(
    dirname(file),
    key,
    () => buildNomicEncoderGraph(gguf, config, graphOptions),
    options.cache,
    options.session,
  );
  return { ...built, tokenizer };
}
