// `sift judge calibrate`: fits a scoring judge's calibration onto human grades (the golden set), on
// pairs of *training* queries only, reports agreement before and after on pairs the fit never saw
// (cross-validated by query within each collection, and leave-one-collection-out across them), and
// keeps the calibration in each store (and in --out), where audit and export apply it.
//
//   sift judge calibrate --store S --qrels Q [--store S2 --qrels Q2 ...] [--out F] [--json REPORT]

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { SiftError } from '../errors.js';
import { readQrels } from '../eval/index.js';
import { querySplit } from '../ingest/index.js';
import {
  CALIBRATION_FEATURES,
  type Calibration,
  type CalibrationFeature,
  type CalibrationMap,
  type FormAgreement,
  fitIsotonic,
  fitLogistic,
  formAgreement,
  gradedPairs,
  LabelStore,
  SCORING_TEMPLATE_VERSION,
  saveCalibration,
} from '../judge/index.js';
import { writeFileAtomic } from '../util/index.js';
import { fmt, selectLabelSet, table } from './judge-shared.js';

type FeatureColumns = Map<CalibrationFeature, number[]>;

export interface CalibrateOptions {
  store: string[];
  qrels: string[];
  judge?: string;
  out?: string;
  json?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerCalibrateCommand(judge: Command): void {
  judge
    .command('calibrate')
    .description(
      "fit the judge's scores onto human grades (training queries only) and report agreement before and after",
    )
    .requiredOption('--store <file>', 'SQLite label store (repeat for several collections)', collect)
    .requiredOption('--qrels <file>', "that store's human qrels (repeat, in the same order)", collect)
    .option('--judge <id>', 'which labels: judge id (default: the latest labelled in each store)')
    .option('--out <file>', 'also write the calibration to this JSON file')
    .option('--json <file>', 'write the agreement report as JSON')
    .action(calibrateAction);
}

interface Collection {
  name: string;
  policy: string;
  policyHash: string;
  maxGrade: number;
  graded: ReturnType<typeof gradedPairs>;
  labels: ReturnType<LabelStore['labels']>;
  qrels: Awaited<ReturnType<typeof readQrels>>;
  judgeId: string;
  leftOutTest: number;
}

export async function calibrateAction(opts: CalibrateOptions): Promise<void> {
  if (opts.store.length !== opts.qrels.length) {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      `give one --qrels per --store (${opts.store.length} stores, ${opts.qrels.length} qrels)`,
      { field: 'qrels' },
    );
  }
  const collections: Collection[] = [];
  for (const [i, file] of opts.store.entries()) {
    const store = LabelStore.open(file, { readonly: true });
    try {
      const set = await selectLabelSet(store, opts.judge !== undefined ? { judge: opts.judge } : {});
      const all = store.labels(set.policyHash, set.judgeId);
      // The golden set is the training queries' human grades: test queries stay unseen by every fit.
      const labels = all.filter((label) => querySplit(label.queryId) === 'train');
      const qrels = await readQrels(opts.qrels[i] as string);
      const scored = labels.filter((label) => label.scores !== null);
      collections.push({
        name: store.getMeta('collection_name') ?? file,
        policy: set.policyName,
        policyHash: set.policyHash,
        maxGrade: set.maxGrade,
        labels: scored,
        qrels,
        graded: gradedPairs(
          scored.map((label) => ({ ...label, scores: label.scores ?? {} })),
          qrels,
          set.maxGrade,
        ),
        judgeId: set.judgeId,
        leftOutTest: all.length - labels.length,
      });
    } finally {
      store.close();
    }
  }
  const judgeIds = new Set(collections.map((c) => c.judgeId));
  if (judgeIds.size !== 1) {
    throw new SiftError(
      'E_CALIBRATION',
      `the stores hold different judges (${[...judgeIds].join(', ')}); pass --judge`,
      {
        field: 'judge',
      },
    );
  }
  const judgeId = collections[0]!.judgeId;

  // Candidate maps: none (the judge's expected grade on its own scale), each form alone (isotonic), and
  // the logistic combination of every form.
  const candidates: Array<{
    name: string;
    fit: (columns: FeatureColumns, targets: number[]) => CalibrationMap;
  }> = [
    { name: 'identity(grade)', fit: () => ({ kind: 'identity', feature: 'grade' }) },
    ...CALIBRATION_FEATURES.map((feature) => ({
      name: `isotonic(${feature})`,
      fit: (columns: FeatureColumns, targets: number[]) => fitIsotonic(columns, targets, feature),
    })),
    {
      name: `logistic(${CALIBRATION_FEATURES.join(', ')})`,
      fit: (columns: FeatureColumns, targets: number[]) =>
        fitLogistic(columns, targets, CALIBRATION_FEATURES),
    },
  ];
  const fitOn = (parts: readonly Collection[], fit: (typeof candidates)[number]['fit']) => {
    const columns: FeatureColumns = new Map(CALIBRATION_FEATURES.map((f) => [f, []]));
    const targets: number[] = [];
    for (const part of parts) {
      for (const feature of CALIBRATION_FEATURES)
        columns.get(feature)!.push(...(part.graded.columns.get(feature) ?? []));
      targets.push(...part.graded.targets);
    }
    return fit(columns, targets);
  };
  const labelsOf = (collection: Collection) =>
    collection.labels.map((label) => ({ ...label, scores: label.scores ?? {} }));

  // Leave one collection out: each candidate fitted on the other collections, scored on this one. The
  // shipped map is the candidate whose *worst* collection agrees best: a calibration must hold on a
  // corpus it never saw, so the worst case, not the average, decides.
  const leaveOneOut = new Map<string, FormAgreement[]>();
  for (const candidate of candidates) {
    leaveOneOut.set(
      candidate.name,
      collections.length < 2
        ? []
        : collections.map(
            (collection) =>
              formAgreement(labelsOf(collection), collection.qrels, {
                maxGrade: collection.maxGrade,
                external: fitOn(
                  collections.filter((c) => c !== collection),
                  candidate.fit,
                ),
              }).find((row) => row.form === 'calibrated') as FormAgreement,
          ),
    );
  }
  const worst = (rows: readonly FormAgreement[]) =>
    rows.length === 0 ? Number.NEGATIVE_INFINITY : Math.min(...rows.map((row) => row.kappa_linear ?? -1));
  const chosen =
    collections.length < 2
      ? (candidates.at(-1) as (typeof candidates)[number])
      : candidates.reduce((best, candidate) =>
          worst(leaveOneOut.get(candidate.name)!) > worst(leaveOneOut.get(best.name)!) ? candidate : best,
        );

  const report: Array<{
    collection: string;
    pairs: number;
    leftOutTest: number;
    forms: FormAgreement[];
    leaveOneOut: Record<string, FormAgreement>;
  }> = [];
  for (const [c, collection] of collections.entries()) {
    const forms = formAgreement(labelsOf(collection), collection.qrels, { maxGrade: collection.maxGrade });
    const loco = Object.fromEntries(
      candidates.flatMap((candidate) => {
        const row = leaveOneOut.get(candidate.name)?.[c];
        return row ? [[candidate.name, row]] : [];
      }),
    );
    report.push({
      collection: collection.name,
      pairs: collection.graded.labels.length,
      leftOutTest: collection.leftOutTest,
      forms,
      leaveOneOut: loco,
    });
    console.log(
      `\n${collection.name}: ${collection.graded.labels.length} training-query pairs with a human grade ` +
        `(${collection.leftOutTest} test-query labels left out); cross-validated by query, then fitted on the other collections`,
    );
    const row = (name: string, r: FormAgreement) => [
      name,
      String(r.pairs),
      fmt(r.kappa_linear),
      fmt(r.spearman),
      fmt(r.auc),
    ];
    console.log(
      table([
        ['form', 'pairs', 'kappa_linear', 'spearman', 'auc'],
        ...forms.map((r) => row(r.form, r)),
        ...Object.entries(loco).map(([name, r]) => row(`${name} (other collections)`, r)),
      ]),
    );
  }
  if (collections.length >= 2) {
    console.log(
      `\nchosen map: ${chosen.name} (worst leave-one-collection-out kappa ${fmt(worst(leaveOneOut.get(chosen.name)!))}` +
        `; others: ${candidates
          .filter((c) => c !== chosen)
          .map((c) => `${c.name} ${fmt(worst(leaveOneOut.get(c.name)!))}`)
          .join(', ')})`,
    );
  }

  const calibration: Calibration = {
    format: 'sift-judge-calibration',
    version: 1,
    judgeId,
    scoringTemplate: SCORING_TEMPLATE_VERSION,
    map: fitOn(collections, chosen.fit),
    fittedOn: collections.map((c) => ({
      collection: c.name,
      policy: c.policy,
      policyHash: c.policyHash,
      pairs: c.graded.labels.length,
    })),
    createdAt: new Date().toISOString(),
  };
  for (const file of opts.store) {
    const store = LabelStore.open(file);
    try {
      saveCalibration(store, calibration);
    } finally {
      store.close();
    }
  }
  if (opts.out) await writeFileAtomic(resolve(opts.out), `${JSON.stringify(calibration, null, 2)}\n`);
  if (opts.json) {
    await writeFileAtomic(
      resolve(opts.json),
      `${JSON.stringify({ judge_id: judgeId, calibration, collections: report }, null, 2)}\n`,
    );
  }
  const map = calibration.map;
  const formula =
    map.kind === 'logistic'
      ? `r = σ(${[map.bias.toFixed(3), ...map.weights.map((w, i) => `${w.toFixed(3)}·${map.features[i]}`)].join(' + ')})`
      : map.kind === 'isotonic'
        ? `r = isotonic step function of ${map.feature} (${map.values.length} steps)`
        : 'r = expected grade / top grade (no fit)';
  console.log(
    `\ncalibration for ${judgeId}: ${formula}` +
      `, kept in ${opts.store.length === 1 ? 'the store' : `${opts.store.length} stores`}${opts.out ? ` and ${opts.out}` : ''}`,
  );
}
