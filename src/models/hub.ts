// Fetching a model's files from a Hugging Face hub (huggingface.co, or a mirror named by HF_ENDPOINT), for
// users who are online but have no pip. Each file is streamed to disk while its sha256 is computed and is
// accepted only if it matches the hash pinned in the registry: the hub is a transport, never a source of
// truth. Only models whose folder is laid out exactly as their hub repository carry a `hub` entry.

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SiftError } from '../errors.js';
import { type HubSource, isConcatMember, type ModelFile } from './registry.js';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/** Where a model lives on the hub. */
export interface HubDownloadOptions {
  /** Hub base URL (default: HF_ENDPOINT, else https://huggingface.co). */
  endpoint?: string;
  /** Per-file time limit in milliseconds (default 10 minutes). */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT?.trim() || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
}

/** The URL of one file of a hub repository at a revision. */
export function hubFileUrl(endpoint: string, source: HubSource, path: string): string {
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${source.repo}/resolve/${encodeURIComponent(source.revision)}/${encoded}`;
}

/**
 * Downloads `names` (paths inside the model folder = paths inside the repository) into `destDir`, each
 * checked against its pinned sha256. A failed or mismatching file is removed and raises, naming its URL.
 */
export async function downloadFromHub(
  modelId: string,
  source: HubSource,
  files: Readonly<Record<string, ModelFile>>,
  names: readonly string[],
  destDir: string,
  options: HubDownloadOptions = {},
): Promise<void> {
  const endpoint = options.endpoint ?? DEFAULT_HUB_ENDPOINT;
  const log = options.log ?? (() => {});
  for (const name of names) {
    const file = files[name];
    if (file === undefined || isConcatMember(file))
      throw new SiftError('E_PULL_FAILED', `model "${modelId}" has no single hub file "${name}"`, {
        field: name,
      });
    const url = hubFileUrl(endpoint, source, name);
    const target = join(destDir, name);
    await mkdir(dirname(target), { recursive: true });
    const startedAt = performance.now();
    const actual = await fetchToFile(url, target, options.timeoutMs ?? 600_000).catch(
      async (error: unknown) => {
        await rm(target, { force: true });
        if (error instanceof SiftError) throw error;
        throw new SiftError(
          'E_PULL_FAILED',
          `download failed for model "${modelId}": ${error instanceof Error ? error.message : String(error)}`,
          { file: url },
          { cause: error },
        );
      },
    );
    if (actual !== file.sha256) {
      await rm(target, { force: true });
      throw new SiftError(
        'E_MODEL_HASH',
        `${url} (model "${modelId}", ${name}) has sha256 ${actual}, expected ${file.sha256}`,
        { file: url, field: name, expected: file.sha256, actual },
      );
    }
    log(
      `  ${name}: ${file.bytes} bytes from ${url} in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`,
    );
  }
}

/** Streams a URL's body into `target` (redirects followed) and returns its sha256. */
async function fetchToFile(url: string, target: string, timeoutMs: number): Promise<string> {
  const response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new SiftError('E_PULL_FAILED', `answered ${response.status} ${response.statusText}`, {
      file: url,
      status: response.status,
    });
  }
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  // The DOM and Node stream typings differ in name only; Readable.fromWeb accepts fetch's body.
  const body = Readable.fromWeb(response.body as Parameters<typeof Readable.fromWeb>[0]);
  await pipeline(body, hashing, createWriteStream(target));
  return hash.digest('hex');
}
