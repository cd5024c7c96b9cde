// `sift prune` through the CLI, on a tiny random cross-encoder installed as a trained model in a fresh
// SIFT_HOME (random weights: the form, the card and the wiring are checked here; bench/compress.ts
// measures real pruned rankers): the pruned model is installed under the new id, listed by
// `sift models list`, used by `sift eval --rerank`, and bad input is refused with a clear message.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { tinyCrossEncoderHome } from './lib/installed-cross-encoder.js';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');
const CRANFIELD = join(resolve(process.env.SIFT_SHARED ?? '../shared'), 'data', 'cranfield');

describe('sift prune', () => {
  let home = '';
  let env: NodeJS.ProcessEnv = {};
  tinyCrossEncoderHome('tiny-ce', (made) => ({ home, env } = made));

  it('installs the pruned model under --out with a card, and sift eval reranks with it', async () => {
    const cardFile = join(home, 'card.json');
    const pruned = await run(
      SIFT,
      [
        'prune',
        '--model',
        'tiny-ce',
        '--mlp',
        '0.5',
        '--heads',
        '0.5',
        '--drop-layers',
        '1',
        '--calibration',
        CRANFIELD,
        '--pairs',
        '24',
        '--out',
        'tiny-pruned',
        '--json',
        cardFile,
        '--quiet',
      ],
      { env },
    );
    assert.match(
      pruned.stdout,
      /tiny-pruned: 1 of 2 layers, .* non-embedding parameters; mean relative reconstruction error/,
    );
    const card = JSON.parse(await readFile(cardFile, 'utf8')) as {
      id: string;
      base: string;
      pruning: {
        method: string;
        calibration: { pairs: number };
        blocks: unknown[];
        layers: { after: number };
      };
    };
    assert.equal(card.id, 'tiny-pruned');
    assert.equal(card.base, 'tiny-ce');
    assert.equal(card.pruning.method, 'osscar');
    assert.equal(card.pruning.calibration.pairs, 24);
    assert.equal(card.pruning.blocks.length, 2, 'one block: its heads and its MLP');
    assert.equal(card.pruning.layers.after, 1);

    const listed = await run(SIFT, ['models', 'list'], { env });
    assert.match(listed.stdout, /tiny-pruned/);

    const evalFile = join(home, 'eval.json');
    await run(
      SIFT,
      [
        'eval',
        '--collection',
        CRANFIELD,
        '--mode',
        'bm25',
        '--rerank',
        'tiny-pruned',
        '--split',
        'test',
        '--max-queries',
        '3',
        '--rerank-depth',
        '20',
        '--json',
        evalFile,
        '--quiet',
      ],
      { env, maxBuffer: 1 << 24 },
    );
    const report = JSON.parse(await readFile(evalFile, 'utf8')) as { metrics: Record<string, number> };
    assert.ok(Number.isFinite(report.metrics['ndcg@10']), JSON.stringify(report.metrics));

    // The recovery fine-tune: the training engine starts from the pruned model and keeps its shape.
    const recoveredCard = join(home, 'recovered.json');
    const trained = await run(
      SIFT,
      [
        'train',
        '--preset',
        'default',
        '--from',
        'tiny-pruned',
        '--id',
        'tiny-recovered',
        '--max-steps',
        '1',
        '--json',
        recoveredCard,
        '--quiet',
      ],
      { env, maxBuffer: 1 << 24 },
    );
    assert.match(trained.stdout, /tiny-recovered: trained 1 steps/);
    const recovered = JSON.parse(await readFile(recoveredCard, 'utf8')) as { base: string };
    assert.equal(recovered.base, 'tiny-pruned');
    const config = JSON.parse(
      await readFile(join(home, 'models', 'trained', 'tiny-recovered', 'config.json'), 'utf8'),
    ) as Record<string, unknown>;
    assert.equal(config['num_hidden_layers'], 1);
    assert.equal(config['intermediate_size'], 32);
  });

  it('--recover installs the recovered model as --out and the model before recovery beside it', async () => {
    const cardFile = join(home, 'recover-card.json');
    const args = `prune --model tiny-ce --mlp 0.5 --pairs 24 --out tiny-small --recover --quiet`.split(' ');
    const { stdout } = await run(SIFT, [...args, '--calibration', CRANFIELD, '--json', cardFile], {
      env,
      maxBuffer: 1 << 24,
    });
    assert.match(stdout, /installed .*tiny-small-unrecovered \(use --rerank tiny-small-unrecovered\)/);
    assert.match(
      stdout,
      /tiny-small: recovery fine-tune from tiny-ce, \d+ steps on \d+ candidates of \d+ training queries/,
    );
    const card = JSON.parse(await readFile(cardFile, 'utf8')) as {
      id: string;
      base: string;
      recovery: { teacher: string; candidates: number };
      pruning: { mlp: number };
    };
    assert.equal(card.id, 'tiny-small');
    assert.equal(card.base, 'tiny-small-unrecovered');
    assert.equal(card.recovery.teacher, 'tiny-ce');
    assert.equal(card.pruning.mlp, 0.5);
    const listed = await run(SIFT, ['models', 'list'], { env });
    assert.match(listed.stdout, /tiny-small-unrecovered/);
  });

  it('refuses a fraction outside (0, 1), an unknown model, nothing to remove, and --out equal to --model', async () => {
    const base = ['prune', '--calibration', CRANFIELD, '--quiet'];
    const refused = async (args: string[], pattern: RegExp) =>
      assert.rejects(run(SIFT, [...base, ...args], { env }), (error: { stderr: string; code: number }) => {
        assert.equal(error.code, 1, error.stderr);
        assert.match(error.stderr, pattern);
        return true;
      });
    await refused(
      ['--model', 'tiny-ce', '--out', 'x', '--mlp', '1'],
      /--mlp .* must be in \(0, 1\), not "1"/,
    );
    await refused(
      ['--model', 'tiny-ce', '--out', 'x', '--heads', '0'],
      /--heads .* must be in \(0, 1\), not "0"/,
    );
    await refused(['--model', 'nope', '--out', 'x', '--mlp', '0.5'], /no trained model "nope"/);
    await refused(['--model', 'tiny-ce', '--out', 'x'], /say what to remove/);
    await refused(['--model', 'tiny-ce', '--out', 'tiny-ce', '--mlp', '0.5'], /--out must name a new model/);
  });
});
