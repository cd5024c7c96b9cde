// Worker for the memory-bandwidth probe (machine-limits.ts): on each "go", glibc memchr (Buffer.indexOf
// of an absent byte) reads its share of a SharedArrayBuffer end to end, then it answers "done".

import { parentPort, workerData } from 'node:worker_threads';

const { buffer, from, to } = workerData as { buffer: SharedArrayBuffer; from: number; to: number };
const bytes = Buffer.from(buffer, from, to - from);
parentPort!.on('message', (message) => {
  if (message === 'stop') process.exit(0);
  bytes.indexOf(2);
  parentPort!.postMessage('done');
});
parentPort!.postMessage('ready');
