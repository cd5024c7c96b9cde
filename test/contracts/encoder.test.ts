// Runs the Encoder contract against the embedders in SIFT_HOME: all-MiniLM-L6-v2 in float32 and int8
// (BERT graph) and nomic-embed-text-v1.5 at a Matryoshka width (GGUF nomic-bert graph).

import { openEmbedder } from '../../src/models/index.js';
import { modelSkip } from '../lib/model-skip.js';
import { encoderContract } from './encoder-contract.js';

const minilm = modelSkip('all-minilm-l6-v2');
encoderContract('all-minilm-l6-v2', () => openEmbedder('all-minilm-l6-v2', { quiet: true }), {
  skip: minilm,
  batchTolerance: 1e-5,
});
// int8 quantises activations dynamically with one scale per tensor, and the tensor is the whole batch: a
// text's row depends on what it is batched with (measured: up to 0.016 per dimension on these texts).
encoderContract('all-minilm-l6-v2:int8', () => openEmbedder('all-minilm-l6-v2:int8', { quiet: true }), {
  skip: minilm,
  batchTolerance: 0.05,
});
encoderContract(
  'nomic-embed-text-v1.5@256',
  () => openEmbedder('nomic-embed-text-v1.5@256', { quiet: true }),
  {
    skip: modelSkip('nomic-embed-text-v1.5'),
    batchTolerance: 1e-5,
  },
);
