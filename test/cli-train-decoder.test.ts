// `sift train --preset decoder` end to end through the CLI on the real SmolLM2-135M-Instruct: a short run
// on a slice of the committed job label set installs sift-yesno-smollm2-135m (a Llama folder with a card
// saying how it is prompted), and `sift eval --rerank` serves it. Before training, the id names the
// command that trains it. Then `sift prune` removes half its MLP neurons and 27 of its 30 layers by OSSCAR,
// with a smaller reconstruction error than magnitude pruning's in every block, and the pruned model
// serves too. A few steps only: what is checked is the form, not the quality (bench/distill.ts measures
// that).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { labelSetsDir } from '../src/train/index.js';
import { homeBorrowing } from './lib/borrowed-home.js';
import { modelSkip } from './lib/model-skip.js';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');
const CRANFIELD = join(resolve(process.env.SIFT_SHARED ?? '../shared'), 'data', 'cranfield');
const BASE = 'smollm2-135m-instruct-q4';
const ID = 'sift-yesno-smollm2-135m';

/** The first `n` lines of a gzipped JSONL file. */
async function headLines(file: string, n: number): Promise<string[]> {
  const lines: string[] = [];
  const reader = createInterface({ input: createReadStream(file).pipe(createGunzip()) });
  for await (const line of reader) {
    lines.push(line);
    if (lines.length === n) break;
  }
  reader.close();
  return lines;
}

test('sift train --preset decoder → sift-yesno-smollm2-135m, served by sift eval --rerank', {
  timeout: 20 * 60_000,
}, async (t) => {
  const skip = modelSkip(BASE);
  if (skip) return t.skip(skip);
  const home = await homeBorrowing([BASE]);
  t.after(() => rm(home, { recursive: true, force: true }));
  const options = { env: { ...process.env, SIFT_HOME: home }, maxBuffer: 1 << 24 };
  const evalArgs = (ranker: string, json: string) => [
    'eval',
    '--collection',
    CRANFIELD,
    '--mode',
    'bm25',
    '--rerank',
    ranker,
    '--rerank-depth',
    '3',
    '--max-queries',
    '2',
    '--json',
    json,
    '--quiet',
  ];

  await assert.rejects(run(SIFT, evalArgs(ID, join(home, 'x.json')), options), (error: { stderr: string }) =>
    /not trained here yet: run `sift train --preset decoder`/.test(error.stderr),
  );

  // Two queries of the job set (10 pairs each), so a step holds whole queries.
  const labels = join(home, 'jobs-slice.jsonl');
  await writeFile(labels, `${(await headLines(join(labelSetsDir(), 'jobs.jsonl.gz'), 20)).join('\n')}\n`);
  const cardFile = join(home, 'card.json');
  const trained = await run(
    SIFT,
    ['train', '--preset', 'decoder', '--labels', labels, '--max-steps', '1', '--json', cardFile, '--quiet'],
    options,
  );
  assert.match(trained.stdout, new RegExp(`${ID}: trained 1 steps on \\d+ examples`));
  const card = JSON.parse(await readFile(cardFile, 'utf8')) as {
    id: string;
    kind: string;
    base: string;
    steps: number;
    ranker: { template: string; labels: { yes: string; no: string }; maxDocumentTokens: number };
  };
  assert.deepEqual(
    [card.id, card.kind, card.base, card.steps],
    [ID, 'decoder-ranker', 'smollm2-135m-yesno', 1],
  );
  assert.deepEqual(card.ranker, {
    template: 'relevance-chatml.txt',
    labels: { yes: 'Yes', no: 'No' },
    maxDocumentTokens: 128,
  });
  const config = JSON.parse(
    await readFile(join(home, 'models', 'trained', ID, 'config.json'), 'utf8'),
  ) as Record<string, unknown>;
  assert.deepEqual(config['architectures'], ['LlamaForCausalLM']);

  const served = async (ranker: string) => {
    const report = join(home, `eval-${ranker}.json`);
    await run(SIFT, evalArgs(ranker, report), options);
    const result = JSON.parse(await readFile(report, 'utf8')) as {
      metrics: Record<string, number>;
      queries: number;
    };
    assert.equal(result.queries, 2);
    assert.ok(Number.isFinite(result.metrics['ndcg@10']), `${ranker} reranked the queries`);
  };
  await served(ID);

  const prune = (extra: string[]) =>
    run(
      SIFT,
      [
        'prune',
        '--model',
        ID,
        '--calibration',
        CRANFIELD,
        '--pairs',
        '12',
        '--out',
        'yesno-small',
        '--quiet',
        ...extra,
      ],
      options,
    );
  await assert.rejects(prune(['--heads', '0.5']), (error: { stderr: string }) =>
    /attention heads share key\/value groups/.test(error.stderr),
  );
  await assert.rejects(prune(['--mlp', '0.5', '--recover']), (error: { stderr: string }) =>
    /decoder rankers are pruned without it/.test(error.stderr),
  );
  // Three layers kept, so the test fits three OSSCAR problems (each 1,536 neurons), not thirty.
  const pruned = await prune(['--mlp', '0.5', '--drop-layers', '27']);
  assert.match(pruned.stdout, /yesno-small: 3 of 30 layers/);
  const prunedCard = JSON.parse(
    await readFile(join(home, 'models', 'trained', 'yesno-small', 'sift-model.json'), 'utf8'),
  ) as {
    kind: string;
    ranker: unknown;
    pruning: {
      blocks: { layer: number; kept: number; relativeError: number; magnitudeRelativeError: number }[];
    };
  };
  assert.equal(prunedCard.kind, 'decoder-ranker');
  assert.deepEqual(prunedCard.ranker, card.ranker);
  assert.equal(prunedCard.pruning.blocks.length, 3);
  for (const block of prunedCard.pruning.blocks) {
    assert.equal(block.kept, 768);
    assert.ok(
      block.relativeError <= block.magnitudeRelativeError,
      `layer ${block.layer}: OSSCAR's error ${block.relativeError} is not below magnitude's ${block.magnitudeRelativeError}`,
    );
  }
  const prunedConfig = JSON.parse(
    await readFile(join(home, 'models', 'trained', 'yesno-small', 'config.json'), 'utf8'),
  ) as Record<string, unknown>;
  assert.deepEqual([prunedConfig['num_hidden_layers'], prunedConfig['intermediate_size']], [3, 768]);
  await served('yesno-small');
});
