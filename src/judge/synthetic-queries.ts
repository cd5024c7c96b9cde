// Synthetic training queries for a corpus that has none (InPars, Bonifacio et al. 2022): a chat model
// reads a sampled document and writes the query a searcher would type to find it. The queries then go
// through the same sampling and judging as real ones: the judge, not the writer, says which documents
// meet them (the writer's document is only where the query came from, never assumed relevant).
//
// Greedy decoding, so a query is a function of the model, the prompt and the document. Each query is
// appended to a JSONL file (BEIR queries form: _id, text, source_doc) as soon as it is written, and a
// second run skips documents already done, so a kill loses at most the one in progress.

import { existsSync } from 'node:fs';
import { appendFile, readFile, truncate } from 'node:fs/promises';
import { SiftError } from '../errors.js';
import type { Doc } from '../ingest/index.js';
import { ProgressBar } from '../util/index.js';
import type { ChatBackend } from './types.js';

/** Characters of a document the writer reads: queries come from what a document is about, which its start says. */
export const SYNTHETIC_QUERY_MAX_DOC_CHARS = 1500;

const SYSTEM =
  'You write search queries. Given a document, write one query that a person would type into a search engine ' +
  'and that this document answers. Use the words a searcher would use, not sentences copied from the document. ' +
  'Answer with the query only: no quotes, no preamble.';

export interface SyntheticQuery {
  id: string;
  text: string;
  /** The document the query was written from. */
  sourceDoc: string;
}

export interface SyntheticQueryOptions {
  /** Where the queries are kept (appended; read back on resume). */
  file: string;
  quiet?: boolean;
  signal?: AbortSignal;
}

/** The id a synthetic query gets: stable per source document, so resumes and re-runs agree. */
export function syntheticQueryId(docId: string): string {
  return `synthetic-${docId}`;
}

/** One query from one document, or undefined when the model answered nothing usable. */
export async function writeSyntheticQuery(
  backend: ChatBackend,
  doc: Pick<Doc, 'title' | 'text'>,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const title = doc.title.trim() === '' ? '' : `Title: ${doc.title.trim()}\n\n`;
  const completion = await backend.complete(
    [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: `${title}${doc.text.slice(0, SYNTHETIC_QUERY_MAX_DOC_CHARS)}\n\nQuery:` },
    ],
    { maxTokens: 24, temperature: 0 },
    signal,
  );
  // The first line, without the quotes or "Query:" lead some models add anyway.
  const line = completion.content.trim().split('\n')[0] ?? '';
  const query = line
    .replace(/^(search )?query:\s*/i, '')
    .replace(/^["'“”]+|["'“”.]+$/g, '')
    .trim();
  return query.length >= 3 ? query.slice(0, 200) : undefined;
}

/** Writes a query for each document not yet in `options.file`; returns every query the file holds. */
export async function writeSyntheticQueries(
  backend: ChatBackend,
  docs: readonly Doc[],
  options: SyntheticQueryOptions,
): Promise<SyntheticQuery[]> {
  const done = await readSyntheticQueries(options.file);
  await cutTornTail(options.file);
  const seen = new Set(done.map((q) => q.sourceDoc));
  // Documents the model answered nothing usable for are remembered too, so a resume does not ask again.
  const todo = docs.filter((d) => !seen.has(d.id));
  const bar = new ProgressBar({
    label: `writing synthetic queries (${backend.model})`,
    total: todo.length,
    unit: 'queries',
    quiet: options.quiet ?? false,
  });
  for (const doc of todo) {
    options.signal?.throwIfAborted();
    const text = await writeSyntheticQuery(backend, doc, options.signal);
    const record = { _id: syntheticQueryId(doc.id), text: text ?? '', source_doc: doc.id };
    await appendFile(options.file, `${JSON.stringify(record)}\n`);
    done.push({ id: record._id, text: record.text, sourceDoc: doc.id });
    bar.tick();
  }
  bar.finish();
  return done.filter((q) => q.text !== '');
}

/**
 * The queries a file holds, including documents the model gave nothing usable for (empty text); none when
 * the file does not exist. A torn last line (a kill mid-append: no newline after it) is skipped; any other
 * bad line is E_BAD_JSONL naming the file and line.
 */
export async function readSyntheticQueries(file: string): Promise<SyntheticQuery[]> {
  if (!existsSync(file)) return [];
  const content = await readFile(file, 'utf8');
  const lines = content.split('\n');
  const queries: SyntheticQuery[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const torn = i === lines.length - 1; // the text after the last newline
    let record: { _id?: unknown; text?: unknown; source_doc?: unknown };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      if (torn) continue;
      throw new SiftError('E_BAD_JSONL', 'the line is not valid JSON', { file, line: i + 1 });
    }
    if (
      typeof record._id !== 'string' ||
      typeof record.text !== 'string' ||
      typeof record.source_doc !== 'string'
    )
      throw new SiftError('E_BAD_JSONL', 'a synthetic query needs string _id, text and source_doc', {
        file,
        line: i + 1,
      });
    queries.push({ id: record._id, text: record.text, sourceDoc: record.source_doc });
  }
  return queries;
}

/** Drops a torn last line (no newline after it), so the next append starts a line of its own. */
async function cutTornTail(file: string): Promise<void> {
  if (!existsSync(file)) return;
  const content = await readFile(file);
  if (content.length === 0 || content[content.length - 1] === 0x0a) return;
  await truncate(file, content.lastIndexOf(0x0a) + 1);
}
