// Document summaries, a versioned attribute stored beside an index: one append-only JSON Lines file per
// variant (method, token budget, and for model-written summaries the model and the prompt's hash) under
// <index dir>/summaries/. Each entry carries the hash of the document text it summarises, so an entry for a
// document that has since changed is stale: readers never serve it (they fall back to the full text, which
// the ranker truncates) and `sift compress summaries` writes it again.
//
// Appends are fsynced in batches: a kill -9 loses at most the batch being written, and a torn last line
// (the kill landed mid-write) is ignored on open and closed off by the next append. Any other malformed line
// is corruption and is reported with its file and line.

import { createHash } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SiftError } from '../errors.js';

export const SUMMARY_FORMAT_VERSION = 1;
/** The folder of an index that holds its summaries (kept when the index is rebuilt). */
export const SUMMARIES_DIR = 'summaries';

export type SummaryMethod = 'extractive' | 'lead' | 'llm';

export interface SummaryVariant {
  /**
   * 'extractive' (the most central sentences, no model), 'lead' (the first tokens: what truncation gives,
   * the baseline), or 'llm' (written by a chat model).
   */
  method: SummaryMethod;
  /** Target length in the ranker's tokens (BERT WordPiece for the cross-encoders). */
  budget: number;
  /** The model that wrote them (method 'llm'). */
  model?: string;
  /** sha256 prefix of the prompt template (method 'llm'): a new prompt is a new variant. */
  promptHash?: string;
}

interface Entry {
  id: string;
  hash: string;
  text: string;
}

/** The variant's file name (without extension): readable, and distinct for every field that changes output. */
export function summaryVariantKey(variant: SummaryVariant): string {
  if (!Number.isInteger(variant.budget) || variant.budget < 1) {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      `a summary budget is a positive number of tokens, not ${variant.budget}`,
      {
        field: 'budget',
      },
    );
  }
  if (variant.method !== 'llm') return `${variant.method}-b${variant.budget}`;
  const model = (variant.model ?? 'unknown').replace(/[^A-Za-z0-9._-]/g, '_');
  return `llm-${model}-${variant.promptHash ?? 'none'}-b${variant.budget}`;
}

/** The hash a summary entry records: of the title and text the summary was made from. */
export function documentHash(doc: { title: string; text: string }): string {
  return createHash('sha256').update(doc.title).update('\u0000').update(doc.text).digest('hex').slice(0, 16);
}

export class SummaryFile {
  private constructor(
    readonly file: string,
    readonly variant: SummaryVariant,
    private readonly entries: Map<string, Entry>,
    private tornTail: boolean,
  ) {}

  /** Opens (or creates) the summaries of `variant` for the index in `indexDir`. */
  static async open(indexDir: string, variant: SummaryVariant): Promise<SummaryFile> {
    const dir = join(indexDir, SUMMARIES_DIR);
    const file = join(dir, `${summaryVariantKey(variant)}.jsonl`);
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text === undefined) {
      await mkdir(dir, { recursive: true });
      const header = `${JSON.stringify({ version: SUMMARY_FORMAT_VERSION, variant })}\n`;
      const handle = await open(file, 'wx').catch(() => undefined);
      if (handle) {
        await handle.writeFile(header);
        await handle.sync();
        await handle.close();
        return new SummaryFile(file, variant, new Map(), false);
      }
      text = await readFile(file, 'utf8'); // another process created it first
    }
    const { entries, torn, validBytes } = parse(text, file, variant);
    if (validBytes !== undefined) {
      // A torn last line (a writer killed mid-append) was never acknowledged: cut it off.
      const handle = await open(file, 'r+');
      try {
        await handle.truncate(validBytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    return new SummaryFile(file, variant, entries, torn);
  }

  /** Documents with an entry (fresh or stale). */
  get size(): number {
    return this.entries.size;
  }

  /** The summary of `doc` when one was made from its current text; undefined when missing or stale. */
  get(id: string, doc: { title: string; text: string }): string | undefined {
    const entry = this.entries.get(id);
    return entry && entry.hash === documentHash(doc) ? entry.text : undefined;
  }

  /** Whether `doc` needs a (new) summary: none yet, or one made from older text. */
  needs(id: string, doc: { title: string; text: string }): boolean {
    return this.get(id, doc) === undefined;
  }

  /** Appends summaries and fsyncs them; a later entry for the same document replaces the earlier one. */
  async append(
    items: ReadonlyArray<{ id: string; doc: { title: string; text: string }; summary: string }>,
  ): Promise<void> {
    if (items.length === 0) return;
    const lines = items.map(({ id, doc, summary }) => {
      const entry: Entry = { id, hash: documentHash(doc), text: summary };
      return { entry, line: JSON.stringify(entry) };
    });
    const handle = await open(this.file, 'a');
    try {
      // A last entry that lost its newline to a kill gets one, so the new entries start on their own line.
      await handle.writeFile(`${this.tornTail ? '\n' : ''}${lines.map((l) => l.line).join('\n')}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    this.tornTail = false;
    for (const { entry } of lines) this.entries.set(entry.id, entry);
  }
}

function parse(
  text: string,
  file: string,
  variant: SummaryVariant,
): { entries: Map<string, Entry>; torn: boolean; validBytes?: number } {
  const lines = text.split('\n');
  const endsClean = text.endsWith('\n');
  const header = safeJson(lines[0] ?? '') as { version?: unknown; variant?: SummaryVariant } | undefined;
  if (!header || header.version !== SUMMARY_FORMAT_VERSION) {
    throw new SiftError('E_INDEX_VERSION', `not a version ${SUMMARY_FORMAT_VERSION} summary file`, {
      file,
      line: 1,
    });
  }
  if (summaryVariantKey(header.variant ?? variant) !== summaryVariantKey(variant)) {
    throw new SiftError('E_INDEX_CORRUPT', 'the summary file holds another variant than its name says', {
      file,
      line: 1,
    });
  }
  const entries = new Map<string, Entry>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const value = safeJson(line) as Partial<Entry> | undefined;
    const valid =
      value &&
      typeof value.id === 'string' &&
      typeof value.hash === 'string' &&
      typeof value.text === 'string';
    if (!valid) {
      // Only the very last line may be torn (a writer killed mid-append); anything else is corruption.
      if (i === lines.length - 1 && !endsClean) {
        return {
          entries,
          torn: false,
          validBytes: Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)),
        };
      }
      throw new SiftError('E_INDEX_CORRUPT', 'a summary line is not {"id","hash","text"}', {
        file,
        line: i + 1,
      });
    }
    entries.set(value.id!, value as Entry);
  }
  // A complete last entry without its newline: the next append starts a new line first.
  return { entries, torn: !endsClean };
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
