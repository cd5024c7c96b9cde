// The tiny random-weight decoders of test/fixtures/train/decoder-parity.safetensors (made by
// test/fixtures/train/make-decoder-parity-fixtures.py), as YesNoDecoder models of the training engine.

import { readFileSync } from 'node:fs';
import { type DecoderConfig, decoderWeightsFromHf, parseSafetensors } from '../../src/models/index.js';
import { YesNoDecoder } from '../../src/train/index.js';

export const decoderFixture = parseSafetensors(
  readFileSync(new URL('../../../test/fixtures/train/decoder-parity.safetensors', import.meta.url)),
  'decoder-parity.safetensors',
);

/** A fixture tensor as float32 (a copy). */
export const fixtureFloats = (name: string): Float32Array => decoderFixture.float32(name).data.slice();
/** A fixture tensor as integers. */
export const fixtureInts = (name: string): Int32Array => Int32Array.from(fixtureFloats(name));

/** One fixture decoder ('llama_tied' or 'qwen2_untied') and its checkpoint's tensor names. */
export function fixtureDecoder(
  name: string,
  architecture: 'llama' | 'qwen2',
  tied: boolean,
): { model: YesNoDecoder; names: string[] } {
  const [vocab, hidden, heads, kvHeads, headDim, , layers, base, eps] = fixtureFloats(`${name}.shape`);
  const config: DecoderConfig = {
    architecture,
    layers: layers!,
    hidden: hidden!,
    heads: heads!,
    kvHeads: kvHeads!,
    headDim: headDim!,
    vocabSize: vocab!,
    contextLength: 32,
    ropeTheta: base!,
    rmsEpsilon: eps!,
    tiedEmbeddings: tied,
  };
  const prefix = `${name}.w.`;
  const names = decoderFixture.names.filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
  const source = {
    file: 'decoder-parity.safetensors',
    names,
    has: (n: string) => decoderFixture.has(prefix + n),
    float32: (n: string) => ({ ...decoderFixture.float32(prefix + n), name: n }),
  };
  const [yes, no] = fixtureInts(`${name}.labels`);
  const model = YesNoDecoder.fromWeights(decoderWeightsFromHf(source, config), config, {
    yes: yes!,
    no: no!,
  });
  return { model, names };
}
