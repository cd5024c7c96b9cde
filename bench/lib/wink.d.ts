// Minimal types for the parts of wink-bm25-text-search and wink-nlp-utils the benchmarks use.
declare module 'wink-bm25-text-search' {
  interface WinkBm25 {
    defineConfig(config: {
      fldWeights: Record<string, number>;
      bm25Params?: { k1?: number; b?: number; k?: number };
    }): boolean;
    definePrepTasks(tasks: Array<(input: never) => unknown>, field?: string): number;
    addDoc(doc: Record<string, string>, id: string): number;
    consolidate(precision?: number): boolean;
    search(text: string, limit?: number): Array<[string, number]>;
    exportJSON(): string;
  }
  export default function bm25(): WinkBm25;
}
declare module 'wink-nlp-utils' {
  const nlp: {
    string: Record<string, (input: never) => unknown>;
    tokens: Record<string, (input: never) => unknown>;
  };
  export default nlp;
}
