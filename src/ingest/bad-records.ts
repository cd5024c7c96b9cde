// The onBadRecord policy shared by every reader: throw the first bad record, or skip it and tally it.

import { SiftError } from '../errors.js';
import type { ReadOptions, ReadStats } from './types.js';

/** How many skip reasons a ReadStats keeps; the count keeps going, the examples stop. */
export const MAX_SKIPPED_EXAMPLES = 10;

export function createReadStats(): ReadStats {
  return { read: 0, skipped: 0, skippedExamples: [] };
}

/**
 * Rejects options a type-checked caller cannot write but a JavaScript or CLI caller can:
 * an unknown policy, or `skip` with nowhere to count the skipped lines.
 */
export function checkReadOptions(options: ReadOptions): void {
  const policy: unknown = options.onBadRecord;
  if (policy !== undefined && policy !== 'fail' && policy !== 'skip') {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      `onBadRecord must be "fail" or "skip", not ${JSON.stringify(policy)}`,
      {
        field: 'onBadRecord',
      },
    );
  }
  if (policy === 'skip' && !isReadStats(options.stats)) {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      'onBadRecord "skip" needs a stats object to count skipped lines in',
      {
        field: 'stats',
      },
    );
  }
}

/**
 * Applies the policy to an error raised while reading one record: rethrows it under `fail`,
 * tallies it under `skip`. Anything that is not a SiftError is a bug, not a bad record, so it always rethrows.
 */
export function skipOrThrow(error: unknown, options: ReadOptions): void {
  if (!(error instanceof SiftError) || options.onBadRecord !== 'skip') throw error;
  const stats = options.stats;
  stats.skipped += 1;
  if (stats.skippedExamples.length < MAX_SKIPPED_EXAMPLES) stats.skippedExamples.push(error.message);
}

/** Counts one record the reader is about to yield. */
export function countRead(options: ReadOptions): void {
  if (options.stats !== undefined) options.stats.read += 1;
}

function isReadStats(value: unknown): value is ReadStats {
  if (typeof value !== 'object' || value === null) return false;
  const stats = value as Partial<ReadStats>;
  return (
    typeof stats.read === 'number' &&
    typeof stats.skipped === 'number' &&
    Array.isArray(stats.skippedExamples)
  );
}
