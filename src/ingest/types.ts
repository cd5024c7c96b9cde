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

export interface ReadOptions {
  onBadRecord?: OnBadRecord;
}

/** Tallies a reader keeps so that a skipped line never disappears silently. */
export interface ReadStats {
  read: number;
  skipped: number;
  /** The first few skip reasons, each naming file and line. */
  skippedExamples: string[];
}
