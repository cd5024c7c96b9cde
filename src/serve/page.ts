// The web page's files (assets/web in the package: plain HTML, CSS and a script, no build step), read
// once at start so that serving them never touches the disk.

import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PageAssets {
  html: string;
  script: string;
  style: string;
}

/** assets/web, found from this module: dist/src/serve/page.js sits three folders below the package root. */
export function pageDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'assets', 'web');
}

export async function loadPage(dir = pageDir()): Promise<PageAssets> {
  const [html, script, style] = await Promise.all(
    ['index.html', 'app.js', 'style.css'].map((file) => readFile(join(dir, file), 'utf8')),
  );
  return { html: html!, script: script!, style: style! };
}
