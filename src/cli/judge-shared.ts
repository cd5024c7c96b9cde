// What the judge subcommands share: choosing a store's label set, and plain-text tables.

import { existsSync } from 'node:fs';
import { SiftError } from '../errors.js';
import { type LabelSet, type LabelStore, loadPolicy } from '../judge/index.js';

export interface SelectOptions {
  policy?: string;
  judge?: string;
}

export async function selectLabelSet(store: LabelStore, opts: SelectOptions): Promise<LabelSet> {
  const sets = store.labelSets();
  if (sets.length === 0)
    throw new SiftError('E_STORE', 'the store has no labels yet (run `sift judge run`)', {
      file: store.path,
    });
  let candidates = sets;
  if (opts.policy !== undefined) {
    const wanted = opts.policy;
    let matching = sets.filter(
      (s) => s.policyName === wanted || (wanted.length >= 6 && s.policyHash.startsWith(wanted)),
    );
    if (matching.length === 0 && (existsSync(wanted) || !wanted.includes('/'))) {
      const hash = await loadPolicy(wanted)
        .then((policy) => policy.hash)
        .catch(() => undefined);
      matching = sets.filter((s) => s.policyHash === hash);
    }
    candidates = matching;
  }
  if (opts.judge !== undefined) candidates = candidates.filter((s) => s.judgeId === opts.judge);
  const chosen = candidates[0];
  if (chosen === undefined) {
    const known = sets.map((s) => `${s.policyName} ${s.policyHash.slice(0, 12)} × ${s.judgeId}`).join('; ');
    throw new SiftError('E_STORE', `no labels match --policy/--judge (the store has: ${known})`, {
      file: store.path,
    });
  }
  return chosen;
}

// ---- formatting -------------------------------------------------------------------------------------

export function fmt(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(3);
}

export function confusionTable(matrix: { categories: number[]; counts: number[][] }): string {
  const header = ['judge \\ human', ...matrix.categories.map(String)];
  const rows = matrix.categories.map((c, i) => [String(c), ...matrix.counts[i]!.map(String)]);
  return table([header, ...rows]);
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!)))
        .join('  '),
    )
    .join('\n');
}

/** What `--judge` takes, for every command that has the option. */
export const JUDGE_SPEC_HELP =
  'default (Qwen2.5-Coder-1.5B on llama.cpp) | llama:<model id> | [local:]<model id> (sift runtime) | <OpenAI-compatible base URL>';

export function badArgument(detail: string, field: string): SiftError {
  return new SiftError('E_BAD_ARGUMENT', detail, { field });
}

/** What `sift judge run` says of the store, policy and judge, locally or on the queue. */
export interface JudgeRunSettings {
  store: string;
  policy: string;
  judge: string;
  model?: string;
  apiKeyEnv: string;
  timeout: number;
  retries: number;
  outputAttempts: number;
  maxDocChars?: number;
  softLabels: boolean;
  priceIn?: number;
  priceOut?: number;
}
