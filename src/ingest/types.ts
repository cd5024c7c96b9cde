// The shapes every reader produces: one Doc shape for every source, queries and graded qrels.

/** A metadata value a filter can test: equality on scalars, ranges on numbers, membership on lists. */
export type MetadataValue = string | number | boolean | string[] | number[];

export interface Doc {
  id: string;
  title: string;
  text: string;
  /** Arbitrary fields beside id/title/text (location, seniority, salary, ...). */
  metadata: Record<string, MetadataValue>;
}

export interface Query {
  id: string;
  text: string;
  metadata?: Record<string, unknown>;
}

/** queryId → docId → graded relevance (0 = judged not relevant). */
export type Qrels = Map<string, Map<string, number>>;

/** What a reader does with a bad record: fail the whole load (default) or skip it and count it. */
export type OnBadRecord = 'fail' | 'skip';

/**
 * How a reader treats bad records.
 *
 * - `onBadRecord: 'fail'` (default): the first bad record throws a SiftError naming file, line and field.
 * - `onBadRecord: 'skip'`: bad records are left out and tallied in `stats`, which is then required,
 *   so that a skipped line never disappears silently.
 *
 * When `stats` is given the reader adds to it (it never resets it), so one ReadStats can total several files.
 * Errors that make the rest of a file meaningless (missing file, bad CSV header) throw in both modes.
 */
export type ReadOptions =
  | { onBadRecord?: 'fail'; stats?: ReadStats }
  | { onBadRecord: 'skip'; stats: ReadStats };

/** Tallies a reader keeps so that a skipped line never disappears silently. */
export interface ReadStats {
  /** Records the reader yielded (docs, queries or qrels lines), after validation. */
  read: number;
  /** Bad records left out under `onBadRecord: 'skip'`. */
  skipped: number;
  /** The first few skip reasons (SiftError messages), each naming file and line. */
  skippedExamples: string[];
}
