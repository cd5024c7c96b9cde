// Question: which execution path should sift's training engine take? One BERT layer of all-MiniLM-L6-v2's
// shape (hidden 384, 12 heads, MLP 1,536), batch 16 × 128 tokens, forward + backward, on 2 threads:
//
//   ts+openblas fwd+bwd   sift's TypeScript layer (src/train/bert-layer.ts), matrix products on OpenBLAS
//   ts+openblas fwd       the same, forward only
//   ort fwd               ONNX Runtime running the forward graph sift's BERT builder emits for one layer
//                         (embeddings of a 2-row vocabulary in front, negligible); its backward graph was
//                         not emitted, so "ort fwd+bwd (est.)" is 3 × forward, the FLOP ratio of
//                         forward + backward to forward
//   torch fwd+bwd         PyTorch (MKL) on the same shapes, from the bench-only virtualenv, same run
//
// Achieved GFLOP/s counts the layer's matrix products (2·tokens·(4h² + 2h·m) forward plus attention's
// 2·2·tokens·seq·h; backward is twice forward), against OpenBLAS's 2048³ sgemm rate measured in this run.
//
//   npm run build && node dist/bench/train-layer.js [--rounds 5]
// Results: bench/results/train-layer.json.

import { buildBertEncoderGraph, parseBertConfig, type WeightSource } from '../src/models/index.js';
import { createSession, tensor } from '../src/runtime/index.js';
import { BertLayer, gemmBackend, LayerNorm, Linear } from '../src/train/index.js';
import { mulberry32 } from '../src/util/index.js';
import { openBlasSgemmGflops } from './lib/blas-limits.js';
import { percentile, positiveIntArg, printTable, writeResult } from './lib/report.js';
import { runTorchStep } from './lib/torch-baseline.js';

const H = 384;
const HEADS = 12;
const M = 1536;
const BATCH = 16;
const SEQ = 128;
const rounds = positiveIntArg('--rounds', 5);
const tokens = BATCH * SEQ;
const forwardFlops = 2 * tokens * (4 * H * H + 2 * H * M) + 2 * 2 * tokens * SEQ * H;

const next = mulberry32(1);
const rand = (n: number, scale = 0.05) => Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);
const ones = (n: number) => new Float32Array(n).fill(1);
const weights = new Map<string, { shape: number[]; data: Float32Array }>();
const add = (name: string, shape: number[], data?: Float32Array) =>
  weights.set(name, { shape, data: data ?? rand(shape.reduce((a, b) => a * b, 1)) });
add('embeddings.word_embeddings.weight', [2, H]);
add('embeddings.position_embeddings.weight', [512, H]);
add('embeddings.token_type_embeddings.weight', [2, H]);
add('embeddings.LayerNorm.weight', [H], ones(H));
add('embeddings.LayerNorm.bias', [H]);
const p = 'encoder.layer.0';
for (const part of ['query', 'key', 'value']) {
  add(`${p}.attention.self.${part}.weight`, [H, H]);
  add(`${p}.attention.self.${part}.bias`, [H]);
}
add(`${p}.attention.output.dense.weight`, [H, H]);
add(`${p}.attention.output.dense.bias`, [H]);
add(`${p}.attention.output.LayerNorm.weight`, [H], ones(H));
add(`${p}.attention.output.LayerNorm.bias`, [H]);
add(`${p}.intermediate.dense.weight`, [M, H]);
add(`${p}.intermediate.dense.bias`, [M]);
add(`${p}.output.dense.weight`, [H, M]);
add(`${p}.output.dense.bias`, [H]);
add(`${p}.output.LayerNorm.weight`, [H], ones(H));
add(`${p}.output.LayerNorm.bias`, [H]);
const w = (name: string) => weights.get(name)!.data;

async function main(): Promise<void> {
  const gflops = openBlasSgemmGflops();
  const lin = (name: string, inF: number) => Linear.create(name, w(`${name}.weight`), w(`${name}.bias`), inF);
  const norm = (name: string) => LayerNorm.create(name, w(`${name}.weight`), w(`${name}.bias`), 1e-12);
  const layer = new BertLayer({
    query: lin(`${p}.attention.self.query`, H),
    key: lin(`${p}.attention.self.key`, H),
    value: lin(`${p}.attention.self.value`, H),
    attentionOutput: lin(`${p}.attention.output.dense`, H),
    attentionNorm: norm(`${p}.attention.output.LayerNorm`),
    intermediate: lin(`${p}.intermediate.dense`, H),
    output: lin(`${p}.output.dense`, M),
    outputNorm: norm(`${p}.output.LayerNorm`),
    heads: HEADS,
  });
  const x = rand(tokens * H, 1);
  const upstream = rand(tokens * H, 1);
  const lengths = new Int32Array(BATCH).fill(SEQ);
  const time = (fn: () => unknown) => {
    fn();
    const t: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      fn();
      t.push((performance.now() - t0) / 1000);
    }
    return percentile(t, 50);
  };
  const tsForward = time(() => layer.forward(x, BATCH, SEQ, lengths));
  const tsBoth = time(() => {
    layer.forward(x, BATCH, SEQ, lengths);
    layer.backward(upstream);
  });

  const config = parseBertConfig(
    {
      model_type: 'bert',
      hidden_size: H,
      num_attention_heads: HEADS,
      num_hidden_layers: 1,
      intermediate_size: M,
      vocab_size: 2,
      max_position_embeddings: 512,
    },
    'config.json',
  );
  const source: WeightSource = {
    file: 'one-layer',
    names: [...weights.keys()],
    has: (name) => weights.has(name),
    float32: (name) => ({ name, shape: weights.get(name)!.shape, data: w(name) }),
  };
  const graph = buildBertEncoderGraph(config, source, { pooling: 'none', normalize: false });
  const session = await createSession(graph, { intraOpThreads: 2 });
  const dims = [BATCH, SEQ];
  const feeds = {
    input_ids: tensor('int64', new BigInt64Array(tokens).fill(1n), dims),
    attention_mask: tensor('int64', new BigInt64Array(tokens).fill(1n), dims),
    token_type_ids: tensor('int64', new BigInt64Array(tokens), dims),
  };
  await session.run(feeds);
  const ortTimes: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await session.run(feeds);
    ortTimes.push((performance.now() - t0) / 1000);
  }
  const ortForward = percentile(ortTimes, 50);
  const torch = runTorchStep({ mode: 'layer', batch: BATCH, seq: SEQ, steps: rounds, threads: 2 });
  const torchBoth = torch.ok ? percentile(torch.run.stepSeconds, 50) : Number.NaN;

  const row = (path: string, seconds: number, flops: number) => ({
    path,
    'ms (median)': seconds * 1000,
    'GFLOP/s': flops / seconds / 1e9,
    'of sgemm peak': gflops ? flops / seconds / 1e9 / gflops : Number.NaN,
  });
  const rows = [
    row(`ts+${gemmBackend} fwd+bwd`, tsBoth, 3 * forwardFlops),
    row(`ts+${gemmBackend} fwd`, tsForward, forwardFlops),
    row('ort fwd', ortForward, forwardFlops),
    row('ort fwd+bwd (est. 3×fwd)', 3 * ortForward, 3 * forwardFlops),
    row('torch fwd+bwd', torchBoth, 3 * forwardFlops),
  ];
  console.log(
    `one BERT layer, h ${H}, ${HEADS} heads, MLP ${M}, batch ${BATCH} × ${SEQ}; OpenBLAS sgemm ${gflops?.toFixed(1)} GFLOP/s`,
  );
  if (!torch.ok) console.log(`torch: missing (${torch.reason})`);
  printTable(rows, 2);
  writeResult('train-layer', {
    shape: { hidden: H, heads: HEADS, intermediate: M, batch: BATCH, seq: SEQ },
    rounds,
    openBlasSgemmGflops: gflops,
    torch: torch.ok ? { version: torch.run.torch, threads: torch.run.threads } : { missing: torch.reason },
    rows,
  });
  await session.release();
}

await main();
