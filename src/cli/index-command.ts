// `sift index <collection>`: builds the index of a BEIR folder or a JSONL/CSV document file.

import type { Command } from 'commander';
import { buildIndex } from '../index/build.js';
import { embedDocuments } from '../index/embed.js';
import { createReadStats } from '../ingest/index.js';
import { openEmbedder } from '../models/open-embedder.js';
import { defaultIndexDir, resolveCollection } from './sources.js';

export function registerIndexCommand(program: Command): void {
  program
    .command('index')
    .description('index a collection: a BEIR folder (corpus.jsonl) or a .jsonl/.csv file of documents')
    .argument('<collection>', 'BEIR folder, or a file of documents with id, title, text and metadata fields')
    .option('--name <name>', 'index name (default: the collection folder or file name)')
    .option('--out <dir>', 'index folder (default: $SIFT_HOME/indexes/<name>)')
    .option('--force', 'rebuild even if a current index exists', false)
    .option(
      '--skip-bad-lines',
      'skip malformed records (they are counted and reported) instead of failing',
      false,
    )
    .option(
      '--embedder <id>',
      'also embed every document with this model (e.g. all-minilm-l6-v2) for dense search',
    )
    .option('--quiet', 'no progress bar', false)
    .action(async (collectionPath: string, opts: IndexOptions) => {
      const collection = await resolveCollection(collectionPath);
      const name = opts.name ?? collection.name;
      const dir = opts.out ?? defaultIndexDir(name);
      const stats = createReadStats();
      const result = await buildIndex(collection.source, {
        dir,
        name,
        force: opts.force,
        quiet: opts.quiet,
        read: opts.skipBadLines ? { onBadRecord: 'skip', stats } : { stats },
      });
      const { index } = result;
      const docs = index.docs.liveCount;
      if (result.built) {
        console.log(
          `indexed ${docs} documents (${index.inverted.termCount} terms) in ${result.seconds.toFixed(2)} s, ` +
            `${Math.round(docs / Math.max(result.seconds, 1e-9))} docs/s → ${dir}`,
        );
      } else {
        console.log(`index is current: ${docs} documents → ${dir}`);
      }
      if (opts.embedder) {
        const encoder = await openEmbedder(opts.embedder, { quiet: opts.quiet });
        try {
          // Resumable: a job interrupted earlier continues at the first document without a vector.
          const embedded = await embedDocuments(index, encoder, { quiet: opts.quiet });
          console.log(
            embedded.embedded === 0
              ? `vectors are current (${encoder.id})`
              : `embedded ${embedded.embedded} documents with ${encoder.id} in ${embedded.seconds.toFixed(1)} s, ` +
                  `${Math.round(embedded.embedded / Math.max(embedded.seconds, 1e-9))} docs/s`,
          );
        } finally {
          await encoder.release();
        }
      }
      if (stats.skipped > 0) {
        console.warn(`skipped ${stats.skipped} malformed records:`);
        for (const example of stats.skippedExamples) console.warn(`  ${example}`);
      }
    });
}

interface IndexOptions {
  embedder?: string;
  name?: string;
  out?: string;
  force: boolean;
  skipBadLines: boolean;
  quiet: boolean;
}
