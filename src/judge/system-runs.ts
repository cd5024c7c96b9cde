// Runs of a few retrieval systems over a collection's audited queries, for the audit's system-ordering
// check. BM25 variants need no model, so the check is cheap; dense and hybrid are there when asked for.

import { SiftError } from '../errors.js';
import type { Run } from '../eval/index.js';
import type { Bm25Params } from '../retrieve/index.js';
import { openCollection, openRetriever, type RetrievalMode } from '../search/index.js';

interface SystemSpec {
  mode: RetrievalMode;
  bm25?: Partial<Bm25Params>;
}

/** Systems an audit can compare, by name. */
export const AUDIT_SYSTEMS: Readonly<Record<string, SystemSpec>> = {
  bm25: { mode: 'bm25' },
  'bm25-most-fields': { mode: 'bm25', bm25: { combination: 'most-fields' } },
  bm25f: { mode: 'bm25', bm25: { combination: 'bm25f' } },
  // No length normalisation: a deliberately weaker variant, so the ordering has something to find.
  'bm25-b0': { mode: 'bm25', bm25: { b: 0 } },
  'bm25-title-only': { mode: 'bm25', bm25: { fieldWeights: { title: 1, text: 0 } } },
  dense: { mode: 'dense' },
  hybrid: { mode: 'hybrid' },
};

/** The default: model-free, so an audit never downloads or embeds anything. */
export const DEFAULT_AUDIT_SYSTEMS = ['bm25', 'bm25-most-fields', 'bm25f', 'bm25-b0', 'bm25-title-only'];

export async function systemRuns(
  folder: string,
  queryIds: ReadonlySet<string>,
  systems: readonly string[],
  options: { indexesRoot: string; depth?: number; quiet?: boolean },
): Promise<Map<string, Run>> {
  for (const name of systems) {
    if (AUDIT_SYSTEMS[name] === undefined) {
      throw new SiftError(
        'E_BAD_ARGUMENT',
        `unknown system "${name}" (known: ${Object.keys(AUDIT_SYSTEMS).join(', ')})`,
        {
          field: 'systems',
        },
      );
    }
  }
  const { collection, index } = await openCollection(folder, options.indexesRoot, options.quiet ?? false);
  const queries = collection.queries.filter((query) => queryIds.has(query.id));
  const runs = new Map<string, Run>();
  for (const name of systems) {
    const spec = AUDIT_SYSTEMS[name]!;
    const opened = await openRetriever(index, {
      mode: spec.mode,
      quiet: options.quiet ?? false,
      ...(spec.bm25 ? { bm25: spec.bm25 } : {}),
    });
    try {
      const run: Run = new Map();
      for (const query of queries) {
        const hits = await opened.retriever.search({ query: query.text, k: options.depth ?? 100 });
        run.set(
          query.id,
          hits.map((hit) => ({ docId: hit.id, score: hit.score })),
        );
      }
      runs.set(name, run);
    } finally {
      await opened.release();
    }
  }
  return runs;
}
