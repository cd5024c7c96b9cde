// A sift index on disk: the document store and the inverted index of one collection, versioned
// by generation so that every commit is atomic.
//
// Layout of an index folder:
//   CURRENT               the live generation's folder name, replaced atomically on commit
//   gen-000007/lexical.sidx   doc store + inverted index (one checksummed container)
// A commit writes a complete new generation, then flips CURRENT; readers never see a mix, and a
// crash mid-commit leaves the previous generation intact. Old generations are removed afterwards.

import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Analyzer, type AnalyzerConfig, analyzerFromConfig, createAnalyzer } from '../analysis/index.js';
import { SiftError } from '../errors.js';
import type { Doc } from '../ingest/types.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { readContainer, writeContainer } from './container.js';
import { DocStore } from './doc-store.js';
import { InvertedIndex } from './inverted-index.js';

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

export interface CreateIndexOptions {
  name?: string;
  analyzer?: Analyzer;
  source?: IndexInfo['source'];
}

export class SiftIndex {
  private constructor(
    readonly dir: string,
    readonly docs: DocStore,
    readonly inverted: InvertedIndex,
    readonly analyzer: Analyzer,
    private info: IndexInfo,
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

  static async open(dir: string): Promise<SiftIndex> {
    const root = resolve(dir);
    let generationDir: string;
    try {
      generationDir = (await readFile(join(root, 'CURRENT'), 'utf8')).trim();
    } catch (error) {
      throw new SiftError(
        'E_INDEX_NOT_FOUND',
        'no sift index here (run `sift index <collection>` first)',
        { file: root },
        { cause: error },
      );
    }
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
    return new SiftIndex(root, docs, inverted, analyzerFromConfig(info.analyzer), rest);
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
    return true;
  }

  /** Writes a new generation with the live documents and makes it current, atomically. */
  async commit(): Promise<void> {
    const live = this.docs.liveOrdinals();
    const generation = this.info.generation + 1;
    const generationName = `gen-${String(generation).padStart(6, '0')}`;
    const generationDir = join(this.dir, generationName);
    await mkdir(generationDir, { recursive: true });
    const info: IndexInfo = { ...this.info, generation, updatedAt: new Date().toISOString() };
    const sections = new Map([
      ...this.docs.toSections(live),
      ...this.inverted.toSections(live, (ord) => this.docs.isLive(ord)),
    ]);
    const meta = { ...info, docCount: live.length, fields: INDEXED_FIELDS };
    await writeContainer(
      join(generationDir, 'lexical.sidx'),
      LEXICAL_FORMAT,
      LEXICAL_FORMAT_VERSION,
      meta,
      sections,
    );
    await writeFileAtomic(join(this.dir, 'CURRENT'), `${generationName}\n`);
    this.info = info;
    await this.removeOldGenerations(generationName);
  }

  private async removeOldGenerations(keep: string): Promise<void> {
    for (const entry of await readdir(this.dir)) {
      if (entry.startsWith('gen-') && entry !== keep)
        await rm(join(this.dir, entry), { recursive: true, force: true });
    }
  }
}
