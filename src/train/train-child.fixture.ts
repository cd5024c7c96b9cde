// Test support (not a test): trains the tiny model in a child process and kills itself with SIGKILL
// (kill -9: no cleanup, no flush) after optimizer step `killAt`, for the resume test.
//   node train-child.fixture.js <json: {modelDir, outDir, examplesFile, killAt, options}>

import { readFile } from 'node:fs/promises';
import { trainCrossEncoder } from './cross-encoder-trainer.js';
import type { TrainingExample } from './examples.js';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  modelDir: string;
  outDir: string;
  examplesFile: string;
  killAt: number;
  options: Record<string, number>;
};
const train = JSON.parse(await readFile(args.examplesFile, 'utf8')) as TrainingExample[];
await trainCrossEncoder({
  modelDir: args.modelDir,
  outDir: args.outDir,
  train,
  quiet: true,
  ...args.options,
  onStep: (step) => {
    if (step === args.killAt) process.kill(process.pid, 'SIGKILL');
  },
});
