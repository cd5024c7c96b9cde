// The document store: every indexed document by ordinal, with id lookup and deletion marks.
//
// Ordinals are dense positions assigned in insertion order; every index component (postings,
// vectors) addresses documents by them. Deleted documents keep their ordinal until the next
// commit compacts the store, so components can skip them with one bitmap test.

import { SiftError } from '../errors.js';
import type { Doc, MetadataValue } from '../ingest/index.js';
import { bytesOf, type OpenedContainer, type Sections } from './container.js';

interface StoredText {
  title: string;
  text: string;
}

export class DocStore {
  private ids: string[] = [];
  private metadataByOrd: Array<Record<string, MetadataValue>> = [];
  private textByOrd: Array<StoredText | undefined> = [];
  private idToOrd = new Map<string, number>();
  private deleted = new Uint8Array(1024);
  private deletedCount = 0;
  /** Raw text records of a store read from disk, parsed on first access. */
  private lazyText?: { blob: Uint8Array; offsets: Float64Array };

  /** Ordinals handed out so far, deleted ones included. */
  get size(): number {
    return this.ids.length;
  }

  get liveCount(): number {
    return this.ids.length - this.deletedCount;
  }

  has(id: string): boolean {
    return this.idToOrd.has(id);
  }

  ordOf(id: string): number | undefined {
    return this.idToOrd.get(id);
  }

  idOf(ord: number): string {
    return this.ids[ord]!;
  }

  isLive(ord: number): boolean {
    return ord < this.ids.length && this.deleted[ord] === 0;
  }

  metadata(ord: number): Readonly<Record<string, MetadataValue>> {
    return this.metadataByOrd[ord]!;
  }

  get(ord: number): Doc {
    const { title, text } = this.textOf(ord);
    return { id: this.ids[ord]!, title, text, metadata: this.metadataByOrd[ord]! };
  }

  getById(id: string): Doc | undefined {
    const ord = this.idToOrd.get(id);
    return ord === undefined ? undefined : this.get(ord);
  }

  /** Appends a document and returns its ordinal; an id already present is an error (delete it first). */
  add(doc: Doc): number {
    if (this.idToOrd.has(doc.id)) {
      throw new SiftError('E_DUPLICATE_ID', `document "${doc.id}" is already in the index`, { id: doc.id });
    }
    const ord = this.ids.length;
    this.ids.push(doc.id);
    this.metadataByOrd.push(doc.metadata);
    this.textByOrd.push({ title: doc.title, text: doc.text });
    this.idToOrd.set(doc.id, ord);
    if (ord >= this.deleted.length) {
      const grown = new Uint8Array(this.deleted.length * 2);
      grown.set(this.deleted);
      this.deleted = grown;
    }
    return ord;
  }

  /** Marks a document deleted; returns its ordinal, or undefined when the id is unknown. */
  delete(id: string): number | undefined {
    const ord = this.idToOrd.get(id);
    if (ord === undefined) return undefined;
    this.idToOrd.delete(id);
    this.deleted[ord] = 1;
    this.deletedCount++;
    return ord;
  }

  /** Live ordinals in order: the old → new ordinal mapping a compacting commit applies. */
  liveOrdinals(): Uint32Array {
    const live = new Uint32Array(this.liveCount);
    let next = 0;
    for (let ord = 0; ord < this.ids.length; ord++) if (this.deleted[ord] === 0) live[next++] = ord;
    return live;
  }

  /** Serialises the live documents, compacted to ordinals 0..liveCount-1. */
  toSections(live: Uint32Array): Sections {
    const encoder = new TextEncoder();
    const records: Uint8Array[] = [];
    const offsets = new Float64Array(live.length + 1);
    let total = 0;
    live.forEach((ord, i) => {
      const bytes = encoder.encode(JSON.stringify(this.textOf(ord)));
      records.push(bytes);
      total += bytes.byteLength;
      offsets[i + 1] = total;
    });
    const blob = new Uint8Array(total);
    let at = 0;
    for (const record of records) {
      blob.set(record, at);
      at += record.byteLength;
    }
    const pick = <T>(values: T[]) => Array.from(live, (ord) => values[ord]);
    return new Map([
      ['doc.ids', encoder.encode(JSON.stringify(pick(this.ids)))],
      ['doc.metadata', encoder.encode(JSON.stringify(pick(this.metadataByOrd)))],
      ['doc.textOffsets', bytesOf(offsets)],
      ['doc.text', blob],
    ]);
  }

  static fromContainer(container: OpenedContainer): DocStore {
    const decoder = new TextDecoder();
    const store = new DocStore();
    store.ids = JSON.parse(decoder.decode(container.section('doc.ids'))) as string[];
    store.metadataByOrd = JSON.parse(decoder.decode(container.section('doc.metadata'))) as Array<
      Record<string, MetadataValue>
    >;
    const offsetBytes = container.section('doc.textOffsets');
    store.lazyText = {
      blob: container.section('doc.text'),
      offsets: new Float64Array(new Uint8Array(offsetBytes).buffer),
    };
    store.textByOrd = new Array(store.ids.length);
    store.ids.forEach((id, ord) => {
      store.idToOrd.set(id, ord);
    });
    store.deleted = new Uint8Array(Math.max(1024, store.ids.length * 2));
    return store;
  }

  private textOf(ord: number): StoredText {
    let stored = this.textByOrd[ord];
    if (stored === undefined && this.lazyText) {
      const { blob, offsets } = this.lazyText;
      const bytes = blob.subarray(offsets[ord]!, offsets[ord + 1]!);
      stored = JSON.parse(new TextDecoder().decode(bytes)) as StoredText;
      this.textByOrd[ord] = stored;
    }
    if (stored === undefined) throw new SiftError('E_UNKNOWN_DOC', `no document at ordinal ${ord}`, { ord });
    return stored;
  }
}
