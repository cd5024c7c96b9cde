// Shared by every benchmark: machine facts, percentiles, a printed table and a JSON result file.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface MachineInfo {
  cpu: string;
  /** The vector instruction sets that decide kernel speed (machines of one kind differ: AVX2 or AVX-512). */
  cpuFeatures: string[];
  cores: number;
  memoryGiB: number;
  node: string;
  commit: string;
  date: string;
}

/**
 * The checkout's commit (+dirty) when the bench started: a run outlives commits made while it runs. A
 * run from a copy of a build (no checkout) names its commit in SIFT_BENCH_COMMIT.
 */
const COMMIT_AT_START = process.env.SIFT_BENCH_COMMIT ?? readCommit();

function readCommit(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--untracked-files=no');
    return dirty ? `${commit}+dirty` : commit;
  } catch {
    // Not a git checkout: the commit stays unknown.
    return 'unknown';
  }
}

export function machineInfo(): MachineInfo {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cpuFeatures: CPU_FEATURES,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    commit: COMMIT_AT_START,
    date: new Date().toISOString(),
  };
}

const REPORTED_FEATURES = ['avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'avx_vnni', 'amx_tile'];
const CPU_FEATURES = readCpuFeatures();

function readCpuFeatures(): string[] {
  try {
    const flags = /^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.split(/\s+/) ?? [];
    return REPORTED_FEATURES.filter((feature) => flags.includes(feature));
  } catch {
    // Not Linux: the features stay unknown.
    return [];
  }
}

export function percentile(sortedOrUnsorted: readonly number[], p: number): number {
  if (sortedOrUnsorted.length === 0) return Number.NaN;
  const sorted = [...sortedOrUnsorted].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Prints rows of objects as an aligned table (numbers to `decimals` places). */
export function printTable(rows: ReadonlyArray<Record<string, string | number>>, decimals = 4): void {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const cell = (value: string | number | undefined) =>
    typeof value === 'number'
      ? Number.isInteger(value)
        ? String(value)
        : value.toFixed(decimals)
      : (value ?? '');
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => cell(row[column]).length)),
  );
  const line = (values: string[]) => values.map((value, i) => value.padEnd(widths[i]!)).join('  ');
  console.log(line(columns));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(columns.map((column) => cell(row[column]))));
}

/** Writes bench/results/<name>.json (in the source tree, beside the scripts) and says where. */
export function writeResult(name: string, result: Record<string, unknown>): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // Compiled scripts live in dist/bench/lib; results belong in the source tree's bench/results.
  const root = here.includes(`${join('dist', 'bench')}`)
    ? join(here, '..', '..', '..')
    : join(here, '..', '..');
  const file = join(root, 'bench', 'results', `${name}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ machine: machineInfo(), ...result }, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
  return file;
}

/** The positive integer after `--name` on the command line, or `fallback`. */
export function positiveIntArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** The word after `--name` on the command line, or `fallback`; a flag given without a value is an error. */
export function stringArg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const value = process.argv[i + 1];
  if (!value || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
}
