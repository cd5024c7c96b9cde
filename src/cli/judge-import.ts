// `sift judge import`: an exported label set (e.g. a committed assets/labels/<set>.jsonl.gz) back into a
// store, so that labelling resumes where the export stopped instead of judging everything again.

import { importLabels, LabelStore, loadPolicy, readExportedLabels } from '../judge/index.js';

export interface ImportCommandOptions {
  store: string;
  labels: string;
  policy: string;
}

export async function importAction(opts: ImportCommandOptions): Promise<void> {
  const policy = await loadPolicy(opts.policy);
  // Read and check the whole file before opening the store: a bad line changes nothing.
  const labels = await readExportedLabels(opts.labels, policy);
  const store = LabelStore.open(opts.store, { create: true });
  try {
    const summary = importLabels(store, labels, policy, opts.labels);
    const counts = store.counts();
    console.log(
      `imported ${summary.imported} of ${summary.read} labels (judge ${summary.judgeId}, policy ${policy.name} ` +
        `${policy.hash.slice(0, 12)}); ${summary.alreadyThere} were already in the store, ${summary.newPairs} pairs were new`,
    );
    console.log(`${opts.store}: ${counts.pairs} pairs, ${counts.labels} labels`);
  } finally {
    store.close();
  }
}
