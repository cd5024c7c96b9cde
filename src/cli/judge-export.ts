// `sift judge export`: a store's labels as qrels or training JSONL.

import { exportLabels, LabelStore, resolveCalibration } from '../judge/index.js';
import { badArgument, type SelectOptions, selectLabelSet } from './judge-shared.js';

export interface ExportCommandOptions extends SelectOptions {
  store: string;
  format: string;
  out: string;
  /** A path: that calibration; false: raw grades; otherwise the store's, else the shipped one. */
  calibration?: string | boolean;
}

export async function exportAction(opts: ExportCommandOptions): Promise<void> {
  if (opts.format !== 'qrels' && opts.format !== 'jsonl')
    throw badArgument('--format is qrels or jsonl', 'format');
  const store = LabelStore.open(opts.store, { readonly: true });
  try {
    const set = await selectLabelSet(store, opts);
    // Calibration is on unless --no-calibration (commander leaves it undefined when neither flag is given).
    const calibration =
      opts.calibration === false
        ? undefined
        : await resolveCalibration(
            store,
            set.judgeId,
            typeof opts.calibration === 'string' ? opts.calibration : undefined,
          );
    const count = await exportLabels(
      store.labels(set.policyHash, set.judgeId),
      set,
      opts.format,
      opts.out,
      calibration,
    );
    console.log(
      `wrote ${count} labels (judge ${set.judgeId}, policy ${set.policyName} ${set.policyHash.slice(0, 12)}` +
        `${calibration ? `, calibrated (fitted ${calibration.createdAt.slice(0, 10)})` : ''}) to ${opts.out}`,
    );
  } finally {
    store.close();
  }
}
