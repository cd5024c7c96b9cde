// An embedding chunk as it travels through the queue: which index (by path, as the workers see it),
// which embedder, which range of document ordinals. A worker writes the chunk's vectors to one file
// beside the index (`embed-chunks/<embedder>/<from>-<to>.vec`, written atomically), and the producer
// appends the files to the index's vector store in order, so the index itself only ever has one writer.
//
// Ordinals are append-only and a document's ordinal never changes its text (a replaced document gets a
// new one), so a range names fixed texts: the chunk id is a hash of (index, embedder, range), and
// running a chunk twice writes the same file twice.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { SiftError } from '../errors.js';

/** The queue all embedding chunks go through. */
export const EMBED_QUEUE = 'embed';
/** The BullMQ job name of an embedding chunk. */
export const EMBED_CHUNK_NAME = 'embed-chunk';
export const EMBED_CHUNK_VERSION = 1;

export interface EmbedChunk {
  version: typeof EMBED_CHUNK_VERSION;
  /** Absolute path of the index folder, as the workers see it (shared storage across machines). */
  index: string;
  /** Embedder id (a registry id, or `id@D`). */
  embedder: string;
  /** First ordinal of the range. */
  from: number;
  /** One past the last ordinal. */
  to: number;
}

export function embedChunkId(chunk: Pick<EmbedChunk, 'index' | 'embedder' | 'from' | 'to'>): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([chunk.index, chunk.embedder, chunk.from, chunk.to]))
    .digest('hex');
  return `embed-${digest.slice(0, 32)}`;
}

/** The folder of an index's finished chunks for one embedder. */
export function chunkFolder(indexDir: string, embedder: string): string {
  return join(indexDir, 'embed-chunks', embedder.replace(/[^A-Za-z0-9._@-]/g, '_'));
}

/** Where a chunk's vectors go. */
export function chunkFile(chunk: Pick<EmbedChunk, 'index' | 'embedder' | 'from' | 'to'>): string {
  return join(chunkFolder(chunk.index, chunk.embedder), `${chunk.from}-${chunk.to}.vec`);
}

// File layout: "SIFTVEC1", uint32 rows, uint32 dimension (little-endian), then rows × dimension float32.
const MAGIC = 'SIFTVEC1';
const HEADER_BYTES = 16;

export function encodeChunkVectors(vectors: Float32Array, rows: number): Uint8Array {
  const dimension = rows === 0 ? 0 : vectors.length / rows;
  const out = new Uint8Array(HEADER_BYTES + vectors.byteLength);
  out.set(Buffer.from(MAGIC, 'ascii'), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, rows, true);
  view.setUint32(12, dimension, true);
  out.set(new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength), HEADER_BYTES);
  return out;
}

/** Reads a chunk file; throws E_INDEX_CORRUPT naming it when it is not `rows` vectors of `dimension`. */
export async function readChunkVectors(path: string, rows: number, dimension: number): Promise<Float32Array> {
  const bytes = await readFile(path);
  const bad = (detail: string) =>
    new SiftError('E_INDEX_CORRUPT', `embedding chunk ${detail}`, { file: path });
  if (bytes.length < HEADER_BYTES || bytes.subarray(0, 8).toString('ascii') !== MAGIC)
    throw bad('has no SIFTVEC1 header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fileRows = view.getUint32(8, true);
  const fileDimension = view.getUint32(12, true);
  if (fileRows !== rows || fileDimension !== dimension)
    throw bad(`holds ${fileRows} × ${fileDimension} vectors, expected ${rows} × ${dimension}`);
  if (bytes.length !== HEADER_BYTES + rows * dimension * 4) throw bad('is truncated');
  const vectors = new Float32Array(rows * dimension);
  new Uint8Array(vectors.buffer).set(bytes.subarray(HEADER_BYTES));
  return vectors;
}

/** Checks a job's data field by field; throws E_BAD_JOB naming the job and the field. */
export function parseEmbedChunk(data: unknown, jobId = '?'): EmbedChunk {
  const bad = (field: string, detail: string): SiftError =>
    new SiftError('E_BAD_JOB', `job ${jobId}: field "${field}" ${detail}`, { field, job: jobId });
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw bad('data', 'is not an object');
  const record = data as Record<string, unknown>;
  if (record.version !== EMBED_CHUNK_VERSION)
    throw bad('version', `is ${JSON.stringify(record.version)}, this worker reads ${EMBED_CHUNK_VERSION}`);
  const { index, embedder, from, to } = record;
  if (typeof index !== 'string' || !isAbsolute(index)) throw bad('index', 'is not an absolute path');
  if (typeof embedder !== 'string' || embedder === '') throw bad('embedder', 'is not a non-empty string');
  if (!Number.isSafeInteger(from) || (from as number) < 0) throw bad('from', 'is not an ordinal');
  if (!Number.isSafeInteger(to) || (to as number) <= (from as number))
    throw bad('to', 'is not an ordinal after "from"');
  return { version: EMBED_CHUNK_VERSION, index, embedder, from: from as number, to: to as number };
}
