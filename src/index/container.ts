// A versioned, checksummed binary container: named sections of bytes behind a JSON header.
//
// Layout: magic (8 bytes) | u32 LE header length | header JSON | padding | sections (each 8-byte aligned).
// The header names the format and its version, lists every section's offset and length, and
// carries the sha256 of everything after it, so a truncated or bit-flipped file is refused on open.

import { constants as bufferConstants } from 'node:buffer';
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { SiftError } from '../errors.js';
import { writeFileAtomic } from '../util/index.js';

const MAGIC = Buffer.from('SIFTIDX\0', 'latin1');
const ALIGN = 8;

export interface ContainerHeader {
  /** Which kind of file this is, e.g. "sift-bm25". */
  format: string;
  version: number;
  /** Free-form, format-specific metadata (counts, parameters, model id, ...). */
  meta: Record<string, unknown>;
  sections: Array<{ name: string; offset: number; length: number }>;
  sha256: string;
}

export type Sections = Map<string, Uint8Array>;

export async function writeContainer(
  path: string,
  format: string,
  version: number,
  meta: Record<string, unknown>,
  sections: Sections,
): Promise<void> {
  const layout: ContainerHeader['sections'] = [];
  let offset = 0;
  for (const [name, bytes] of sections) {
    offset = alignUp(offset);
    layout.push({ name, offset, length: bytes.byteLength });
    offset += bytes.byteLength;
  }
  // The body is streamed as its sections plus zero padding, hashed on the way, never copied whole.
  const bodyChunks: Uint8Array[] = [];
  const hash = createHash('sha256');
  let written = 0;
  for (const entry of layout) {
    if (entry.offset > written) bodyChunks.push(new Uint8Array(entry.offset - written));
    bodyChunks.push(sections.get(entry.name)!);
    written = entry.offset + entry.length;
  }
  for (const chunk of bodyChunks) hash.update(chunk);
  const header: ContainerHeader = { format, version, meta, sections: layout, sha256: hash.digest('hex') };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(alignUp(MAGIC.length + 4 + headerBytes.length));
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(headerBytes.length, MAGIC.length);
  headerBytes.copy(prefix, MAGIC.length + 4);
  await writeFileAtomic(path, [prefix, ...bodyChunks]);
}

export interface OpenedContainer {
  header: ContainerHeader;
  section(name: string): Uint8Array;
  has(name: string): boolean;
}

/** Reads and verifies a container; refuses a wrong format, an unknown version, truncation or a bad checksum. */
export async function readContainer(
  path: string,
  format: string,
  supportedVersions: readonly number[],
): Promise<OpenedContainer> {
  let file: Buffer;
  try {
    file = await readWhole(path);
  } catch (error) {
    if (error instanceof SiftError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SiftError('E_INDEX_NOT_FOUND', 'index file does not exist', { file: path }, { cause: error });
    }
    throw new SiftError('E_IO', 'cannot read index file', { file: path }, { cause: error });
  }
  const corrupt = (detail: string) => new SiftError('E_INDEX_CORRUPT', detail, { file: path });
  if (file.length < MAGIC.length + 4 || !file.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw corrupt('not a sift index file (bad magic bytes)');
  }
  const headerLength = file.readUInt32LE(MAGIC.length);
  if (MAGIC.length + 4 + headerLength > file.length) throw corrupt('header is truncated');
  let header: ContainerHeader;
  try {
    header = JSON.parse(
      file.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + headerLength),
    ) as ContainerHeader;
  } catch (error) {
    throw new SiftError('E_INDEX_CORRUPT', 'header is not valid JSON', { file: path }, { cause: error });
  }
  if (header.format !== format) throw corrupt(`expected a ${format} file, found ${String(header.format)}`);
  if (!supportedVersions.includes(header.version)) {
    throw new SiftError(
      'E_INDEX_VERSION',
      `${format} format version ${header.version} is not supported (this sift reads ${supportedVersions.join(', ')}); rebuild the index`,
      { file: path, version: header.version },
    );
  }
  const bodyStart = alignUp(MAGIC.length + 4 + headerLength);
  const body = file.subarray(bodyStart);
  const bodyLength = header.sections.reduce((end, s) => Math.max(end, s.offset + s.length), 0);
  if (body.length !== bodyLength) {
    throw corrupt(`body is ${body.length} bytes, header says ${bodyLength} (truncated or padded file)`);
  }
  if (createHash('sha256').update(body).digest('hex') !== header.sha256) throw corrupt('checksum mismatch');
  const byName = new Map(header.sections.map((s) => [s.name, s]));
  return {
    header,
    has: (name) => byName.has(name),
    section(name) {
      const entry = byName.get(name);
      if (!entry) throw corrupt(`section "${name}" is missing`);
      return body.subarray(entry.offset, entry.offset + entry.length);
    },
  };
}

/**
 * The whole file in one buffer, read in 1 GiB pieces: fs.readFile stops at 2 GiB, and a float32 vector
 * file of 1.4M rows at d = 384 is already larger. The limit is then the largest Buffer Node allows.
 */
async function readWhole(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > bufferConstants.MAX_LENGTH) {
      throw new SiftError(
        'E_IO',
        `index file is ${size} bytes, more than one buffer can hold here (${bufferConstants.MAX_LENGTH}); split the collection`,
        { file: path },
      );
    }
    const file = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await handle.read(file, at, Math.min(2 ** 30, size - at), at);
      if (bytesRead === 0) break; // shrank while reading: the length checks below report it
      at += bytesRead;
    }
    return at === size ? file : file.subarray(0, at);
  } finally {
    await handle.close();
  }
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

/** Views section bytes as a typed array, copying only when the bytes are not suitably aligned. */
export function asUint32Array(bytes: Uint8Array): Uint32Array {
  if (bytes.byteOffset % 4 === 0)
    return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return new Uint32Array(new Uint8Array(bytes).buffer);
}

export function asFloat32Array(bytes: Uint8Array): Float32Array {
  if (bytes.byteOffset % 4 === 0)
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return new Float32Array(new Uint8Array(bytes).buffer);
}

export function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
