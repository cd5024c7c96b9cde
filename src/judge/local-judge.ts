// The in-process judge on sift's own decoder runtime (SmolLM2-135M-Instruct and kin). SEAM: the body is
// filled in with the decoder runtime; until then it says plainly that the local judge is not available.

import { SiftError } from '../errors.js';
import type { Policy } from './policy.js';
import type { Judge } from './types.js';

/** What `--judge default` resolves to. */
export const DEFAULT_LOCAL_JUDGE = 'smollm2-135m-instruct';

export async function openLocalJudge(
  modelId: string,
  _options: { policy: Policy; quiet?: boolean },
): Promise<Judge> {
  throw new SiftError(
    'E_MODEL_UNKNOWN',
    `the local judge "${modelId}" is not available yet (sift's decoder runtime is not in this build); ` +
      'use --judge <http(s) URL of an OpenAI-compatible server> meanwhile',
    { field: 'judge' },
  );
}
