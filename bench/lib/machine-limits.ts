// Machine limits measured in the same process as a benchmark, so throughput can be stated as a fraction
// of what this machine does right now (shared or throttled machines vary from run to run):
//
// - peak fp32 GEMM: an ONNX Runtime MatMul of two 2048×2048 matrices on `threads` threads (MLAS sgemm);
// - memory read bandwidth: glibc memchr (Buffer.indexOf of a byte that is absent) streaming over a 1 GiB
//   SharedArrayBuffer, one worker thread per core, each on its own half; also one thread alone, and an
//   ONNX Runtime ReduceSum over 256 MiB of float32, for reference.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { attr, createSession, GraphBuilder, tensor } from '../../src/runtime/index.js';

export interface MachineLimits {
  /** ORT MatMul 2048³, best of the repetitions, GFLOP/s. */
  sgemmGflops: number;
  /** memchr over 1 GiB split across threads, GB/s. */
  readGBps: number;
  /** memchr over 1 GiB on one thread, GB/s. */
  readGBpsOneThread: number;
  /** ORT ReduceSum over 256 MiB of float32, GB/s (reference only). */
  ortReduceSumGBps: number;
  threads: number;
}

const PROBE_BYTES = 2 ** 30;
const REDUCE_BYTES = 2 ** 28;

export class LimitProbe {
  private buffer = new SharedArrayBuffer(PROBE_BYTES);
  private workers: Worker[] = [];
  private readonly threads: number;
  private gemm?: { run: () => Promise<unknown> };
  private reduce?: { run: () => Promise<unknown> };

  constructor(threads = availableParallelism()) {
    this.threads = threads;
    new Uint8Array(this.buffer).fill(1);
  }

  async start(): Promise<void> {
    const share = PROBE_BYTES / this.threads;
    this.workers = Array.from(
      { length: this.threads },
      (_, i) =>
        new Worker(new URL('./memchr-worker.js', import.meta.url), {
          workerData: { buffer: this.buffer, from: i * share, to: (i + 1) * share },
        }),
    );
    await Promise.all(this.workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
    const n = 2048;
    const sgemm = new GraphBuilder({ name: 'peak-sgemm' });
    sgemm.node('MatMul', [sgemm.input('A', 'float32', [n, n]), sgemm.input('B', 'float32', [n, n])], ['C']);
    sgemm.output('C', 'float32', [n, n]);
    const gemm = await createSession(sgemm.toBytes(), { intraOpThreads: this.threads });
    const a = new Float32Array(n * n).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
    const feeds = { A: tensor('float32', a, [n, n]), B: tensor('float32', a, [n, n]) };
    this.gemm = { run: () => gemm.run(feeds) };
    const sum = new GraphBuilder({ name: 'reduce-sum' });
    sum.node('ReduceSum', [sum.input('X', 'float32', ['n'])], ['Y'], { keepdims: attr.int(0) });
    sum.output('Y', 'float32', []);
    const reduce = await createSession(sum.toBytes(), { intraOpThreads: this.threads });
    // onnxruntime-node refuses SharedArrayBuffer-backed tensors: a private 256 MiB (≫ L3) instead.
    const x = tensor('float32', new Float32Array(REDUCE_BYTES / 4).fill(1), [REDUCE_BYTES / 4]);
    this.reduce = { run: () => reduce.run({ X: x }) };
  }

  /** Best of `repeats` for each probe. */
  async measure(repeats = 3): Promise<MachineLimits> {
    const best = async (fn: () => Promise<unknown> | unknown) => {
      await fn();
      let fastest = Number.POSITIVE_INFINITY;
      for (let r = 0; r < repeats; r++) {
        const t0 = performance.now();
        await fn();
        fastest = Math.min(fastest, (performance.now() - t0) / 1000);
      }
      return fastest;
    };
    const all = () =>
      Promise.all(
        this.workers.map((w) => {
          const done = new Promise((resolve) => w.once('message', resolve));
          w.postMessage('go');
          return done;
        }),
      );
    const bytes = Buffer.from(this.buffer);
    const readSeconds = await best(all);
    const oneSeconds = await best(() => bytes.indexOf(2));
    const gemmSeconds = await best(() => this.gemm!.run());
    const reduceSeconds = await best(() => this.reduce!.run());
    return {
      sgemmGflops: (2 * 2048 ** 3) / gemmSeconds / 1e9,
      readGBps: PROBE_BYTES / readSeconds / 1e9,
      readGBpsOneThread: PROBE_BYTES / oneSeconds / 1e9,
      ortReduceSumGBps: REDUCE_BYTES / reduceSeconds / 1e9,
      threads: this.threads,
    };
  }

  async stop(): Promise<void> {
    for (const worker of this.workers) worker.postMessage('stop');
    await Promise.all(this.workers.map((w) => new Promise((resolve) => w.once('exit', resolve))));
    this.workers = [];
  }
}

/** One measurement of the limits on `threads` threads (3 repetitions each), the probe started and stopped. */
export async function measureLimits(threads: number): Promise<MachineLimits> {
  const probe = new LimitProbe(threads);
  await probe.start();
  try {
    return await probe.measure(3);
  } finally {
    await probe.stop();
  }
}

/** The best of each limit over several measurements (the denominators for "% of machine"). */
export function bestLimits(all: readonly MachineLimits[]): MachineLimits {
  const max = (key: keyof MachineLimits) => Math.max(...all.map((limits) => limits[key]));
  return {
    sgemmGflops: max('sgemmGflops'),
    readGBps: max('readGBps'),
    readGBpsOneThread: max('readGBpsOneThread'),
    ortReduceSumGBps: max('ortReduceSumGBps'),
    threads: all[0]?.threads ?? 0,
  };
}
