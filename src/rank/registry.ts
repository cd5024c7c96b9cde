// The rankers sift knows: which model, prompt template and answer labels each uses.
//
// The default is the query-likelihood ranker. The only instruction-tuned model obtainable here has 135M
// parameters: asking it for a calibrated "Yes" depends on instruction following it barely has, while
// query likelihood scores its own training objective (how likely the searcher's words are given the
// document), the principled zero-shot choice for a small language model (UPR, Sachan et al. 2022). The
// yes/no scorer stays the design for a distilled student (../shared/SYSTEM.md §1). Its labels are the model's own
// first answer tokens after the assistant marker ("Yes"/"No", no leading space).

import { fileURLToPath } from 'node:url';
import { SiftError } from '../errors.js';

export interface DecoderRankerSpec {
  id: string;
  kind: 'decoder-yes-no';
  description: string;
  /** Registry model id of the decoder. */
  model: string;
  /** Prompt template file in assets/prompts. */
  template: string;
  labels: { yes: string; no: string };
}

export interface QueryLikelihoodRankerSpec {
  id: string;
  kind: 'decoder-query-likelihood';
  description: string;
  model: string;
  /** Template with {document} before {query}. */
  template: string;
}

export type RankerSpec = DecoderRankerSpec | QueryLikelihoodRankerSpec;

const RANKERS: readonly RankerSpec[] = [
  {
    id: 'smollm2-135m-yesno',
    kind: 'decoder-yes-no',
    description: 'SmolLM2-135M-Instruct asked whether the document is relevant; score = p(Yes) vs No',
    model: 'smollm2-135m-instruct-q4',
    template: 'relevance-chatml.txt',
    labels: { yes: 'Yes', no: 'No' },
  },
  {
    id: 'smollm2-135m-qlik',
    kind: 'decoder-query-likelihood',
    description: 'SmolLM2-135M-Instruct query likelihood (UPR): mean log p(query | document)',
    model: 'smollm2-135m-instruct-q4',
    template: 'query-likelihood-chatml.txt',
  },
];

export const DEFAULT_RANKER = 'smollm2-135m-qlik';

/** Ranker ids, each also available as "<id>:int8" (int8 weights). */
export function rankerIds(): string[] {
  return RANKERS.map((r) => r.id);
}

/** Resolves "default", "<id>" or "<id>:int8" to a spec and a dtype. */
export function rankerSpec(ref: string): { spec: RankerSpec; dtype: 'fp32' | 'int8' } {
  const [name = '', variant] = ref.split(':');
  const id = name === 'default' ? DEFAULT_RANKER : name;
  const spec = RANKERS.find((r) => r.id === id);
  if (!spec || (variant !== undefined && variant !== 'int8' && variant !== 'fp32')) {
    throw new SiftError(
      'E_RANKER_UNKNOWN',
      `unknown ranker "${ref}" (available: default, ${rankerIds()
        .flatMap((r) => [r, `${r}:int8`])
        .join(', ')})`,
      { field: 'rerank' },
    );
  }
  return { spec, dtype: variant === 'int8' ? 'int8' : 'fp32' };
}

/** Path of a prompt template shipped in assets/prompts (assets/ sits beside dist/ in the package). */
export function promptTemplatePath(name: string): string {
  return fileURLToPath(new URL(`../../../assets/prompts/${name}`, import.meta.url));
}
