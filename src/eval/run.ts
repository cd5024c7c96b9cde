// Reading and writing the files trec_eval reads: TREC runs, and qrels in TREC or BEIR layout.

import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SiftError } from '../errors.js';
import type { Qrels } from '../ingest/index.js';
import { readLines } from '../ingest/index.js';
import { rankDocs, type ScoredDoc } from './ranking.js';

/** queryId → that query's retrieved documents, best first (trec_eval order, see ranking.ts). */
export type Run = Map<string, ScoredDoc[]>;

// A decimal float as C's strtod reads it, plus the spellings of infinity it accepts. NaN is refused:
// it has no place in an ordering.
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY = /^([+-]?)(?:inf|infinity)$/i;
const INTEGER = /^[+-]?\d+$/;
const WHITESPACE = /\s+/;

/** Parses a score field; undefined when it is not a number. */
function parseScore(text: string): number | undefined {
  if (FLOAT.test(text)) return Number(text);
  const inf = INFINITY.exec(text);
  if (inf !== null) return inf[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return undefined;
}

function badLine(file: string, line: number, detail: string, field?: string): SiftError {
  return new SiftError('E_BAD_TSV', detail, field === undefined ? { file, line } : { file, line, field });
}

function fieldsOf(text: string): string[] {
  const trimmed = text.trim();
  return trimmed === '' ? [] : trimmed.split(WHITESPACE);
}

/**
 * Reads a TREC run: `qid Q0 docid rank score tag`, whitespace separated, one retrieved document a line.
 * As in trec_eval, the rank column is checked to be an integer but otherwise ignored: each query's list
 * is returned sorted by score, ties by docId descending. A docId listed twice for one query is an error
 * (trec_eval refuses such runs too). Blank lines are skipped.
 */
export async function readTrecRun(path: string): Promise<Run> {
  const run: Run = new Map();
  const seen = new Map<string, Set<string>>();
  for await (const { text, line } of readLines(path)) {
    const fields = fieldsOf(text);
    if (fields.length === 0) continue;
    if (fields.length !== 6) {
      throw badLine(path, line, `expected 6 fields "qid Q0 docid rank score tag", found ${fields.length}`);
    }
    const [qid, , docId, rank, scoreText] = fields as [string, string, string, string, string, string];
    if (!INTEGER.test(rank)) throw badLine(path, line, `rank "${rank}" is not an integer`, 'rank');
    const score = parseScore(scoreText);
    if (score === undefined) throw badLine(path, line, `score "${scoreText}" is not a number`, 'score');
    let docs = seen.get(qid);
    if (docs === undefined) {
      docs = new Set();
      seen.set(qid, docs);
      run.set(qid, []);
    }
    if (docs.has(docId)) {
      throw new SiftError('E_DUPLICATE_ID', `document "${docId}" retrieved twice for query "${qid}"`, {
        file: path,
        line,
      });
    }
    docs.add(docId);
    run.get(qid)!.push({ docId, score });
  }
  for (const [qid, docs] of run) run.set(qid, rankDocs(docs));
  return run;
}

/** Ids and the tag are whitespace-separated fields, so they must be non-empty and free of whitespace. */
function checkToken(value: string, what: string): void {
  if (value === '' || /\s/.test(value)) {
    throw new SiftError('E_BAD_ARGUMENT', `${what} "${value}" is empty or contains whitespace`, {
      field: what,
    });
  }
}

// Lines are gathered into chunks of about this many characters before each write.
const CHUNK_CHARS = 1 << 20;

/**
 * Writes `run` in TREC format, ranks 1..n in trec_eval order, so the rank column agrees with the order
 * trec_eval will compute. Scores are written with the shortest text that reads back to the same double.
 * Atomic: the lines go to a temporary file in the same folder, which is flushed and renamed over `path`,
 * so a reader never sees half a run and a crash leaves any previous file intact.
 */
export async function writeTrecRun(path: string, run: Run, tag: string): Promise<void> {
  checkToken(tag, 'tag');
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(temp, 'wx');
    let chunk = '';
    for (const [qid, docs] of run) {
      checkToken(qid, 'query id');
      const seen = new Set<string>();
      let rank = 0;
      for (const { docId, score } of rankDocs(docs)) {
        checkToken(docId, 'document id');
        if (Number.isNaN(score)) {
          throw new SiftError('E_BAD_ARGUMENT', `score of "${docId}" for query "${qid}" is NaN`);
        }
        if (seen.has(docId)) {
          throw new SiftError('E_DUPLICATE_ID', `document "${docId}" retrieved twice for query "${qid}"`);
        }
        seen.add(docId);
        rank += 1;
        chunk += `${qid} Q0 ${docId} ${rank} ${score} ${tag}\n`;
        if (chunk.length >= CHUNK_CHARS) {
          await handle.write(chunk);
          chunk = '';
        }
      }
    }
    if (chunk !== '') await handle.write(chunk);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    if (error instanceof SiftError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new SiftError('E_IO', `cannot write run: ${reason}`, { file: path }, { cause: error });
  }
}

/**
 * Splits a qrels line. BEIR files are tab separated, and splitting on tabs keeps a docid that contains a
 * space whole; any other line (or a tab split that does not give 3 or 4 fields) splits on whitespace.
 */
function splitQrelsLine(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const tabbed = trimmed.split('\t');
  if (tabbed.length === 3 || tabbed.length === 4) return tabbed.map((field) => field.trim());
  return trimmed.split(WHITESPACE);
}

/**
 * Reads relevance judgments in either layout, told apart by the number of fields:
 * - BEIR: `query-id<TAB>corpus-id<TAB>score`, with the header line optional;
 * - TREC: `qid iteration docid grade`, whitespace separated (the iteration column is ignored).
 * Grades are integers; as in trec_eval, a grade of 0 or below means judged not relevant. One file must
 * keep one layout throughout. Judging the same document twice for a query is an error, since the two
 * grades could disagree. Blank lines are skipped.
 */
export async function readQrels(path: string): Promise<Qrels> {
  const qrels: Qrels = new Map();
  let layout: 3 | 4 | undefined;
  let first = true;
  for await (const { text, line } of readLines(path)) {
    const fields = splitQrelsLine(text);
    if (fields.length === 0) continue;
    const isFirst = first;
    first = false;
    if (fields.length !== 3 && fields.length !== 4) {
      throw badLine(path, line, `expected 3 fields (BEIR) or 4 fields (TREC), found ${fields.length}`);
    }
    const grade = fields[fields.length - 1]!;
    // Any first line of three fields whose last is not a number is a header, e.g. `query-id corpus-id score`.
    if (isFirst && fields.length === 3 && !INTEGER.test(grade) && parseScore(grade) === undefined) continue;
    if (layout === undefined) layout = fields.length;
    if (fields.length !== layout) {
      throw badLine(path, line, `expected ${layout} fields like the lines before, found ${fields.length}`);
    }
    if (fields.some((f) => f === '')) throw badLine(path, line, 'empty field');
    if (!INTEGER.test(grade)) throw badLine(path, line, `grade "${grade}" is not an integer`, 'grade');
    const qid = fields[0]!;
    const docId = fields[layout === 3 ? 1 : 2]!;
    let judged = qrels.get(qid);
    if (judged === undefined) {
      judged = new Map();
      qrels.set(qid, judged);
    }
    if (judged.has(docId)) {
      throw new SiftError('E_DUPLICATE_ID', `document "${docId}" judged twice for query "${qid}"`, {
        file: path,
        line,
      });
    }
    judged.set(docId, Number(grade));
  }
  return qrels;
}
