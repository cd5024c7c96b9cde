// `sift compress summaries`: makes (or brings up to date) the summaries of every live document of an
// index, stored as a versioned attribute beside it (index/summaries.ts). Resumable: documents that already
// have a summary of their current text are skipped, so a killed run continues where it stopped, and a
// document edited since its summary was made gets a new one.

import { SiftError } from '../errors.js';
import {
  type SiftIndex,
  SummaryFile,
  type SummaryMethod,
  type SummaryVariant,
  summaryVariantKey,
} from '../index/index.js';
import type { ChatBackend } from '../judge/index.js';
import { loadTokenizer, type TextTokenizer } from '../models/index.js';
import { ProgressBar } from '../util/index.js';
import { extractiveSummary, leadSummary } from './extractive.js';
import { llmSummary, llmSummaryPromptHash } from './llm-summary.js';

export interface SummariseOptions {
  index: SiftIndex;
  /** Token budget of each summary, title included, in the tokenizer's tokens. */
  budget: number;
  /** 'extractive' (default), 'lead' (the first tokens: the truncation baseline) or 'llm' (needs `writer`). */
  method?: SummaryMethod;
  /** The chat model that writes 'llm' summaries. */
  writer?: ChatBackend;
  /** A model folder whose tokenizer counts the budget: the ranker's (BERT WordPiece for the cross-encoders). */
  tokenizerDir: string;
  quiet?: boolean;
  /** Summaries per fsynced append. Default 200. */
  batch?: number;
}

export interface SummariseResult {
  variant: SummaryVariant;
  file: string;
  /** Live documents, summaries written now, and those already up to date. */
  documents: number;
  made: number;
  upToDate: number;
  /** Mean tokens per document before and after (title and text), over the summaries written now. */
  meanTokensBefore: number;
  meanTokensAfter: number;
  seconds: number;
}

export async function summariseIndex(options: SummariseOptions): Promise<SummariseResult> {
  const { index, budget } = options;
  const method = options.method ?? 'extractive';
  const writer = options.writer;
  if (method === 'llm' && !writer) {
    throw new SiftError('E_BAD_ARGUMENT', 'model-written summaries need a model (--model or --url)', {
      field: 'model',
    });
  }
  const variant: SummaryVariant =
    method === 'llm'
      ? { method, budget, model: writer!.model, promptHash: llmSummaryPromptHash() }
      : { method, budget };
  summaryVariantKey(variant); // validates the budget before any work
  const tokenizer = await loadTokenizer(options.tokenizerDir);
  const countTokens = tokenCounter(tokenizer);
  const file = await SummaryFile.open(index.dir, variant);
  const live = index.docs.liveOrdinals();
  const liveCount = live.length;
  if (liveCount === 0) {
    throw new SiftError('E_BAD_ARGUMENT', `index "${index.name}" has no documents to summarise`, {
      field: 'index',
    });
  }
  // BM25's idf over the live collection: the same term weights the index ranks with.
  const idf = (term: string) => {
    const df = index.inverted.postingList(term)?.docFreq ?? 0;
    return Math.log(1 + (liveCount - df + 0.5) / (df + 0.5));
  };
  const analyze = (text: string) => index.analyzer.analyze(text);
  const started = performance.now();
  const bar = new ProgressBar({
    label: `summarising ${index.name} (${method}, ${budget} tokens)`,
    total: liveCount,
    unit: 'docs',
    quiet: options.quiet ?? false,
  });
  const pending: { id: string; doc: { title: string; text: string }; summary: string }[] = [];
  let made = 0;
  let upToDate = 0;
  let before = 0;
  let after = 0;
  const flush = async () => {
    await file.append(pending);
    pending.length = 0;
  };
  for (const ord of live) {
    const doc = index.docs.get(ord);
    if (!file.needs(doc.id, doc)) {
      upToDate++;
      bar.tick();
      continue;
    }
    const summary =
      method === 'lead'
        ? { text: leadSummary(doc, { budget, countTokens }) }
        : method === 'llm'
          ? { text: await llmSummary(writer!, doc, { budget, countTokens }) }
          : extractiveSummary(doc, { budget, countTokens, analyze, idf });
    const titleTokens = doc.title.trim() === '' ? 0 : countTokens(doc.title) + 1;
    before += titleTokens + countTokens(doc.text);
    after += titleTokens + countTokens(summary.text);
    pending.push({ id: doc.id, doc, summary: summary.text });
    made++;
    // Model-written summaries take seconds each: keep every one (a kill loses at most the one in progress).
    if (pending.length >= (method === 'llm' ? 1 : (options.batch ?? 200))) await flush();
    bar.tick();
  }
  await flush();
  bar.finish();
  return {
    variant,
    file: file.file,
    documents: liveCount,
    made,
    upToDate,
    meanTokensBefore: made > 0 ? before / made : 0,
    meanTokensAfter: made > 0 ? after / made : 0,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Tokens of a text without the tokenizer's special tokens, and never truncated. */
export function tokenCounter(tokenizer: TextTokenizer): (text: string) => number {
  const specials = tokenizer.encodeBatch([''], { maxLength: 16 }).ids[0]!.length;
  return (text) => tokenizer.encodeBatch([text], { maxLength: 1_000_000 }).ids[0]!.length - specials;
}
