// The state of a `sift flywheel` work folder (flywheel.json): which steps are done, what each depended on
// and what it reported, so that a second run skips what is done and resumes the rest.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SiftError } from '../errors.js';

export type StepName = 'queries' | 'sample' | 'judge' | 'calibrate' | 'export' | 'train' | 'evaluate';

export interface StepRecord {
  at: string;
  seconds: number;
  /** What the step's result depends on; a recorded step is skipped only when this is unchanged. */
  inputs?: string;
  detail: Record<string, unknown>;
}

export interface FlywheelState {
  version: 1;
  collection: string;
  policy: string;
  judge: string;
  steps: Partial<Record<StepName, StepRecord>>;
}

/** The state in `file`, or a fresh one; refuses a folder of another collection, policy or judge. */
export async function readFlywheelState(
  file: string,
  identity: Pick<FlywheelState, 'collection' | 'policy' | 'judge'>,
): Promise<FlywheelState> {
  const fresh: FlywheelState = { version: 1, ...identity, steps: {} };
  if (!existsSync(file)) return fresh;
  let state: FlywheelState;
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as FlywheelState;
  } catch (error) {
    throw new SiftError('E_FLYWHEEL', `the flywheel state is not valid JSON: ${String(error)}`, { file });
  }
  if (state.version !== 1 || typeof state.steps !== 'object' || state.steps === null)
    throw new SiftError('E_FLYWHEEL', 'the flywheel state is of an unknown version', { file });
  // Another corpus, policy or judge in the same folder is another flywheel: refuse rather than mix labels.
  for (const key of ['collection', 'policy', 'judge'] as const) {
    if (state[key] !== identity[key])
      throw new SiftError(
        'E_FLYWHEEL',
        `this work folder holds a flywheel for another ${key} (${state[key]}); use another --work`,
        { file, field: key },
      );
  }
  return state;
}
