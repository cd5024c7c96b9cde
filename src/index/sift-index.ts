// A sift index on disk: the document store and the inverted index of one collection, versioned
// by generation so that every commit is atomic.
//
// Layout of an index folder:
//   CURRENT                        the live generation's folder name, replaced atomically on commit
//   gen-000007/lexical.sidx        doc store + inverted index (one checksummed container)
//   gen-000007/vectors-<model>.sidx   a component: per-document rows kept beside the lexical index
// A commit writes a complete new generation, then flips CURRENT; readers never see a mix, and a
// crash mid-commit leaves the previous generation intact. Files that did not change are hard-linked
// from the previous generation instead of rewritten. Old generations are removed afterwards.

import { link, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Analyzer, type AnalyzerConfig, analyzerFromConfig, createAnalyzer } from '../analysis/index.js';
import { SiftError } from '../errors.js';
import type { Doc } from '../ingest/index.js';
import { writeFileAtomic } from '../util/index.js';
import { readContainer, writeContainer } from './container.js';
import { DocStore } from './doc-store.js';
import { InvertedIndex } from './inverted-index.js';
import { VectorStore } from './vector-store.js';

export const LEXICAL_FORMAT = 'sift-lexical';
export const LEXICAL_FORMAT_VERSION = 1;

/** The text fields every document is indexed under, in field-index order. */
export const INDEXED_FIELDS = ['title', 'text'] as const;

export interface IndexInfo {
  /** Where the documents came from, e.g. a BEIR folder; used to decide whether a cached index is current. */
  source?: { path: string; sha256: string };
  name: string;
  createdAt: string;
  updatedAt: string;
  generation: number;
  analyzer: AnalyzerConfig;
}

/**
 * A per-document structure stored in each generation beside the lexical index (e.g. one model's
 * vectors). It holds rows for ordinals 0..rows-1, which may be fewer than the documents while it is
 * still being filled (an embedding job that was interrupted resumes at `rows`).
 */
export interface IndexComponent {
  /** File name inside a generation folder, e.g. "vectors-all-minilm-l6-v2.sidx". */
  readonly fileName: string;
  readonly rows: number;
  /** True when it changed since it was last written. */
  readonly dirty: boolean;
  /** A document was deleted: its row must never be returned again. */
  markDeleted(ord: number): void;
  /** Writes the rows of the live ordinals below `rows`, renumbered in `live`'s order, to `path`. */
  write(path: string, live: Uint32Array): Promise<void>;
}

export interface CreateIndexOptions {
  name?: string;
  analyzer?: Analyzer;
  source?: IndexInfo['source'];
}

export class SiftIndex {
  private readonly components = new Map<string, IndexComponent>();
  /** Set by add and delete: the lexical file must be rewritten at the next commit. */
  private lexicalDirty = false;
  /** Set by delete: every file must be rewritten (compacted) at the next commit. */
  private compactionPending = false;

  private constructor(
    readonly dir: string,
    readonly docs: DocStore,
    readonly inverted: InvertedIndex,
    readonly analyzer: Analyzer,
    private info: IndexInfo,
    /** Component files present in the generation this index was opened from. */
    readonly componentFiles: readonly string[] = [],
  ) {}

  /** An empty in-memory index that will live in `dir` once committed. */
  static create(dir: string, options: CreateIndexOptions = {}): SiftIndex {
    const analyzer = options.analyzer ?? createAnalyzer();
    const now = new Date().toISOString();
    const info: IndexInfo = {
      name: options.name ?? resolve(dir).split('/').pop() ?? 'index',
      createdAt: now,
      updatedAt: now,
      generation: 0,
      analyzer: analyzer.config,
      ...(options.source ? { source: options.source } : {}),
    };
    return new SiftIndex(resolve(dir), new DocStore(), new InvertedIndex(INDEXED_FIELDS), analyzer, info);
  }

  static async exists(dir: string): Promise<boolean> {
    return stat(join(dir, 'CURRENT')).then(
      () => true,
      () => false,
    );
  }

  /** The committed generation's folder name (CURRENT); E_INDEX_NOT_FOUND when there is no index. */
  static async currentGeneration(dir: string): Promise<string> {
    const root = resolve(dir);
    try {
      return (await readFile(join(root, 'CURRENT'), 'utf8')).trim();
    } catch (error) {
      throw new SiftError(
        'E_INDEX_NOT_FOUND',
        'no sift index here (run `sift index <collection>` first)',
        { file: root },
        { cause: error },
      );
    }
  }

  static async open(dir: string): Promise<SiftIndex> {
    const root = resolve(dir);
    const generationDir = await SiftIndex.currentGeneration(root);
    const file = join(root, generationDir, 'lexical.sidx');
    const container = await readContainer(file, LEXICAL_FORMAT, [LEXICAL_FORMAT_VERSION]);
    const info = container.header.meta as unknown as IndexInfo & { docCount: number; fields: string[] };
    if (JSON.stringify(info.fields) !== JSON.stringify(INDEXED_FIELDS)) {
      throw new SiftError('E_INDEX_CORRUPT', `unexpected indexed fields ${JSON.stringify(info.fields)}`, {
        file,
      });
    }
    const docs = DocStore.fromContainer(container);
    if (docs.size !== info.docCount) {
      throw new SiftError(
        'E_INDEX_CORRUPT',
        `doc store has ${docs.size} documents, header says ${info.docCount}`,
        {
          file,
        },
      );
    }
    const inverted = InvertedIndex.fromContainer(container, INDEXED_FIELDS, info.docCount);
    const { docCount: _docCount, fields: _fields, ...rest } = info;
    const files = (await readdir(join(root, generationDir))).filter((name) => name !== 'lexical.sidx');
    const index = new SiftIndex(root, docs, inverted, analyzerFromConfig(info.analyzer), rest, files);
    // Vector stores are loaded with the index so that deletions always reach them.
    for (const name of files.filter((file) => file.startsWith('vectors-') && file.endsWith('.sidx'))) {
      const store = await VectorStore.open(join(root, generationDir, name));
      if (store.rows > docs.size) {
        throw new SiftError('E_INDEX_CORRUPT', `${store.rows} vectors for ${docs.size} documents`, {
          file: name,
        });
      }
      index.attach(store);
    }
    return index;
  }

  /** The vectors of one embedding model, if this index has them (possibly fewer rows than documents). */
  vectors(modelId: string): VectorStore | undefined {
    for (const component of this.components.values()) {
      if (component instanceof VectorStore && component.modelId === modelId) return component;
    }
    return undefined;
  }

  /** Path of a component file in the current generation (it may not exist). */
  componentPath(fileName: string): string {
    return join(this.dir, generationName(this.info.generation), fileName);
  }

  /** Adds (or replaces) a component; it is written with the index from the next commit on. */
  attach(component: IndexComponent): void {
    this.components.set(component.fileName, component);
  }

  component(fileName: string): IndexComponent | undefined {
    return this.components.get(fileName);
  }

  get name(): string {
    return this.info.name;
  }

  get source(): IndexInfo['source'] {
    return this.info.source;
  }

  get generation(): number {
    return this.info.generation;
  }

  get updatedAt(): string {
    return this.info.updatedAt;
  }

  /** Analyses a document's indexed fields, in INDEXED_FIELDS order. */
  analyzeFields(doc: Pick<Doc, 'title' | 'text'>): string[][] {
    return [this.analyzer.analyze(doc.title), this.analyzer.analyze(doc.text)];
  }

  /** Adds a document (in memory until `commit`). Its id must not be in the index. */
  add(doc: Doc): number {
    const ord = this.docs.add(doc);
    this.inverted.add(ord, this.analyzeFields(doc));
    this.lexicalDirty = true;
    return ord;
  }

  /** Replaces the document with the same id, or adds it. */
  upsert(doc: Doc): number {
    this.delete(doc.id);
    return this.add(doc);
  }

  /** Deletes a document (in memory until `commit`); false when the id is not in the index. */
  delete(id: string): boolean {
    const ord = this.docs.ordOf(id);
    if (ord === undefined) return false;
    this.inverted.remove(ord, this.analyzeFields(this.docs.get(ord)));
    this.docs.delete(id);
    for (const component of this.components.values()) if (ord < component.rows) component.markDeleted(ord);
    this.lexicalDirty = true;
    this.compactionPending = true;
    return true;
  }

  /** Writes a new generation with the live documents and makes it current, atomically. */
  async commit(): Promise<void> {
    const live = this.docs.liveOrdinals();
    const previousDir = join(this.dir, generationName(this.info.generation));
    const generation = this.info.generation + 1;
    const nextName = generationName(generation);
    const nextDir = join(this.dir, nextName);
    await rm(nextDir, { recursive: true, force: true });
    await mkdir(nextDir, { recursive: true });
    const info: IndexInfo = { ...this.info, generation, updatedAt: new Date().toISOString() };

    // An unchanged file is hard-linked from the previous generation (only possible while no
    // deletion forces every file to be compacted).
    const reuse = async (fileName: string, dirty: boolean): Promise<boolean> => {
      if (dirty || this.compactionPending || this.info.generation === 0) return false;
      try {
        await link(join(previousDir, fileName), join(nextDir, fileName));
        return true;
      } catch {
        return false;
      }
    };
    if (!(await reuse('lexical.sidx', this.lexicalDirty))) {
      const sections = new Map([
        ...this.docs.toSections(live),
        ...this.inverted.toSections(live, (ord) => this.docs.isLive(ord)),
      ]);
      const meta = { ...info, docCount: live.length, fields: INDEXED_FIELDS };
      await writeContainer(
        join(nextDir, 'lexical.sidx'),
        LEXICAL_FORMAT,
        LEXICAL_FORMAT_VERSION,
        meta,
        sections,
      );
    }
    for (const component of this.components.values()) {
      if (!(await reuse(component.fileName, component.dirty))) {
        await component.write(join(nextDir, component.fileName), live);
      }
    }
    // Component files of the old generation that nobody attached are carried over untouched.
    for (const fileName of this.componentFiles) {
      if (!this.components.has(fileName) && !this.compactionPending) await reuse(fileName, false);
    }
    await writeFileAtomic(join(this.dir, 'CURRENT'), `${nextName}\n`);
    this.info = info;
    this.lexicalDirty = false;
    // The files just written are compacted exactly as the next commit would compact them again.
    this.compactionPending = false;
    await this.removeOldGenerations(nextName);
  }

  private async removeOldGenerations(keep: string): Promise<void> {
    for (const entry of await readdir(this.dir)) {
      if (entry.startsWith('gen-') && entry !== keep)
        await rm(join(this.dir, entry), { recursive: true, force: true });
    }
  }
}

function generationName(generation: number): string {
  return `gen-${String(generation).padStart(6, '0')}`;
}
