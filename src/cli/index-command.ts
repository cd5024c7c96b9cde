// `sift index <collection>`: builds the index of a BEIR folder or a JSONL/CSV document file.

import type { Command } from 'commander';
import { SiftError } from '../errors.js';
import { buildIndex, embedDocuments, type SiftIndex } from '../index/index.js';
import { createReadStats } from '../ingest/index.js';
import {
  checkQueueReachable,
  DEFAULT_CHUNK_DOCS,
  DEFAULT_QUEUE_PREFIX,
  embedOnQueue,
  queueTarget,
} from '../jobs/index.js';
import { DEFAULT_EMBEDDER, openEmbedder } from '../models/index.js';
import { connectWeaviate, type WeaviateConnection } from '../remote/index.js';
import { BACKENDS, importIndex, parseBackend } from '../search/index.js';
import { addRemoteLayoutOptions, parsePositiveInt, remoteLayout } from './options.js';
import { defaultIndexDir, resolveCollection } from './sources.js';

export function registerIndexCommand(program: Command): void {
  addRemoteLayoutOptions(program.command('index'))
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
    .option('--backend <backend>', `also import into a remote backend: ${BACKENDS.join('|')}`, 'local')
    .option('--url <url>', "with --backend weaviate: a Weaviate node's REST URL")
    .option(
      '--queue <url>',
      'with --embedder: embed on `sift worker` processes through this Redis (redis://HOST:PORT[/DB]); the index folder must be at the same path for them',
    )
    .option('--prefix <prefix>', 'queue key prefix, as given to the workers', DEFAULT_QUEUE_PREFIX)
    .option('--chunk <n>', 'documents per queued chunk', parsePositiveInt, DEFAULT_CHUNK_DOCS)
    .option('--quiet', 'no progress bar', false)
    .action(async (collectionPath: string, opts: IndexOptions) => {
      const backend = parseBackend(opts.backend);
      if (backend === 'weaviate' && opts.url === undefined) {
        throw new SiftError('E_BAD_ARGUMENT', '--backend weaviate needs --url <url>', { field: 'url' });
      }
      if (opts.queue !== undefined && opts.embedder === undefined) {
        throw new SiftError('E_BAD_ARGUMENT', '--queue embeds on workers: it needs --embedder <id>', {
          field: 'queue',
        });
      }
      // Reached first, as the cluster is: an unreachable Redis fails before any work.
      if (opts.queue !== undefined) await checkQueueReachable(queueTarget(opts.queue, opts.prefix));
      // Reached first: an unreachable cluster fails before any work.
      const connection = backend === 'weaviate' ? await connectWeaviate(opts.url!) : undefined;
      try {
        await indexCollection(collectionPath, opts, connection);
      } finally {
        await connection?.close();
      }
    });
}

async function indexCollection(
  collectionPath: string,
  opts: IndexOptions,
  connection: WeaviateConnection | undefined,
): Promise<void> {
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
  if (connection) {
    const encoder = await openEmbedder(opts.embedder ?? DEFAULT_EMBEDDER, { quiet: opts.quiet });
    try {
      const layout = remoteLayout(opts);
      const { collection: remote, imported } = await importIndex(connection, index, encoder, {
        layout,
        quiet: opts.quiet,
      });
      console.log(
        `weaviate ${connection.endpoint.url}: collection ${remote.name}, ${imported.imported} documents imported` +
          (imported.skipped ? `, ${imported.skipped} already there` : '') +
          ` in ${imported.seconds.toFixed(1)} s`,
      );
    } finally {
      await encoder.release();
    }
  } else if (opts.embedder && opts.queue !== undefined) {
    await embedThroughQueue(index, opts.embedder, opts);
  } else if (opts.embedder) {
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
}

/** Embeds the documents that lack a vector on `sift worker` processes (jobs/enqueue-embed.ts). */
async function embedThroughQueue(index: SiftIndex, embedder: string, opts: IndexOptions): Promise<void> {
  // The producer needs the model's shape, and opening it here also pulls it before any worker asks.
  const encoder = await openEmbedder(embedder, { quiet: opts.quiet });
  const shape = { id: encoder.id, dimension: encoder.dimension, normalized: encoder.normalized };
  await encoder.release();
  const target = queueTarget(opts.queue!, opts.prefix);
  if (!opts.quiet)
    console.error(`queueing on ${target.display}; start workers with: sift worker --queue ${opts.queue}`);
  const outcome = await embedOnQueue({
    target,
    index,
    embedder,
    encoder: shape,
    chunkDocs: opts.chunk,
    quiet: opts.quiet,
  });
  console.log(
    outcome.embedded === 0
      ? `vectors are current (${shape.id})`
      : `embedded ${outcome.embedded} documents with ${shape.id} on workers in ${outcome.seconds.toFixed(1)} s ` +
          `(${outcome.chunks} chunks${outcome.reused ? `, ${outcome.reused} already written by an earlier run` : ''})`,
  );
}

interface IndexOptions {
  queue?: string;
  prefix: string;
  chunk: number;
  backend: string;
  url?: string;
  shards?: number;
  replication?: number;
  embedder?: string;
  name?: string;
  out?: string;
  force: boolean;
  skipBadLines: boolean;
  quiet: boolean;
}
