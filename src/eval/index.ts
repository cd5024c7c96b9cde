// The evaluation harness's public face: run and qrels files, metrics, significance tests and reports
// (running a configuration over a collection is composition, in search/).

export {
  DEFAULT_METRICS,
  type EvalOptions,
  type EvalResult,
  evaluateQuery,
  evaluateRun,
  type MetricKind,
  type MetricSpec,
  parseMetricSpec,
  parseMetricSpecs,
} from './metrics.js';
export { compareTrecOrder, rankDocs, type ScoredDoc } from './ranking.js';
export {
  formatMetricsTable,
  type JsonReport,
  type PairedTestName,
  type TableOptions,
  type TableRow,
  toJsonReport,
} from './report.js';
export { type Run, readQrels, readTrecRun, writeTrecRun } from './run.js';
export {
  DEFAULT_PERMUTATIONS,
  DEFAULT_SEED,
  type PairedTestResult,
  type PerQueryScores,
  pairedTTest,
  perQueryScores,
  type RandomisationOptions,
  type RandomisationResult,
  randomisationTest,
  type TTestResult,
} from './significance.js';
export { studentTCdf, studentTTwoSided } from './student-t.js';
