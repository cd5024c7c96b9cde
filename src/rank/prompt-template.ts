// Prompt templates for pointwise rankers: `{query}` and `{document}` (or `{title}` and `{text}`) slots in text.
//
// The query must come before the document, so everything up to the document slot is a prefix shared
// by every candidate of a query (computed once, see decoder-ranker.ts). The document slot should start a
// line: byte-level BPE then tokenises prefix and item apart exactly as it would the whole prompt.

import { readFile } from 'node:fs/promises';
import { SiftError } from '../errors.js';

export interface PromptTemplate {
  /** Where the template came from, for messages. */
  source: string;
  /** Text before the query slot, the query goes between, then `afterQuery` up to the document. */
  beforeQuery: string;
  afterQuery: string;
  /** Text after the document slot (the question's end and the assistant turn). */
  suffix: string;
  /** The slot the document fills: one `{document}` ("title\ntext") or `{title}`…`{text}` with text between. */
  documentLayout: { kind: 'document' } | { kind: 'fields'; between: string };
}

const SLOT = /\{(\w+)\}/g;
const KNOWN = new Set(['query', 'document', 'title', 'text']);

/** Parses template text; E_PROMPT_TEMPLATE names the source and the problem. */
export function parsePromptTemplate(text: string, source: string): PromptTemplate {
  const slots = [...text.matchAll(SLOT)].map((m) => ({
    name: m[1] ?? '',
    at: m.index ?? 0,
    length: m[0].length,
  }));
  const fail = (detail: string) => new SiftError('E_PROMPT_TEMPLATE', detail, { file: source });
  for (const slot of slots)
    if (!KNOWN.has(slot.name))
      throw fail(`unknown slot {${slot.name}} (known: {query}, {document}, {title}, {text})`);
  const count = (name: string) => slots.filter((s) => s.name === name).length;
  if (count('query') !== 1) throw fail('the template needs exactly one {query} slot');
  const hasDocument = count('document') === 1 && count('title') === 0 && count('text') === 0;
  const hasFields = count('document') === 0 && count('title') === 1 && count('text') === 1;
  if (!hasDocument && !hasFields) {
    throw fail('the template needs a document slot: one {document}, or one {title} and one {text}');
  }
  const [query, first, second] = slots as [
    (typeof slots)[0],
    (typeof slots)[0],
    (typeof slots)[0] | undefined,
  ];
  if (query.name !== 'query') {
    throw fail(
      '{query} must come before the document, so that it is part of the prefix shared by every document',
    );
  }
  if (hasFields && first.name !== 'title') throw fail('{title} must come before {text}');
  const end = (second ?? first).at + (second ?? first).length;
  return {
    source,
    beforeQuery: text.slice(0, query.at),
    afterQuery: text.slice(query.at + query.length, first.at),
    suffix: text.slice(end),
    documentLayout:
      hasFields && second
        ? { kind: 'fields', between: text.slice(first.at + first.length, second.at) }
        : { kind: 'document' },
  };
}

export async function readPromptTemplate(file: string): Promise<PromptTemplate> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SiftError('E_FILE_NOT_FOUND', `cannot read the prompt template: ${(error as Error).message}`, {
      file,
    });
  }
  return parsePromptTemplate(text, file);
}

/** The shared prefix for one query. */
export function renderPrefix(template: PromptTemplate, query: string): string {
  return `${template.beforeQuery}${query}${template.afterQuery}`;
}

/** The separator put between a document's title and its text. */
export function titleTextSeparator(template: PromptTemplate): string {
  return template.documentLayout.kind === 'fields' ? template.documentLayout.between : '\n';
}
