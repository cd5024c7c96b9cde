// The `sift` command line: one file per command; this file wires them and turns errors into messages.

import { Command } from 'commander';
import { isSiftError } from '../errors.js';
import { nativeEncoderSummary, nativeKnnSummary } from '../runtime/index.js';
import { SIFT_VERSION } from '../util/index.js';
import { registerCompressCommand } from './compress-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerEvalCommand } from './eval-command.js';
import { registerFlywheelCommand } from './flywheel-command.js';
import { registerIndexCommand } from './index-command.js';
import { registerJudgeCommand } from './judge-command.js';
import { registerModelsCommand } from './models-command.js';
import { registerPruneCommand } from './prune-command.js';
import { registerSearchCommand } from './search-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerTrainCommand } from './train-command.js';
import { registerWorkerCommand } from './worker-command.js';

export function createProgram(): Command {
  const program = new Command('sift')
    .description('semantic search that learns what "relevant" means from an LLM judge')
    // The version, then the native kernels this CPU runs (they decide dense search and embedding speed).
    .version(`${SIFT_VERSION}\n${nativeKnnSummary()}\n${nativeEncoderSummary()}`)
    .showHelpAfterError()
    .addHelpText(
      'after',
      `
Start here:
  $ sift serve                                  search the synthetic job corpus in a browser (prints the URL)
  $ sift demo                                   build the synthetic job corpus and search it
  $ sift index ../shared/data/cranfield         index a BEIR collection (or a .jsonl/.csv file)
  $ sift search cranfield "boundary layer heat transfer"
  $ sift eval --collection ../shared/data/cranfield --mode bm25 --json out.json
  $ sift judge sample --collection ../shared/data/cranfield --queries 20 --per-query 10 --store labels.sqlite
  $ sift train --preset default                 train the cross-encoder sift-ce-minilm-l6 from the label sets
  $ sift eval --collection ../shared/data/cranfield --mode hybrid --rerank sift-ce-minilm-l6
  $ sift prune --model sift-ce-minilm-l6 --mlp 0.5 --calibration ../shared/data/cranfield --out ce-mlp50

State (indexes, caches, models) lives in $SIFT_HOME (default ~/.sift).`,
    );
  registerDemoCommand(program);
  registerIndexCommand(program);
  registerSearchCommand(program);
  registerEvalCommand(program);
  registerModelsCommand(program);
  registerJudgeCommand(program);
  registerTrainCommand(program);
  registerFlywheelCommand(program);
  registerPruneCommand(program);
  registerCompressCommand(program);
  registerServeCommand(program);
  registerWorkerCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (isSiftError(error)) {
      console.error(`sift: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
