// Question: does the default judge agree better with people when the policy shows it graded examples
// from the golden set (few-shot), or when it writes a short reason before its grade (a rationale), and
// does that pay for its tokens? Issue 20 asks for both beside the scoring forms.
//
// Pairs: for each committed label set (assets/labels/, training queries only), whole queries in a seeded
// order until at least --pairs pairs that people graded (the audit's pairs: bench/judge-agreement.ts).
// The committed labels' own scores are the zero-shot baseline on exactly those pairs, so every
// variant is compared pair for pair.
//
// Variants:
//   few-shot    the set's policy with one example per grade added to its `## Examples` section, taken
//               from people's grades on the collection's *other* training queries (never a query that is
//               scored here; src/judge/golden-examples.ts). The system turn changes, so every form is
//               read again.
//   rationale   the grade form asks for `{"reason": "…", "grade": d}` and reads the digit after a greedy
//               one-sentence reason of at most --rationale-tokens tokens. Only the grade form changes:
//               each form is read after the query and cut off before the next, so the yes/no and
//               query-likelihood scores are the committed ones.
// For each: every form's kappa_linear, Spearman and AUC as the audit computes them (`calibrated`
// cross-validated by query within the pairs), seconds per pair and tokens per pair, all in this run.
//
//   npm run build && node dist/bench/judge-variants.js [--pairs 200] [--variants few-shot,rationale]
//     [--rationale-tokens 32] [--collections a,b] [--name judge-variants]
// Each judge reads documents cut where the committed set's were (the manifest's labelling options).

import { performance } from 'node:perf_hooks';
import { loadBeirCollection, querySplit, readBeirCorpus } from '../src/ingest/index.js';
import {
  chooseGoldenExamples,
  DEFAULT_LLAMA_JUDGE_MODEL,
  type FormAgreement,
  formAgreement,
  type GoldenPair,
  type GradedLabel,
  loadPolicy,
  openLlamaJudge,
  type Policy,
  SCORING_FORMS,
  scoringPromptHash,
  withGoldenExamples,
} from '../src/judge/index.js';
import { Mulberry32 } from '../src/util/index.js';
import {
  type CommittedLabel,
  type CommittedLabelSet,
  committedLabelSetsWithScores,
} from './lib/label-sets.js';
import { machineInfo, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

const VARIANTS = ['few-shot', 'rationale'] as const;
type Variant = (typeof VARIANTS)[number];

const pairsWanted = positiveIntArg('--pairs', 200);
const rationaleTokens = positiveIntArg('--rationale-tokens', 32);
const name = stringArg('--name', 'judge-variants');
const variants = stringArg('--variants', VARIANTS.join(','))
  .split(',')
  .map((variant) => variant.trim())
  .filter((variant) => variant !== '');
for (const variant of variants) {
  if (!(VARIANTS as readonly string[]).includes(variant)) {
    throw new Error(`--variants: unknown variant "${variant}" (known: ${VARIANTS.join(', ')})`);
  }
}

interface VariantRun {
  variant: string;
  pairs: number;
  seconds_per_pair: number | null;
  prompt_tokens_per_pair: number | null;
  completion_tokens_per_pair: number | null;
  /** The first pair's prompt tokens: the system turn (the policy, with examples for few-shot), evaluated
   * once per job, and that pair's own tokens. */
  first_pair_prompt_tokens: number | null;
  examples?: Array<{ query: string; docTitle: string; humanGrade: number; policyGrade: number }>;
  rationales?: string[];
  rows: FormAgreement[];
}

const only = stringArg('--collections', '')
  .split(',')
  .map((collection) => collection.trim())
  .filter((collection) => collection !== '');
const sets = (await committedLabelSetsWithScores()).filter(
  (set) => only.length === 0 || only.includes(set.name),
);
const results: Array<{ collection: string; queries: number; pairs: number; runs: VariantRun[] }> = [];
const table: Array<Record<string, string | number>> = [];

for (const set of sets) {
  const { sample, queryIds } = sampleWholeQueries(set, pairsWanted);
  const policy = await loadPolicy(sample[0]!.policy);
  const committedCurrent = sample.every(
    (label) =>
      label.promptHash === scoringPromptHash(policy, SCORING_FORMS, { maxDocChars: set.maxDocChars }),
  );
  if (!committedCurrent) {
    throw new Error(
      `${set.name}: the committed labels were made with other prompts than this build's; re-judge the baseline too`,
    );
  }
  const runs: VariantRun[] = [
    {
      variant: 'zero-shot (committed labels)',
      pairs: sample.length,
      seconds_per_pair: null,
      prompt_tokens_per_pair: null,
      completion_tokens_per_pair: null,
      first_pair_prompt_tokens: null,
      rows: formAgreement(sample, set.qrels, { maxGrade: set.maxGrade }),
    },
  ];
  for (const variant of variants as Variant[]) {
    runs.push(await runVariant(variant, set, sample, queryIds, policy));
  }
  results.push({ collection: set.name, queries: queryIds.size, pairs: sample.length, runs });
  for (const run of runs) {
    for (const row of run.rows) {
      table.push({
        collection: set.name,
        variant: run.variant,
        form: row.form,
        pairs: row.pairs,
        kappa_linear: row.kappa_linear ?? 'n/a',
        spearman: row.spearman ?? 'n/a',
        auc: row.auc ?? 'n/a',
        's/pair': run.seconds_per_pair ?? '',
      });
    }
  }
  // Written after each collection, so a long run that is stopped keeps what it measured.
  writeResult(name, {
    machine: machineInfo(),
    judge: DEFAULT_LLAMA_JUDGE_MODEL,
    pairsWanted,
    rationaleTokens,
    results,
  });
}
printTable(table, 3);
console.log(`\nwrote bench/results/${name}.json`);

/** Whole queries in a seeded order until `wanted` human-graded pairs are in. */
function sampleWholeQueries(
  set: CommittedLabelSet,
  wanted: number,
): { sample: CommittedLabel[]; queryIds: Set<string> } {
  const graded = set.labels.filter((label) => set.qrels.get(label.queryId)?.get(label.docId) !== undefined);
  const order = new Mulberry32(7).shuffle([...new Set(graded.map((label) => label.queryId))].sort());
  const queryIds = new Set<string>();
  const sample: CommittedLabel[] = [];
  for (const queryId of order) {
    if (sample.length >= wanted) break;
    queryIds.add(queryId);
    sample.push(...graded.filter((label) => label.queryId === queryId));
  }
  return { sample, queryIds };
}

/** People's grades on the collection's training queries that are not scored here, with their text. */
async function goldenPairsOutside(
  set: CommittedLabelSet,
  scored: ReadonlySet<string>,
): Promise<GoldenPair[]> {
  const collection = await loadBeirCollection(set.folder);
  const queryText = new Map(collection.queries.map((query) => [query.id, query.text]));
  const wanted = new Map<string, Array<{ queryId: string; grade: number }>>();
  for (const [queryId, grades] of collection.qrels) {
    if (scored.has(queryId) || querySplit(queryId) !== 'train' || !queryText.has(queryId)) continue;
    for (const [docId, grade] of grades) {
      const list = wanted.get(docId) ?? [];
      list.push({ queryId, grade });
      wanted.set(docId, list);
    }
  }
  const pairs: GoldenPair[] = [];
  for await (const doc of readBeirCorpus(collection.corpusPath)) {
    for (const { queryId, grade } of wanted.get(doc.id) ?? []) {
      pairs.push({ query: queryText.get(queryId)!, title: doc.title, text: doc.text, grade });
    }
  }
  return pairs;
}

async function runVariant(
  variant: Variant,
  set: CommittedLabelSet,
  sample: readonly CommittedLabel[],
  scored: ReadonlySet<string>,
  basePolicy: Policy,
): Promise<VariantRun> {
  let policy = basePolicy;
  let examples: VariantRun['examples'];
  if (variant === 'few-shot') {
    const golden = await goldenPairsOutside(set, scored);
    const humanMax = Math.max(1, ...[...set.qrels.values()].flatMap((grades) => [...grades.values()]));
    const chosen = chooseGoldenExamples(golden, basePolicy, { humanMax });
    policy = withGoldenExamples(basePolicy, chosen);
    examples = chosen.map((example) => ({
      query: example.query,
      docTitle: example.title,
      humanGrade: example.grade,
      policyGrade: example.policyGrade,
    }));
  }
  const judge = await openLlamaJudge(DEFAULT_LLAMA_JUDGE_MODEL, {
    quiet: true,
    prompt: { maxDocChars: set.maxDocChars, ...(variant === 'rationale' ? { rationaleTokens } : {}) },
    ...(variant === 'rationale' ? { forms: ['grade'] as const } : {}),
  });
  console.log(`${set.name} ${variant}: judging ${sample.length} pairs of ${scored.size} queries`);
  const labels: GradedLabel[] = [];
  const rationales: string[] = [];
  let promptTokens = 0;
  let completionTokens = 0;
  let firstPairTokens: number | null = null;
  const started = performance.now();
  try {
    for (const [index, label] of sample.entries()) {
      const judgement = await judge.judge({
        policy,
        query: label.query,
        document: { id: label.docId, title: label.title, text: label.text },
      });
      // The first pair's prompt includes the system turn: its size is reported apart.
      if (index === 0) firstPairTokens = judgement.usage.promptTokens;
      else promptTokens += judgement.usage.promptTokens;
      completionTokens += judgement.usage.completionTokens;
      if (judgement.rationale !== undefined) rationales.push(judgement.rationale);
      labels.push({
        queryId: label.queryId,
        docId: label.docId,
        grade: judgement.grade,
        // A reason changes only the grade form; the other forms' prompts are the committed ones.
        scores: variant === 'rationale' ? { ...label.scores, ...judgement.scores } : judgement.scores!,
      });
      if ((index + 1) % 20 === 0 || index + 1 === sample.length) {
        const seconds = (performance.now() - started) / 1000;
        const eta = (seconds / (index + 1)) * (sample.length - index - 1);
        console.log(
          `${set.name} ${variant}: ${index + 1}/${sample.length} pairs, ${(seconds / (index + 1)).toFixed(2)} s/pair, ETA ${eta.toFixed(0)} s`,
        );
      }
    }
  } finally {
    await judge.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    variant,
    pairs: sample.length,
    seconds_per_pair: seconds / sample.length,
    // Per pair after the first; the first pair's own tokens are not told apart from the policy's.
    prompt_tokens_per_pair: sample.length > 1 ? promptTokens / (sample.length - 1) : null,
    completion_tokens_per_pair: completionTokens / sample.length,
    first_pair_prompt_tokens: firstPairTokens,
    ...(examples !== undefined ? { examples } : {}),
    ...(rationales.length > 0 ? { rationales: rationales.slice(0, 10) } : {}),
    rows: formAgreement(labels, set.qrels, { maxGrade: set.maxGrade }),
  };
}
