// Parsers for command-line option values that fail with a clear message.

import { type Command, InvalidArgumentError } from 'commander';
import { SiftError } from '../errors.js';

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected an integer ≥ 0, got "${value}"`);
  return n;
}

export function parseNonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number ≥ 0, got "${value}"`);
  return n;
}

export function parsePositiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number > 0, got "${value}"`);
  return n;
}

/** The --shards and --replication options of commands that create a remote (Weaviate) collection. */
export function addRemoteLayoutOptions(command: Command): Command {
  return command
    .option(
      '--shards <n>',
      'with --backend weaviate: shards of a new collection (default 3 with ≥ 3 nodes)',
      parsePositiveInt,
    )
    .option(
      '--replication <n>',
      'with --backend weaviate: replication factor of a new collection (default 2 with ≥ 3 nodes)',
      parsePositiveInt,
    );
}

/** The layout those options ask for (only what was given; the backend chooses the rest). */
export function remoteLayout(opts: { shards?: number; replication?: number }): {
  shards?: number;
  replicationFactor?: number;
} {
  return {
    ...(opts.shards !== undefined ? { shards: opts.shards } : {}),
    ...(opts.replication !== undefined ? { replicationFactor: opts.replication } : {}),
  };
}

/** The summary methods `sift compress summaries` makes (model-written summaries are not built yet). */
export function parseSummaryMethod(method: string): 'extractive' | 'lead' | 'llm' {
  if (method === 'extractive' || method === 'lead' || method === 'llm') return method;
  throw new SiftError('E_BAD_ARGUMENT', `--method must be extractive, lead or llm, not "${method}"`, {
    field: 'method',
  });
}
