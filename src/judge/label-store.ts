// The label store: one SQLite file (better-sqlite3, WAL) holding sampled pairs, the queries and document
// text they need, policies, judge labels with soft labels and costs, failures, and one row per job. (Over 400
// lines because the schema, its migrations and every statement on it are kept in one place, so no other
// module writes SQL against it.)
//
// Every label is written in its own transaction the moment it arrives, so killing a job (even with
// SIGKILL) loses only judgements still in flight; labels are unique on (pair, policy, judge), so a
// re-run skips what is done and can never write a pair twice. The schema version is `user_version`.

import Database from 'better-sqlite3';
import { SiftError } from '../errors.js';
import type { Policy } from './policy.js';
import type { JudgeScores } from './types.js';

export const STORE_SCHEMA_VERSION = 2;

/** Upgrades from an older schema, each step in the transaction that sets its version. */
const MIGRATIONS: Readonly<Record<number, string>> = {
  // 1 → 2: the raw per-form scores of scoring judges (JSON), kept beside the grade for calibration.
  1: 'ALTER TABLE labels ADD COLUMN scores TEXT;',
};

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE queries (id TEXT PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE documents (id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE pairs (
  id INTEGER PRIMARY KEY,
  query_id TEXT NOT NULL REFERENCES queries(id),
  doc_id TEXT NOT NULL REFERENCES documents(id),
  source TEXT NOT NULL,          -- which candidate list it came from: bm25, dense, random
  rank INTEGER,                  -- its best rank in that list (NULL for random negatives)
  stratum TEXT NOT NULL,         -- e.g. "1-10", "11-30", "random"
  UNIQUE (query_id, doc_id)
);
CREATE TABLE policies (hash TEXT PRIMARY KEY, name TEXT NOT NULL, source TEXT NOT NULL, text TEXT NOT NULL,
  max_grade INTEGER NOT NULL, relevant_from INTEGER NOT NULL);
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  policy_hash TEXT NOT NULL REFERENCES policies(hash),
  judge_id TEXT NOT NULL,
  options TEXT NOT NULL,         -- JSON: how the job was run (never secrets)
  status TEXT NOT NULL,          -- running | done | interrupted | failed; a killed job stays "running"
  started_at TEXT NOT NULL,
  finished_at TEXT,
  labelled INTEGER NOT NULL DEFAULT 0,
  cached INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE labels (
  id INTEGER PRIMARY KEY,
  pair_id INTEGER NOT NULL REFERENCES pairs(id),
  policy_hash TEXT NOT NULL REFERENCES policies(hash),
  judge_id TEXT NOT NULL,
  prompt_hash TEXT NOT NULL,
  job_id INTEGER NOT NULL REFERENCES jobs(id),
  cache_key TEXT NOT NULL,       -- sha256 of (policy, judge, query text, document text)
  grade INTEGER NOT NULL,
  rationale TEXT,
  soft_label TEXT,               -- JSON array: probability of each grade
  scores TEXT,                   -- JSON object: raw scores of each scoring form (JudgeScores)
  cached_from INTEGER REFERENCES labels(id),
  prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  cost_usd REAL,
  latency_ms REAL NOT NULL,
  attempts INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (pair_id, policy_hash, judge_id)
);
CREATE INDEX labels_cache_key ON labels (cache_key);
CREATE TABLE failures (
  pair_id INTEGER NOT NULL REFERENCES pairs(id),
  policy_hash TEXT NOT NULL,
  judge_id TEXT NOT NULL,
  job_id INTEGER NOT NULL REFERENCES jobs(id),
  attempts INTEGER NOT NULL,     -- backend calls over every job that tried this pair
  error_code TEXT NOT NULL,
  last_error TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (pair_id, policy_hash, judge_id)
);
`;

export interface StoredQuery {
  id: string;
  text: string;
}

export interface StoredDocument {
  id: string;
  title: string;
  text: string;
}

export interface NewPair {
  queryId: string;
  docId: string;
  source: string;
  rank: number | null;
  stratum: string;
}

/** A pair with the text a judge needs. */
export interface PairToJudge {
  pairId: number;
  queryId: string;
  docId: string;
  query: string;
  title: string;
  text: string;
}

export interface NewLabel {
  pairId: number;
  policyHash: string;
  judgeId: string;
  promptHash: string;
  jobId: number;
  cacheKey: string;
  grade: number;
  rationale?: string;
  softLabel?: number[];
  scores?: JudgeScores;
  cachedFrom?: number;
  promptTokens: number;
  completionTokens: number;
  costUsd?: number;
  latencyMs: number;
  attempts: number;
}

export interface NewFailure {
  pairId: number;
  policyHash: string;
  judgeId: string;
  jobId: number;
  attempts: number;
  errorCode: string;
  message: string;
  promptTokens: number;
  completionTokens: number;
}

export interface CachedLabel {
  id: number;
  grade: number;
  rationale: string | null;
  softLabel: number[] | null;
  scores: JudgeScores | null;
  promptHash: string;
}

/** One (policy, judge) combination that has labels, with how many and when the last one came. */
export interface LabelSet {
  policyHash: string;
  policyName: string;
  judgeId: string;
  labels: number;
  maxGrade: number;
  relevantFrom: number;
  lastLabelAt: string;
}

/** A label with the pair it grades. */
export interface StoredLabel extends PairToJudge {
  grade: number;
  rationale: string | null;
  softLabel: number[] | null;
  /** Raw per-form scores of a scoring judge (null for judges that generate text). */
  scores: JudgeScores | null;
  promptHash: string;
  jobId: number;
}

export interface JobTotals {
  labelled: number;
  cached: number;
  failed: number;
}

export type JobStatus = 'running' | 'done' | 'interrupted' | 'failed';

export interface JobRow extends JobTotals {
  id: number;
  policyHash: string;
  judgeId: string;
  status: JobStatus;
  startedAt: string;
  finishedAt: string | null;
}

export class LabelStore {
  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {}

  /**
   * Opens a store; `create` makes a new one when the file is missing or empty. An existing file must be
   * a sift label store of a version this code knows.
   */
  static open(path: string, options: { create?: boolean; readonly?: boolean } = {}): LabelStore {
    let db: Database.Database;
    try {
      db = new Database(path, { fileMustExist: !options.create, readonly: options.readonly ?? false });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'SQLITE_CANTOPEN') {
        throw new SiftError(
          'E_FILE_NOT_FOUND',
          'no label store here (create one with `sift judge sample`)',
          { file: path },
          { cause: error },
        );
      }
      throw new SiftError(
        'E_STORE',
        `cannot open the label store: ${(error as Error).message}`,
        { file: path },
        { cause: error },
      );
    }
    try {
      if (!options.readonly) {
        // WAL: readers (audit, a progress poll) never block the writer, and a committed label survives
        // the writer being killed. synchronous=NORMAL keeps that guarantee for process crashes.
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
      }
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version === 0) {
        const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
          n: number;
        };
        if (tables.n > 0)
          throw new SiftError('E_STORE', 'this SQLite file is not a sift label store', { file: path });
        if (options.readonly) throw new SiftError('E_STORE', 'the label store is empty', { file: path });
        db.transaction(() => {
          db.exec(SCHEMA);
          db.pragma(`user_version = ${STORE_SCHEMA_VERSION}`);
        })();
      } else if (version < STORE_SCHEMA_VERSION && !options.readonly) {
        db.transaction(() => {
          for (let from = version; from < STORE_SCHEMA_VERSION; from++) db.exec(MIGRATIONS[from] ?? '');
          db.pragma(`user_version = ${STORE_SCHEMA_VERSION}`);
        })();
      } else if (version !== STORE_SCHEMA_VERSION) {
        throw new SiftError(
          'E_STORE',
          `label store schema version ${version} is not the supported version ${STORE_SCHEMA_VERSION}`,
          { file: path },
        );
      }
    } catch (error) {
      db.close();
      if (error instanceof SiftError) throw error;
      throw new SiftError(
        'E_STORE',
        `not a usable label store: ${(error as Error).message}`,
        { file: path },
        { cause: error },
      );
    }
    return new LabelStore(db, path);
  }

  close(): void {
    this.db.close();
  }

  getMeta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)
      ?.value;
  }

  setMeta(key: string, value: string): void {
    this.db
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }

  /** Adds pairs with their queries and documents in one transaction; returns how many pairs were new. */
  addPairs(queries: StoredQuery[], documents: StoredDocument[], pairs: NewPair[]): number {
    const addQuery = this.db.prepare('INSERT OR IGNORE INTO queries (id, text) VALUES (?, ?)');
    const addDoc = this.db.prepare('INSERT OR IGNORE INTO documents (id, title, text) VALUES (?, ?, ?)');
    const addPair = this.db.prepare(
      'INSERT OR IGNORE INTO pairs (query_id, doc_id, source, rank, stratum) VALUES (?, ?, ?, ?, ?)',
    );
    return this.db.transaction(() => {
      for (const query of queries) addQuery.run(query.id, query.text);
      for (const doc of documents) addDoc.run(doc.id, doc.title, doc.text);
      let added = 0;
      for (const pair of pairs)
        added += addPair.run(pair.queryId, pair.docId, pair.source, pair.rank, pair.stratum).changes;
      return added;
    })();
  }

  savePolicy(policy: Policy): void {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO policies (hash, name, source, text, max_grade, relevant_from) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(policy.hash, policy.name, policy.source, policy.text, policy.maxGrade, policy.relevantFrom);
  }

  startJob(policyHash: string, judgeId: string, options: Record<string, unknown>): number {
    const result = this.db
      .prepare(
        "INSERT INTO jobs (policy_hash, judge_id, options, status, started_at) VALUES (?, ?, ?, 'running', ?)",
      )
      .run(policyHash, judgeId, JSON.stringify(options), now());
    return Number(result.lastInsertRowid);
  }

  finishJob(jobId: number, status: Exclude<JobStatus, 'running'>, totals: JobTotals): void {
    this.db
      .prepare(
        'UPDATE jobs SET status = ?, finished_at = ?, labelled = ?, cached = ?, failed = ? WHERE id = ?',
      )
      .run(status, now(), totals.labelled, totals.cached, totals.failed, jobId);
  }

  jobs(): JobRow[] {
    return (
      this.db
        .prepare(
          'SELECT id, policy_hash AS policyHash, judge_id AS judgeId, status, started_at AS startedAt, finished_at AS finishedAt, labelled, cached, failed FROM jobs ORDER BY id',
        )
        .all() as JobRow[]
    ).map((row) => ({ ...row }));
  }

  /** Pairs with no label from this (policy, judge), in pair order; failed pairs are tried again. */
  /**
   * Pairs this (policy, judge) has not labelled, round-robin over queries (every query's first pending
   * pair, then every query's second, …), so that a job stopped part way leaves labels spread over all
   * the queries rather than complete for a few: what calibration and training need from a partial set.
   */
  pendingPairs(policyHash: string, judgeId: string): PairToJudge[] {
    return this.db
      .prepare(
        `SELECT pairId, queryId, docId, query, title, text FROM (
           SELECT p.id AS pairId, p.query_id AS queryId, p.doc_id AS docId, q.text AS query, d.title, d.text,
                  row_number() OVER (PARTITION BY p.query_id ORDER BY p.id) AS turn, min(p.id) OVER (PARTITION BY p.query_id) AS firstPair
           FROM pairs p JOIN queries q ON q.id = p.query_id JOIN documents d ON d.id = p.doc_id
           WHERE NOT EXISTS (SELECT 1 FROM labels l WHERE l.pair_id = p.id AND l.policy_hash = ? AND l.judge_id = ?))
         ORDER BY turn, firstPair`,
      )
      .all(policyHash, judgeId) as PairToJudge[];
  }

  /**
   * Every pair id in the order `pendingPairs` would give them if nothing were labelled (round-robin
   * over queries). It depends only on the pairs, not on labels, so a queue producer that cuts it into
   * chunks cuts it the same way on every run: a re-enqueued chunk has the same members and the same id.
   */
  pairOrder(): number[] {
    return (
      this.db
        .prepare(
          `SELECT id FROM (
             SELECT p.id, row_number() OVER (PARTITION BY p.query_id ORDER BY p.id) AS turn,
                    min(p.id) OVER (PARTITION BY p.query_id) AS firstPair
             FROM pairs p)
           ORDER BY turn, firstPair`,
        )
        .all() as Array<{ id: number }>
    ).map((row) => row.id);
  }

  /** Of these pair ids, the pairs this (policy, judge) has not labelled, in the order given. */
  pendingPairsAmong(policyHash: string, judgeId: string, pairIds: readonly number[]): PairToJudge[] {
    const select = this.db.prepare(
      `SELECT p.id AS pairId, p.query_id AS queryId, p.doc_id AS docId, q.text AS query, d.title, d.text
       FROM pairs p JOIN queries q ON q.id = p.query_id JOIN documents d ON d.id = p.doc_id
       WHERE p.id = ? AND NOT EXISTS
         (SELECT 1 FROM labels l WHERE l.pair_id = p.id AND l.policy_hash = ? AND l.judge_id = ?)`,
    );
    const pending: PairToJudge[] = [];
    for (const id of pairIds) {
      const row = select.get(id, policyHash, judgeId) as PairToJudge | undefined;
      if (row) pending.push(row);
    }
    return pending;
  }

  /** The id of each (query id, document id) pair, in order; throws E_STORE for a pair the store lacks. */
  pairIds(keys: readonly (readonly [queryId: string, docId: string])[]): number[] {
    const select = this.db.prepare('SELECT id FROM pairs WHERE query_id = ? AND doc_id = ?');
    return keys.map(([queryId, docId]) => {
      const row = select.get(queryId, docId) as { id: number } | undefined;
      if (!row)
        throw new SiftError('E_STORE', `no pair (${queryId}, ${docId}) in the store`, { file: this.path });
      return row.id;
    });
  }

  /** Runs `fn` in one write transaction: everything it writes lands, or nothing does. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Pair ids of this list that are not in the store (a chunk made for another store, or edited). */
  missingPairs(pairIds: readonly number[]): number[] {
    const exists = this.db.prepare('SELECT 1 FROM pairs WHERE id = ?');
    return pairIds.filter((id) => exists.get(id) === undefined);
  }

  /**
   * Writes a chunk's labels and failures and adds what was new to its job row's totals, in one
   * transaction: a chunk is in the store whole or not at all. Labels already there (a chunk retried
   * after its first run committed) are skipped by the (pair, policy, judge) key and not counted.
   */
  commitChunk(jobId: number, labels: readonly NewLabel[], failures: readonly NewFailure[]): JobTotals {
    return this.db
      .transaction(() => {
        const totals: JobTotals = { labelled: 0, cached: 0, failed: 0 };
        for (const label of labels) {
          if (!this.addLabel(label)) continue;
          if (label.cachedFrom !== undefined) totals.cached++;
          else totals.labelled++;
        }
        for (const failure of failures) {
          this.addFailure(failure);
          totals.failed++;
        }
        this.db
          .prepare(
            'UPDATE jobs SET labelled = labelled + ?, cached = cached + ?, failed = failed + ? WHERE id = ?',
          )
          .run(totals.labelled, totals.cached, totals.failed, jobId);
        return totals;
        // IMMEDIATE: take the write lock first (waiting up to busy_timeout), so that workers committing
        // chunks to one file at once queue up instead of failing to upgrade a read transaction.
      })
      .immediate();
  }

  /** One job row, or undefined. */
  job(jobId: number): JobRow | undefined {
    const row = this.db
      .prepare(
        'SELECT id, policy_hash AS policyHash, judge_id AS judgeId, status, started_at AS startedAt, finished_at AS finishedAt, labelled, cached, failed FROM jobs WHERE id = ?',
      )
      .get(jobId) as JobRow | undefined;
    return row ? { ...row } : undefined;
  }

  /** Sets a job's final status, keeping the totals its chunks added (queued jobs). */
  settleJob(jobId: number, status: Exclude<JobStatus, 'running'>): void {
    this.db.prepare('UPDATE jobs SET status = ?, finished_at = ? WHERE id = ?').run(status, now(), jobId);
  }

  /** A policy saved in the store (the text and source it was saved with), by hash. */
  savedPolicy(hash: string): { text: string; source: string } | undefined {
    return this.db.prepare('SELECT text, source FROM policies WHERE hash = ?').get(hash) as
      | { text: string; source: string }
      | undefined;
  }

  /** A label already made for the same (policy, judge, query text, document text), from any pair. */
  cachedLabel(cacheKey: string): CachedLabel | undefined {
    const row = this.db
      .prepare(
        'SELECT id, grade, rationale, soft_label AS softLabel, scores, prompt_hash AS promptHash FROM labels WHERE cache_key = ? ORDER BY id LIMIT 1',
      )
      .get(cacheKey) as
      | (Omit<CachedLabel, 'softLabel' | 'scores'> & { softLabel: string | null; scores: string | null })
      | undefined;
    return row
      ? {
          ...row,
          softLabel: row.softLabel ? (JSON.parse(row.softLabel) as number[]) : null,
          scores: row.scores ? (JSON.parse(row.scores) as JudgeScores) : null,
        }
      : undefined;
  }

  /** Writes one label and clears the pair's failure record, atomically. False if it was already labelled. */
  addLabel(label: NewLabel): boolean {
    const insert = this.db.prepare(
      `INSERT INTO labels (pair_id, policy_hash, judge_id, prompt_hash, job_id, cache_key, grade, rationale, soft_label,
         scores, cached_from, prompt_tokens, completion_tokens, cost_usd, latency_ms, attempts, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (pair_id, policy_hash, judge_id) DO NOTHING`,
    );
    const clear = this.db.prepare(
      'DELETE FROM failures WHERE pair_id = ? AND policy_hash = ? AND judge_id = ?',
    );
    return this.db.transaction(() => {
      const changes = insert.run(
        label.pairId,
        label.policyHash,
        label.judgeId,
        label.promptHash,
        label.jobId,
        label.cacheKey,
        label.grade,
        label.rationale ?? null,
        label.softLabel ? JSON.stringify(label.softLabel) : null,
        label.scores ? JSON.stringify(label.scores) : null,
        label.cachedFrom ?? null,
        label.promptTokens,
        label.completionTokens,
        label.costUsd ?? null,
        label.latencyMs,
        label.attempts,
        now(),
      ).changes;
      clear.run(label.pairId, label.policyHash, label.judgeId);
      return changes === 1;
    })();
  }

  /** Records (or updates) why a pair could not be labelled; attempts and tokens accumulate over jobs. */
  addFailure(failure: NewFailure): void {
    this.db
      .prepare(
        `INSERT INTO failures (pair_id, policy_hash, judge_id, job_id, attempts, error_code, last_error, prompt_tokens, completion_tokens, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (pair_id, policy_hash, judge_id) DO UPDATE SET
           job_id = excluded.job_id, attempts = attempts + excluded.attempts, error_code = excluded.error_code,
           last_error = excluded.last_error, prompt_tokens = prompt_tokens + excluded.prompt_tokens,
           completion_tokens = completion_tokens + excluded.completion_tokens, updated_at = excluded.updated_at`,
      )
      .run(
        failure.pairId,
        failure.policyHash,
        failure.judgeId,
        failure.jobId,
        failure.attempts,
        failure.errorCode,
        failure.message,
        failure.promptTokens,
        failure.completionTokens,
        now(),
      );
  }

  counts(): { queries: number; documents: number; pairs: number; labels: number; failures: number } {
    const count = (table: string) =>
      (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      queries: count('queries'),
      documents: count('documents'),
      pairs: count('pairs'),
      labels: count('labels'),
      failures: count('failures'),
    };
  }

  /** Every (policy, judge) with labels, most recently labelled first. */
  labelSets(): LabelSet[] {
    return this.db
      .prepare(
        `SELECT l.policy_hash AS policyHash, p.name AS policyName, l.judge_id AS judgeId, count(*) AS labels,
                p.max_grade AS maxGrade, p.relevant_from AS relevantFrom, max(l.created_at) AS lastLabelAt
         FROM labels l JOIN policies p ON p.hash = l.policy_hash
         GROUP BY l.policy_hash, l.judge_id ORDER BY lastLabelAt DESC, max(l.id) DESC`,
      )
      .all() as LabelSet[];
  }

  labels(policyHash: string, judgeId: string): StoredLabel[] {
    const rows = this.db
      .prepare(
        `SELECT l.pair_id AS pairId, p.query_id AS queryId, p.doc_id AS docId, q.text AS query, d.title, d.text,
                l.grade, l.rationale, l.soft_label AS softLabel, l.scores, l.prompt_hash AS promptHash, l.job_id AS jobId
         FROM labels l JOIN pairs p ON p.id = l.pair_id JOIN queries q ON q.id = p.query_id JOIN documents d ON d.id = p.doc_id
         WHERE l.policy_hash = ? AND l.judge_id = ? ORDER BY p.query_id, p.id`,
      )
      .all(policyHash, judgeId) as Array<
      Omit<StoredLabel, 'softLabel' | 'scores'> & { softLabel: string | null; scores: string | null }
    >;
    return rows.map((row) => ({
      ...row,
      softLabel: row.softLabel ? (JSON.parse(row.softLabel) as number[]) : null,
      scores: row.scores ? (JSON.parse(row.scores) as JudgeScores) : null,
    }));
  }

  /** Tokens and cost spent by a (policy, judge) so far, labels and failures together. */
  spend(
    policyHash: string,
    judgeId: string,
  ): { promptTokens: number; completionTokens: number; costUsd: number } {
    const labels = this.db
      .prepare(
        'SELECT coalesce(sum(prompt_tokens), 0) AS p, coalesce(sum(completion_tokens), 0) AS c, coalesce(sum(cost_usd), 0) AS usd FROM labels WHERE policy_hash = ? AND judge_id = ?',
      )
      .get(policyHash, judgeId) as { p: number; c: number; usd: number };
    const failures = this.db
      .prepare(
        'SELECT coalesce(sum(prompt_tokens), 0) AS p, coalesce(sum(completion_tokens), 0) AS c FROM failures WHERE policy_hash = ? AND judge_id = ?',
      )
      .get(policyHash, judgeId) as { p: number; c: number };
    return {
      promptTokens: labels.p + failures.p,
      completionTokens: labels.c + failures.c,
      costUsd: labels.usd,
    };
  }

  failures(
    policyHash: string,
    judgeId: string,
  ): Array<{ pairId: number; attempts: number; errorCode: string; lastError: string }> {
    return this.db
      .prepare(
        'SELECT pair_id AS pairId, attempts, error_code AS errorCode, last_error AS lastError FROM failures WHERE policy_hash = ? AND judge_id = ? ORDER BY pair_id',
      )
      .all(policyHash, judgeId) as Array<{
      pairId: number;
      attempts: number;
      errorCode: string;
      lastError: string;
    }>;
  }

  /** Query ids with sampled pairs. */
  queryIds(): string[] {
    return (
      this.db.prepare('SELECT DISTINCT query_id AS id FROM pairs ORDER BY query_id').all() as Array<{
        id: string;
      }>
    ).map((row) => row.id);
  }
}

function now(): string {
  return new Date().toISOString();
}
