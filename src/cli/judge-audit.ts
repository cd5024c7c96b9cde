// `sift judge audit`: agreement of a store's labels with human qrels, and system-ordering agreement.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { readQrels } from '../eval/index.js';
import {
  auditAgreement,
  type Calibration,
  calibratedRelevance,
  compareSystemOrdering,
  gradeOnScale,
  type LabelSet,
  LabelStore,
  parseGradeMap,
  resolveCalibration,
  systemRuns,
} from '../judge/index.js';
import { siftPaths, writeFileAtomic } from '../util/index.js';
import { confusionTable, fmt, type SelectOptions, selectLabelSet, table } from './judge-shared.js';

export interface AuditCommandOptions extends SelectOptions {
  calibration?: string | boolean;
  store: string;
  qrels: string;
  json?: string;
  mapGrades?: string;
  systems: string;
  collection?: string;
  quiet: boolean;
}

export async function auditAction(opts: AuditCommandOptions): Promise<void> {
  const gradeMap = opts.mapGrades ? parseGradeMap(opts.mapGrades) : undefined;
  const store = LabelStore.open(opts.store, { readonly: true });
  let set: LabelSet;
  let rawLabels: ReturnType<LabelStore['labels']>;
  let folder: string | undefined;
  let calibration: Calibration | undefined;
  try {
    set = await selectLabelSet(store, opts);
    rawLabels = store.labels(set.policyHash, set.judgeId);
    folder = opts.collection ?? store.getMeta('collection');
    if (opts.calibration !== false) {
      calibration = await resolveCalibration(
        store,
        set.judgeId,
        typeof opts.calibration === 'string' ? opts.calibration : undefined,
      );
    }
  } finally {
    store.close();
  }
  const qrels = await readQrels(opts.qrels);
  const humanMax = Math.max(0, ...[...qrels.values()].flatMap((m) => [...m.values()]));
  const rawReport = auditAgreement(rawLabels, qrels, gradeMap ? { gradeMap } : {});
  // A calibration puts each label straight on the qrels' scale (no --map-grades needed); labels it
  // cannot score (no raw scores) keep their mapped raw grade.
  let labels = rawLabels;
  if (calibration) {
    const relevance = calibratedRelevance(rawLabels, calibration, set.maxGrade);
    labels = rawLabels.map((label, i) => {
      const r = relevance[i] as number;
      return Number.isFinite(r) ? { ...label, grade: gradeOnScale(r, humanMax) } : label;
    });
  }
  const report = calibration ? auditAgreement(labels, qrels) : rawReport;

  const systems =
    opts.systems === 'none'
      ? []
      : opts.systems
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  let ordering: ReturnType<typeof compareSystemOrdering> | null = null;
  let orderingNote: string | undefined;
  if (systems.length > 0) {
    if (folder === undefined || !existsSync(folder)) {
      orderingNote = 'system ordering skipped: no collection (pass --collection <beir-folder>)';
    } else {
      const queryIds = new Set(labels.map((label) => label.queryId));
      const runs = await systemRuns(folder, queryIds, systems, {
        indexesRoot: siftPaths().indexes,
        quiet: opts.quiet,
      });
      ordering = compareSystemOrdering(runs, qrels, labels, gradeMap && !calibration ? { gradeMap } : {});
    }
  }

  console.log(
    `labels: judge ${set.judgeId}, policy ${set.policyName} ${set.policyHash.slice(0, 12)} (${labels.length} labels)`,
  );
  console.log(
    `pairs graded by both: ${report.pairs} (${report.judge_only} judge labels have no human grade and are left out)` +
      (gradeMap ? `; judge grades mapped ${opts.mapGrades}` : ''),
  );
  if (calibration) {
    console.log(
      `calibrated with the ${calibration.map.kind} map fitted ${calibration.createdAt.slice(0, 10)} on ` +
        `${calibration.fittedOn.map((f) => `${f.collection} (${f.pairs})`).join(', ')}; ` +
        `raw grades: kappa linear ${fmt(rawReport.kappa_linear)}, spearman ${fmt(rawReport.spearman)}`,
    );
  } else if (!gradeMap && humanMax !== set.maxGrade) {
    console.log(
      `note: the policy grades 0..${set.maxGrade}, the qrels 0..${humanMax}; consider --map-grades (kappas compare raw grades)`,
    );
  }
  console.log(
    `kappa linear ${fmt(report.kappa_linear)}  quadratic ${fmt(report.kappa_quadratic)}  unweighted ${fmt(report.kappa)}  ` +
      `spearman ${fmt(report.spearman)}  exact agreement ${fmt(report.exact_agreement)}`,
  );
  console.log(confusionTable(report.confusion));
  if (ordering) {
    console.log(
      `\nsystem ordering by NDCG@10 over ${ordering.queries} queries (Kendall's tau ${fmt(ordering.kendall_tau)}):`,
    );
    const rows = [
      ['system', 'human', 'judge'],
      ...ordering.systems.map((s) => [s.name, fmt(s.ndcg_human), fmt(s.ndcg_judge)]),
    ];
    console.log(table(rows));
  } else if (orderingNote) {
    console.log(orderingNote);
  }
  if (opts.json) {
    const json = {
      ...report,
      calibrated: calibration !== undefined,
      ...(calibration ? { raw: rawReport, calibration } : {}),
      judge_id: set.judgeId,
      policy: set.policyName,
      policy_hash: set.policyHash,
      qrels: resolve(opts.qrels),
      system_ordering: ordering,
    };
    await writeFileAtomic(opts.json, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`wrote ${opts.json}`);
  }
}

// ---- export -----------------------------------------------------------------------------------------
