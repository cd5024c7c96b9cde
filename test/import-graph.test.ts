// The import graph of src/: no cycles, no folder reaching into another folder's private files, and every
// import pointing down the layer order that ARCHITECTURE.md states (the list below is that order, as data).
//
// Imports are read with TypeScript's own pre-processor (import and export-from declarations, `import type`
// included, dynamic `import('…')` of a string literal, `require`), and relative specifiers are resolved to
// the .ts files they compile from. A "unit" is a top-level folder of src/, or one of the two files that sit
// at src/'s root: errors.ts (the bottom: every stage throws SiftError) and index.ts (the library root, the top).

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The layer order, bottom first: a file may import only from its own unit or from a unit listed before
 * its own. Test files (`*.test.ts`) are leaves that nothing imports, so they may also use higher units'
 * public faces (an index test that searches with BM25 cannot make the index depend on retrieval).
 */
const LAYERS: readonly string[] = [
  'errors.ts', // SiftError and the one code catalogue
  'util', // atomic writes, hashing, paths, progress, the PRNGs, half floats, the version
  'runtime', // the seam to native code: ONNX (graph writer, ONNX Runtime, the kNN graphs), llama.cpp, kernels
  'analysis', // the lexical analyzer
  'ingest', // documents, queries and qrels into one Doc shape
  'eval', // metrics, runs, significance and reports over ingest's qrels (a leaf: it composes nothing)
  'models', // checkpoints into running models; the Encoder contract
  'index', // what is on disk: documents, postings, vectors
  'retrieve', // first stages over the index (an Encoder is handed in)
  'rank', // second stages
  'remote', // remote retrieval backends (Weaviate)
  'search', // composes retrievers, rankers and remotes per mode; opens and evaluates collections
  'judge', // the labelling half of the flywheel
  'train', // the training engine
  'compress', // structured pruning (OSSCAR) of trained models; uses the training engine's forward pass
  'jobs', // distributed jobs on BullMQ over Redis: chunks of judge work run by `sift worker` processes
  'serve', // the HTTP service
  'demo', // the synthetic collection, fed to search and serve by the CLI
  'cli', // the sift command
  'index.ts', // the library root
];

/**
 * Imports of another unit's private file that are tolerated, each with its reason (`from -> to`, paths
 * relative to src/). Keep this empty: a new entry means a public face is missing a name.
 */
const PRIVATE_IMPORT_ALLOWED: ReadonlyMap<string, string> = new Map<string, string>([]);

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = join(root, 'src');

interface Edge {
  from: string; // path relative to src/
  to: string; // path relative to src/, or relative to the repository when outside src/
  outside: boolean;
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

const posix = (path: string): string => path.split(sep).join('/');

/** The relative imports of every file under src/, resolved to .ts files. */
function readGraph(): { files: string[]; edges: Edge[] } {
  const files = sourceFiles(src).map((file) => posix(relative(src, file)));
  const edges: Edge[] = [];
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(join(src, file), 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) continue; // a package or node: builtin
      const target = resolve(dirname(join(src, file)), fileName).replace(/\.js$/, '.ts');
      const candidates = [target, join(target, 'index.ts')];
      const found = candidates.find((path) => existsSync(path)) ?? target;
      const inside = !relative(src, found).startsWith('..');
      edges.push({
        from: file,
        to: posix(inside ? relative(src, found) : relative(root, found)),
        outside: !inside,
      });
    }
  }
  return { files, edges };
}

/** The unit of a src/-relative path: its top-level folder, or the file itself at src/'s root. */
function unitOf(path: string): string {
  const slash = path.indexOf('/');
  return slash < 0 ? path : path.slice(0, slash);
}

const isTest = (path: string): boolean => path.endsWith('.test.ts');

/** One cycle in a directed graph, as a path that ends where it starts; undefined when there is none. */
function findCycle(nodes: Iterable<string>, next: (node: string) => Iterable<string>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open');
    stack.push(node);
    for (const to of next(node)) {
      if (state.get(to) === 'open') return [...stack.slice(stack.indexOf(to)), to];
      if (state.get(to) === undefined) {
        const cycle = visit(to);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of nodes) {
    if (state.get(node) !== undefined) continue;
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

const graph = readGraph();

test('every import resolves to a file', () => {
  const missing = graph.edges.filter(
    (edge) => !existsSync(edge.outside ? join(root, edge.to) : join(src, edge.to)),
  );
  assert.deepEqual(
    missing.map((edge) => `${edge.from} -> ${edge.to}`),
    [],
  );
});

test('no import cycles between files', () => {
  const next = new Map<string, string[]>();
  for (const edge of graph.edges) {
    if (edge.outside) continue;
    next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to]);
  }
  const cycle = findCycle(graph.files, (file) => next.get(file) ?? []);
  assert.equal(cycle, undefined, `file import cycle: ${cycle?.join(' -> ')}`);
});

test('no import cycles between the folders of src/', () => {
  const next = new Map<string, Set<string>>();
  for (const edge of graph.edges) {
    if (edge.outside || isTest(edge.from)) continue;
    const [a, b] = [unitOf(edge.from), unitOf(edge.to)];
    if (a === b) continue;
    if (!next.has(a)) next.set(a, new Set());
    next.get(a)!.add(b);
  }
  const cycle = findCycle(next.keys(), (unit) => next.get(unit) ?? []);
  const witness = (a: string, b: string): string =>
    graph.edges.find((e) => !isTest(e.from) && unitOf(e.from) === a && unitOf(e.to) === b)?.from ?? '?';
  const path = cycle?.slice(1).map((unit, i) => `${cycle[i]} -> ${unit} (${witness(cycle[i]!, unit)})`);
  assert.equal(cycle, undefined, `folder import cycle: ${path?.join(', ')}`);
});

test("no file imports another folder's private file: each folder's index.ts is its public face", () => {
  const violations: string[] = [];
  for (const edge of graph.edges) {
    const key = `${edge.from} -> ${edge.to}`;
    if (edge.outside) {
      // Outside src/ only tests may reach, for test helpers (test/lib/).
      if (!isTest(edge.from)) violations.push(`${key} (leaves src/)`);
      continue;
    }
    const [a, b] = [unitOf(edge.from), unitOf(edge.to)];
    if (a === b || b.endsWith('.ts')) continue; // its own unit, or a file at src/'s root (errors.ts)
    if (edge.to === `${b}/index.ts`) continue;
    if (PRIVATE_IMPORT_ALLOWED.has(key)) continue;
    violations.push(key);
  }
  assert.deepEqual(violations, []);
});

test('every folder of src/ has a place in the layer order', () => {
  const units = new Set(graph.files.map(unitOf));
  assert.deepEqual([...units].filter((unit) => !LAYERS.includes(unit)).sort(), []);
  assert.deepEqual(
    LAYERS.filter((unit) => !units.has(unit)),
    [],
    'the layer order names a unit that does not exist',
  );
});

test('every import points down the layer order (ARCHITECTURE.md)', () => {
  const violations: string[] = [];
  for (const edge of graph.edges) {
    if (edge.outside || isTest(edge.from)) continue;
    const [a, b] = [unitOf(edge.from), unitOf(edge.to)];
    if (a === b) continue;
    if (LAYERS.indexOf(b) >= LAYERS.indexOf(a))
      violations.push(`${edge.from} -> ${edge.to} (${a} below ${b})`);
  }
  assert.deepEqual(violations, []);
});

test('the allow-list names only imports that exist', () => {
  const keys = new Set(graph.edges.map((edge) => `${edge.from} -> ${edge.to}`));
  assert.deepEqual(
    [...PRIVATE_IMPORT_ALLOWED.keys()].filter((key) => !keys.has(key)),
    [],
  );
});

test("bench/ and test/lib/ use src/ only through its folders' public faces and the library root", () => {
  const violations: string[] = [];
  const outside = [join(root, 'bench'), join(root, 'test', 'lib')];
  for (const file of outside.flatMap((dir) => (existsSync(dir) ? sourceFiles(dir) : []))) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), fileName).replace(/\.js$/, '.ts');
      const inSrc = relative(src, target);
      if (inSrc.startsWith('..')) continue; // another bench or test file
      const path = posix(inSrc);
      const face = path === 'index.ts' || path === 'errors.ts' || /^[a-z-]+\/index\.ts$/.test(path);
      if (!face) violations.push(`${posix(relative(root, file))} -> src/${path}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('ONNX Runtime is imported only in runtime/, and retrieval uses none of its sessions or tensors', () => {
  const sessionNames = /\b(createSession|tensor|Session|OrtTensor|OrtFeeds)\b/;
  for (const path of sourceFiles(src)) {
    const file = posix(relative(src, path));
    if (file.endsWith('.test.ts')) continue;
    const text = readFileSync(path, 'utf8');
    const packages = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
    if (!file.startsWith('runtime/'))
      assert.ok(!packages.includes('onnxruntime-node'), `${file} imports onnxruntime-node`);
    if (file.startsWith('retrieve/')) {
      // The import declarations from runtime's face, as written.
      for (const match of text.matchAll(
        /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'\.\.\/runtime\/index\.js'/g,
      ))
        assert.ok(
          !sessionNames.test(match[1]!),
          `${file} uses ONNX Runtime sessions or tensors: ${match[1]}`,
        );
    }
  }
});
