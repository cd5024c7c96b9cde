// The inverted index: for every term, the documents that contain it and its frequency in each field,
// plus the per-field lengths and document frequencies BM25 needs.
//
// Postings are append-only typed arrays per term, in ordinal order. Deletion only clears a bit in the
// doc store and adjusts the statistics (docFreq, field length sums), so scores over the live
// documents are exactly what a fresh index of them would give; the dead postings are dropped at
// the next commit.

import { SiftError } from '../errors.js';
import { asUint32Array, bytesOf, type OpenedContainer, type Sections } from './container.js';

/** One term's postings: document ordinals and, per field, the term's frequency there. */
export interface PostingList {
  docs: Uint32Array;
  /** tfs[fieldIndex][i] is the frequency in that field of the i-th posting. */
  tfs: Uint32Array[];
  length: number;
  /** Live documents containing the term in any field (deleted ones excluded). */
  docFreq: number;
  /** Live documents containing the term, per field. */
  fieldDocFreq: number[];
}

export class InvertedIndex {
  readonly fields: readonly string[];
  private readonly termIds = new Map<string, number>();
  private readonly postings: PostingList[] = [];
  /** fieldLengths[f][ord]: analysed token count of field f in the document. */
  private fieldLengths: Uint32Array[];
  /** Sum of live documents' field lengths, per field. */
  private readonly fieldLengthSums: number[];
  /** Live documents with a non-empty field, per field (Lucene's CollectionStatistics.docCount). */
  private readonly fieldDocCounts: number[];
  private docCapacity: number;
  private liveDocs = 0;
  private mutations = 0;
  /** Scratch space for `add`: per term id, the document stamp that last touched it and per-field counts. */
  private addStamp = 0;
  private scratchStamp = new Uint32Array(0);
  private scratchCounts: Uint32Array[];

  constructor(fields: readonly string[], initialCapacity = 1024) {
    if (fields.length === 0)
      throw new SiftError('E_BAD_ARGUMENT', 'an inverted index needs at least one field');
    this.fields = fields;
    this.docCapacity = initialCapacity;
    this.fieldLengths = fields.map(() => new Uint32Array(initialCapacity));
    this.fieldLengthSums = fields.map(() => 0);
    this.fieldDocCounts = fields.map(() => 0);
    this.scratchCounts = fields.map(() => new Uint32Array(0));
  }

  /** Changes whenever the statistics change; lets scorers cache values derived from them. */
  get version(): number {
    return this.mutations;
  }

  get termCount(): number {
    return this.termIds.size;
  }

  get docCount(): number {
    return this.liveDocs;
  }

  /** Mean length of a field over the live documents (BM25F's avglen). */
  averageFieldLength(field: number): number {
    return this.liveDocs === 0 ? 0 : this.fieldLengthSums[field]! / this.liveDocs;
  }

  /** Live documents that have the field (non-empty), as Lucene counts them for idf and avgdl. */
  fieldDocCount(field: number): number {
    return this.fieldDocCounts[field]!;
  }

  /** Mean length of a field over the live documents that have it (Lucene's avgdl). */
  averageLengthWhenPresent(field: number): number {
    const count = this.fieldDocCounts[field]!;
    return count === 0 ? 0 : this.fieldLengthSums[field]! / count;
  }

  fieldLength(field: number, ord: number): number {
    return this.fieldLengths[field]![ord]!;
  }

  postingList(term: string): PostingList | undefined {
    const id = this.termIds.get(term);
    return id === undefined ? undefined : this.postings[id];
  }

  /** Indexes one document's analysed fields (terms in order, one array per field) at ordinal `ord`. */
  add(ord: number, fieldTerms: readonly (readonly string[])[]): void {
    this.ensureDocCapacity(ord + 1);
    // Count each term per field in scratch arrays indexed by term id: no per-document maps or
    // per-term allocations, which dominate indexing time otherwise.
    if (this.scratchStamp.length < this.postings.length) this.growScratch(this.postings.length);
    const stamp = ++this.addStamp;
    const touched: number[] = [];
    fieldTerms.forEach((terms, field) => {
      this.fieldLengths[field]![ord] = terms.length;
      this.fieldLengthSums[field]! += terms.length;
      if (terms.length > 0) this.fieldDocCounts[field]!++;
      for (const term of terms) {
        const id = this.termIdFor(term);
        if (this.scratchStamp[id] !== stamp) {
          this.scratchStamp[id] = stamp;
          touched.push(id);
          for (let f = 0; f < this.fields.length; f++) this.scratchCounts[f]![id] = 0;
        }
        this.scratchCounts[field]![id]!++;
      }
    });
    for (const id of touched) this.append(id, ord);
    this.liveDocs++;
    this.mutations++;
  }

  /** Removes a live document's contribution to the statistics; `fieldTerms` are its analysed fields. */
  remove(ord: number, fieldTerms: readonly (readonly string[])[]): void {
    const seen = new Set<string>();
    fieldTerms.forEach((terms, field) => {
      this.fieldLengthSums[field]! -= this.fieldLengths[field]![ord]!;
      if (this.fieldLengths[field]![ord]! > 0) this.fieldDocCounts[field]!--;
      const seenInField = new Set(terms);
      for (const term of seenInField) {
        seen.add(term);
        const list = this.postingList(term);
        if (list) list.fieldDocFreq[field]!--;
      }
    });
    for (const term of seen) {
      const list = this.postingList(term);
      if (list) list.docFreq--;
    }
    this.liveDocs--;
    this.mutations++;
  }

  /** The id of a term, creating its (empty) posting list on first sight. */
  private termIdFor(term: string): number {
    let id = this.termIds.get(term);
    if (id !== undefined) return id;
    id = this.postings.length;
    this.termIds.set(term, id);
    this.postings.push({
      docs: new Uint32Array(4),
      tfs: this.fields.map(() => new Uint32Array(4)),
      length: 0,
      docFreq: 0,
      fieldDocFreq: this.fields.map(() => 0),
    });
    if (id >= this.scratchStamp.length) this.growScratch(id + 1);
    return id;
  }

  private growScratch(needed: number): void {
    const capacity = Math.max(1024, needed, this.scratchStamp.length * 2);
    const stamps = new Uint32Array(capacity);
    stamps.set(this.scratchStamp);
    this.scratchStamp = stamps;
    this.scratchCounts = this.scratchCounts.map((counts) => grow(counts, capacity));
  }

  /** Appends `ord` to a term's postings with the frequencies counted in the scratch arrays. */
  private append(id: number, ord: number): void {
    const list = this.postings[id]!;
    if (list.length === list.docs.length) {
      const capacity = list.length * 2;
      list.docs = grow(list.docs, capacity);
      list.tfs = list.tfs.map((tf) => grow(tf, capacity));
    }
    list.docs[list.length] = ord;
    for (let f = 0; f < this.fields.length; f++) {
      const tf = this.scratchCounts[f]![id]!;
      list.tfs[f]![list.length] = tf;
      if (tf > 0) list.fieldDocFreq[f]!++;
    }
    list.length++;
    list.docFreq++;
  }

  private ensureDocCapacity(needed: number): void {
    if (needed <= this.docCapacity) return;
    while (this.docCapacity < needed) this.docCapacity *= 2;
    this.fieldLengths = this.fieldLengths.map((lengths) => grow(lengths, this.docCapacity));
  }

  /**
   * Serialises the postings of live documents, renumbered by `live` (old ordinals in new order).
   * `isLive` says which old ordinals survive.
   */
  toSections(live: Uint32Array, isLive: (ord: number) => boolean): Sections {
    const newOrd = new Int32Array(this.docCapacity).fill(-1);
    live.forEach((oldOrd, i) => {
      newOrd[oldOrd] = i;
    });
    const terms = [...this.termIds.keys()].sort();
    let total = 0;
    for (const term of terms) total += this.postingList(term)!.docFreq;
    const offsets = new Uint32Array(terms.length + 1);
    const docs = new Uint32Array(total);
    const tfs = this.fields.map(() => new Uint32Array(total));
    const keptTerms: string[] = [];
    let at = 0;
    for (const term of terms) {
      const list = this.postingList(term)!;
      if (list.docFreq === 0) continue;
      for (let i = 0; i < list.length; i++) {
        const ord = list.docs[i]!;
        if (!isLive(ord)) continue;
        docs[at] = newOrd[ord]!;
        this.fields.forEach((_, f) => {
          tfs[f]![at] = list.tfs[f]![i]!;
        });
        at++;
      }
      keptTerms.push(term);
      offsets[keptTerms.length] = at;
    }
    const sections: Sections = new Map([
      ['inv.terms', new TextEncoder().encode(JSON.stringify(keptTerms))],
      ['inv.offsets', bytesOf(offsets.subarray(0, keptTerms.length + 1))],
      ['inv.docs', bytesOf(docs)],
    ]);
    this.fields.forEach((_, f) => {
      sections.set(`inv.tf.${f}`, bytesOf(tfs[f]!));
      sections.set(`inv.length.${f}`, bytesOf(Uint32Array.from(live, (ord) => this.fieldLengths[f]![ord]!)));
    });
    return sections;
  }

  static fromContainer(
    container: OpenedContainer,
    fields: readonly string[],
    docCount: number,
  ): InvertedIndex {
    const index = new InvertedIndex(fields, Math.max(1024, docCount));
    const terms = JSON.parse(new TextDecoder().decode(container.section('inv.terms'))) as string[];
    const offsets = asUint32Array(container.section('inv.offsets'));
    const docs = asUint32Array(container.section('inv.docs'));
    const tfs = fields.map((_, f) => asUint32Array(container.section(`inv.tf.${f}`)));
    fields.forEach((_, f) => {
      const lengths = asUint32Array(container.section(`inv.length.${f}`));
      if (lengths.length !== docCount) {
        throw new SiftError(
          'E_INDEX_CORRUPT',
          `field length table ${f} has ${lengths.length} rows, expected ${docCount}`,
        );
      }
      index.fieldLengths[f]!.set(lengths);
      index.fieldLengthSums[f] = lengths.reduce((sum, n) => sum + n, 0);
      index.fieldDocCounts[f] = lengths.reduce((count, n) => count + (n > 0 ? 1 : 0), 0);
    });
    terms.forEach((term, id) => {
      const start = offsets[id]!;
      const end = offsets[id + 1]!;
      index.termIds.set(term, id);
      // Views into the file's buffer: no copy until a posting list grows.
      const termTfs = tfs.map((tf) => tf.subarray(start, end));
      index.postings.push({
        docs: docs.subarray(start, end),
        tfs: termTfs,
        length: end - start,
        docFreq: end - start,
        fieldDocFreq: termTfs.map((tf) => tf.reduce((count, n) => count + (n > 0 ? 1 : 0), 0)),
      });
    });
    index.liveDocs = docCount;
    return index;
  }
}

function grow(array: Uint32Array, capacity: number): Uint32Array {
  const grown = new Uint32Array(capacity);
  grown.set(array.subarray(0, Math.min(array.length, capacity)));
  return grown;
}
