// Loading one of sift's optional native addons (build/Release/<name>.node, built by `npm install` through
// node-gyp): where it is absent or fails to load, the reason is kept so that the caller can fall back and
// say why. The kNN kernel and the BLAS addon both load through here.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeAddonStatus {
  available: boolean;
  /** The addon file looked for. */
  path: string;
  /** Why it is not available (disabled, absent file, load error, or what `accept` said). */
  reason?: string;
}

export type AddonLoad<T> =
  | { value: T; status: NativeAddonStatus }
  | { value: undefined; status: NativeAddonStatus };

/**
 * Requires build/Release/<name>.node from the package root and hands the binding to `accept`, which returns
 * the wrapped value or a reason (a string) to refuse it.
 */
export function loadNativeAddon<B, T>(
  name: string,
  accept: (binding: B) => T | string,
  disabledBy?: string,
): AddonLoad<T> {
  const path = addonPath(name);
  const missing = (reason: string): AddonLoad<T> => ({
    value: undefined,
    status: { available: false, path, reason },
  });
  if (disabledBy && process.env[disabledBy] === '1') return missing(`disabled by ${disabledBy}=1`);
  if (!existsSync(path)) return missing('not built (run `npm rebuild sift` with a C++ compiler)');
  try {
    const accepted = accept(createRequire(import.meta.url)(path) as B);
    if (typeof accepted === 'string') return missing(accepted);
    return { value: accepted, status: { available: true, path } };
  } catch (error) {
    return missing(error instanceof Error ? error.message : String(error));
  }
}

/** build/Release/<name>.node at the package root (this file runs from dist/src/runtime/). */
function addonPath(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) break;
    dir = dirname(dir);
  }
  return join(dir, 'build', 'Release', `${name}.node`);
}
