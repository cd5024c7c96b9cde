// Turns evaluation results into text: a side-by-side table of runs with significance marks, and a JSON report.

import { SiftError } from '../errors.js';
import type { EvalResult } from './metrics.js';
import {
  DEFAULT_PERMUTATIONS,
  DEFAULT_SEED,
  type PairedTestResult,
  pairedTTest,
  perQueryScores,
  randomisationTest,
} from './significance.js';

export interface TableRow {
  name: string;
  result: EvalResult;
}

export type PairedTestName = 'randomisation' | 't-test';

export interface TableOptions {
  /** Metric columns, in order; default: the metrics of the first row, in its order. */
  metrics?: readonly string[];
  /** Decimals shown for metric values and p-values; default 4. */
  decimals?: number;
  /** Significance level for the † mark; default 0.05. */
  alpha?: number;
  /** Which paired test compares each run with the baseline; default 'randomisation'. */
  test?: PairedTestName;
  /** Randomisation test: permutations (default 10,000) and seed (default 1). */
  permutations?: number;
  seed?: number;
}

const MARK = '†';
const GAP = '  ';

/**
 * An aligned text table: one line per run, one column per metric, values to `decimals` places.
 * With two or more runs the first is the baseline: every other run's cell also shows the two-sided
 * p-value of the paired test against the baseline on that metric, `0.3612† (p=0.0123)`, where † marks
 * p < alpha; a footnote names the test. Runs must have been evaluated on the same queries.
 */
export function formatMetricsTable(rows: readonly TableRow[], options: TableOptions = {}): string {
  const first = rows[0];
  if (first === undefined) return '';
  const decimals = options.decimals ?? 4;
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 12) {
    throw new SiftError('E_BAD_ARGUMENT', `decimals must be an integer from 0 to 12, got ${decimals}`);
  }
  const alpha = options.alpha ?? 0.05;
  const test = options.test ?? 'randomisation';
  const permutations = options.permutations ?? DEFAULT_PERMUTATIONS;
  const seed = options.seed ?? DEFAULT_SEED;
  const metrics = options.metrics ?? Object.keys(first.result.metrics);
  const compare = rows.length >= 2;

  const runTest = (a: EvalResult, b: EvalResult, metric: string): PairedTestResult => {
    const x = perQueryScores(a, metric);
    const y = perQueryScores(b, metric);
    return test === 't-test' ? pairedTTest(x, y) : randomisationTest(x, y, { permutations, seed });
  };
  const formatP = (p: number): string => {
    const floor = 10 ** -decimals;
    return p < floor && p > 0 ? `p<${floor.toFixed(decimals)}` : `p=${p.toFixed(decimals)}`;
  };

  const header = ['run', 'queries', ...metrics];
  const table: string[][] = rows.map((row, index) => {
    const cells = [row.name, String(row.result.queries)];
    for (const metric of metrics) {
      const value = row.result.metrics[metric];
      if (value === undefined) {
        cells.push('-');
        continue;
      }
      let cell = value.toFixed(decimals);
      const baseline = first.result.metrics[metric];
      if (index > 0 && baseline !== undefined) {
        const { pValue } = runTest(row.result, first.result, metric);
        cell += `${pValue < alpha ? MARK : ' '} (${formatP(pValue)})`;
      }
      cells.push(cell);
    }
    return cells;
  });

  const widths = header.map((title, column) =>
    Math.max(title.length, ...table.map((cells) => (cells[column] ?? '').length)),
  );
  // Run names read left to right; the query count is a number and lines up on the right.
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === 1 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join(GAP)
      .trimEnd();

  const lines = [line(header), ...table.map(line)];
  if (compare) {
    const how =
      test === 't-test'
        ? 'paired two-sided t-test'
        : `paired two-sided randomisation test, ${permutations} permutations, seed ${seed}`;
    lines.push(
      '',
      `${MARK} p < ${alpha} against baseline "${first.name}" (${how}); p-values in parentheses.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The JSON shape of one evaluation, exactly `{"metrics": {...}, "queries": N, "perQuery": {...}}`. */
export interface JsonReport {
  metrics: Record<string, number>;
  queries: number;
  perQuery: Record<string, Record<string, number>>;
}

/** Serialises `result` as a JSON report (indented by `indent` spaces, 2 by default; 0 for one line). */
export function toJsonReport(result: EvalResult, indent = 2): string {
  const report: JsonReport = { metrics: result.metrics, queries: result.queries, perQuery: result.perQuery };
  return JSON.stringify(report, null, indent);
}
