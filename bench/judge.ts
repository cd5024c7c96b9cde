// Question: how fast does a Qwen2 judge evaluate its prompts on this machine, on llama.cpp (node-llama-cpp)
// and on sift's own decoder runtime (ONNX Runtime graph built from the same GGUF file), and what fraction of
// the machine's measured fp32 GEMM rate does prompt evaluation reach?
//
// Inputs: real pairs from dbpedia-entity-subset's test qrels (relevant and non-relevant alternately, one
// per query), prompted as the scoring judge does (src/judge/scoring-prompts.ts): the web-search policy as
// the system turn, evaluated once and cached; then per pair the document (600 characters), the query and
// the yes/no question, and the next-token distribution read after it. Every runtime gets the same token
// ids (llama.cpp's tokenizer; sift's gives the same ids, tested in qwen2-parity.test.ts).
//
// Variants, in one process, one after another (order rotated each round):
//   llama.cpp   node-llama-cpp's prebuilt CPU build, threads = cores, Q4_K_M computed as quantised dot
//               products (activations quantised to 8 bits)
//   sift fp32   the Q4 weights dequantised to float32, ONNX Runtime MLAS sgemm, batch 1
//   sift int8   the same with int8 weights and per-token int8 activations (dynamic quantisation)
//
// tokens/s counts the tokens each pair appends (the cached policy is reported apart as `prefix`). Achieved
// GFLOP/s = 2 · block parameters (the transformer blocks' matrices; embedding lookup and the one-row output
// head left out) · tokens/s; attention's QKᵀ and AV products are not counted. The denominator is the fp32
// sgemm rate measured in this run (lib/machine-limits.ts), before and after, best seen. The 1-minute load
// average is recorded: on a shared machine every number here moves with it.
//
// Then the product's scoring judge itself (every form, as `sift judge run` reads a pair), with threads = cores
// and with node-llama-cpp's own default thread count, which sift used before it set the count itself.
//
//   npm run build && node dist/bench/judge.js [--model qwen2.5-coder-0.5b-instruct-q4] [--pairs 20] [--rounds 1]
//     [--before-pairs 5]

import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import {
  loadPolicy,
  openLlamaJudge,
  type Policy,
  queryPart,
  questionLead,
  scoringDocumentPart,
  scoringSystemTurn,
} from '../src/judge/index.js';
import { type DecoderDtype, modelSpec, openDecoder } from '../src/models/index.js';
import { LlamaScorer } from '../src/runtime/index.js';
import { siftPaths } from '../src/util/index.js';
import { judgedPairs } from '../test/lib/judged-pairs.js';
import { bestLimits, LimitProbe, type MachineLimits } from './lib/machine-limits.js';
import { positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

const MAX_DOC_CHARS = 600;
const DEFAULT_MODEL = 'qwen2.5-coder-0.5b-instruct-q4';

/** One variant's measurement: seconds for the policy prefix and for each pair, and p(yes)/(p(yes)+p(no)). */
interface Run {
  variant: string;
  loadSeconds: number;
  prefixSeconds: number;
  pairSeconds: number[];
  pYes: number[];
  /** sift only: the transformer blocks' matrix weights, read from the GGUF tensor table. */
  blockParameters?: number;
}

interface Prompts {
  system: number[];
  pairs: number[][];
  yes: number;
  no: number;
}

async function runLlama(file: string, prompts: Prompts, threads: number): Promise<Run> {
  let t0 = performance.now();
  const llama = await LlamaScorer.open(file, { contextSize: 2048, threads });
  const loadSeconds = (performance.now() - t0) / 1000;
  try {
    t0 = performance.now();
    await llama.append(prompts.system);
    const prefixSeconds = (performance.now() - t0) / 1000;
    const pairSeconds: number[] = [];
    const pYes: number[] = [];
    for (const tokens of prompts.pairs) {
      t0 = performance.now();
      const [dist] = await llama.appendAndRead(tokens, [tokens.length - 1]);
      pairSeconds.push((performance.now() - t0) / 1000);
      await llama.truncate(prompts.system.length);
      const yes = dist?.get(prompts.yes) ?? 0;
      const no = dist?.get(prompts.no) ?? 0;
      pYes.push(yes / (yes + no));
    }
    return { variant: 'llama.cpp', loadSeconds, prefixSeconds, pairSeconds, pYes };
  } finally {
    await llama.close();
  }
}

async function runSift(id: string, dtype: DecoderDtype, prompts: Prompts, threads: number): Promise<Run> {
  let t0 = performance.now();
  const model = await openDecoder(id, { dtype, threads, quiet: true });
  const loadSeconds = (performance.now() - t0) / 1000;
  try {
    const labels = [prompts.yes, prompts.no];
    t0 = performance.now();
    const { cache } = await model.prefill({ rows: [prompts.system], logitIds: labels, wantCache: true });
    const prefixSeconds = (performance.now() - t0) / 1000;
    const pairSeconds: number[] = [];
    const pYes: number[] = [];
    for (const tokens of prompts.pairs) {
      t0 = performance.now();
      const { logits } = await model.prefill({ rows: [tokens], past: cache, logitIds: labels });
      pairSeconds.push((performance.now() - t0) / 1000);
      const [yes = 0, no = 0] = logits;
      pYes.push(1 / (1 + Math.exp(no - yes)));
    }
    const { blockParameters } = model;
    return { variant: `sift ${dtype}`, loadSeconds, prefixSeconds, pairSeconds, pYes, blockParameters };
  } finally {
    await model.release();
  }
}

type ScoringJudgeRun = {
  variant: string;
  threads: number;
  pairs: number;
  pairs_per_s: number;
  prompt_tokens_per_s: number;
};

/**
 * The product's judge as `sift judge run` reads a pair (every scoring form: query likelihood, grade,
 * yes/no), timed after the first pair (which pays for the policy prefix).
 */
async function runScoringJudge(
  id: string,
  pairs: ReturnType<typeof judgedPairs>,
  policy: Policy,
  threads: number,
  variant: string,
): Promise<ScoringJudgeRun> {
  const judge = await openLlamaJudge(id, { quiet: true, threads, prompt: { maxDocChars: MAX_DOC_CHARS } });
  try {
    const request = (pair: (typeof pairs)[number]) => ({ policy, query: pair.query, document: pair });
    await judge.judge(request(pairs[0]!));
    let tokens = 0;
    const t0 = performance.now();
    for (const pair of pairs.slice(1)) tokens += (await judge.judge(request(pair))).usage.promptTokens;
    const seconds = (performance.now() - t0) / 1000;
    return {
      variant,
      threads,
      pairs: pairs.length - 1,
      pairs_per_s: (pairs.length - 1) / seconds,
      prompt_tokens_per_s: tokens / seconds,
    };
  } finally {
    await judge.close();
  }
}

async function main(): Promise<void> {
  const id = stringArg('--model', DEFAULT_MODEL);
  const count = positiveIntArg('--pairs', 20);
  const rounds = positiveIntArg('--rounds', 1);
  const threads = availableParallelism();
  const spec = modelSpec(id);
  if (spec.kind !== 'decoder') throw new Error(`${id} is not a decoder`);
  const file = join(siftPaths().models, id, spec.architecture.weights);
  const loadBefore = loadavg()[0] ?? 0;

  const policy = await loadPolicy('web-search');
  const pairs = judgedPairs(count);
  // llama.cpp's tokenizer gives the ids; a short-lived scorer, closed before any timing starts.
  const tokenizer = await LlamaScorer.open(file, { contextSize: 512 });
  const prompts: Prompts = {
    system: tokenizer.tokenize(scoringSystemTurn(policy)),
    pairs: pairs.map((pair) =>
      tokenizer.tokenize(
        scoringDocumentPart(pair, { maxDocChars: MAX_DOC_CHARS }) +
          queryPart(pair.query) +
          questionLead('yesno', policy),
      ),
    ),
    yes: tokenizer.tokenizePlain('yes')[0] ?? -1,
    no: tokenizer.tokenizePlain('no')[0] ?? -1,
  };
  await tokenizer.close();

  const probe = new LimitProbe(threads);
  await probe.start();
  const limits: MachineLimits[] = [await probe.measure()];
  await probe.stop();

  const variants: (() => Promise<Run>)[] = [
    () => runLlama(file, prompts, threads),
    () => runSift(id, 'fp32', prompts, threads),
    () => runSift(id, 'int8', prompts, threads),
  ];
  const runs: Run[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let v = 0; v < variants.length; v++) {
      const run = await (variants[(v + round) % variants.length] as () => Promise<Run>)();
      console.log(
        `${run.variant}: loaded in ${run.loadSeconds.toFixed(1)} s, ${run.pairSeconds.length} pairs`,
      );
      runs.push(run);
    }
  }

  // The judge as the product runs it, and as it ran before sift set llama.cpp's threads itself
  // (node-llama-cpp's default, `maxThreads`: more threads than cores), on the first --before-pairs pairs.
  const { getLlama } = await import('node-llama-cpp');
  const libraryThreads = (await getLlama({ gpu: false, build: 'never' })).maxThreads;
  const beforePairs = positiveIntArg('--before-pairs', 5);
  const scoringJudge = [
    await runScoringJudge(id, pairs, policy, threads, 'scoring judge, threads = cores'),
    await runScoringJudge(
      id,
      pairs.slice(0, beforePairs + 1),
      policy,
      libraryThreads,
      "scoring judge, node-llama-cpp's default threads",
    ),
  ];

  const probeAfter = new LimitProbe(threads);
  await probeAfter.start();
  limits.push(await probeAfter.measure());
  await probeAfter.stop();
  const peak = bestLimits(limits).sgemmGflops;
  const loadAfter = loadavg()[0] ?? 0;

  // Block parameters: the matrices of blk.* (what each token multiplies by), the same for every runtime.
  const blockParameters = runs.find((r) => r.blockParameters)?.blockParameters ?? Number.NaN;

  const pairTokens = prompts.pairs.reduce((sum, p) => sum + p.length, 0);
  const llamaPYes = runs.find((r) => r.variant === 'llama.cpp')?.pYes ?? [];
  const rows = runs.map((run) => {
    const seconds = run.pairSeconds.reduce((a, b) => a + b, 0);
    const tokensPerSecond = pairTokens / seconds;
    const gflops = (2 * blockParameters * tokensPerSecond) / 1e9;
    const gap = run.pYes.reduce((worst, p, i) => Math.max(worst, Math.abs(p - (llamaPYes[i] ?? p))), 0);
    return {
      variant: run.variant,
      pairs_per_s: run.pairSeconds.length / seconds,
      tokens_per_s: tokensPerSecond,
      prefix_tokens_per_s: prompts.system.length / run.prefixSeconds,
      gflops,
      peak_fraction: gflops / peak,
      max_abs_dp_yes_vs_llama: gap,
      load_s: run.loadSeconds,
    };
  });
  console.log(
    `\n${id}: ${pairs.length} pairs, ${pairTokens} pair tokens (mean ${(pairTokens / pairs.length).toFixed(0)}), ` +
      `policy prefix ${prompts.system.length} tokens; ${threads} threads; ${(blockParameters / 1e6).toFixed(0)}M block parameters; ` +
      `sgemm peak ${peak.toFixed(1)} GFLOP/s (ORT MatMul 2048³, best of before/after); ` +
      `load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after\n`,
  );
  printTable(rows, 3);
  console.log('\nthe scoring judge (every form: query likelihood, grade, yes/no), after its first pair:\n');
  printTable(scoringJudge, 3);
  writeResult(id === DEFAULT_MODEL ? 'judge' : `judge-${id}`, {
    question:
      'prompt-evaluation throughput of a Qwen2 judge: llama.cpp vs sift decoder runtime (fp32, int8), same prompts, same run',
    model: id,
    file: spec.architecture.weights,
    threads,
    rounds,
    pairs: pairs.map((p, i) => ({ queryId: p.queryId, docId: p.docId, tokens: prompts.pairs[i]?.length })),
    prefixTokens: prompts.system.length,
    pairTokens,
    blockParameters,
    flopsNote:
      '2 · block parameters · tokens/s; attention products and the output head not counted; peak = fp32 sgemm measured in this run',
    limits,
    peakSgemmGflops: peak,
    loadAverage1m: { before: loadBefore, after: loadAfter },
    results: rows,
    scoringJudge,
    runs,
  });
}

await main();
