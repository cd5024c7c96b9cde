// Text analysis for lexical retrieval: the one public face of src/analysis.
export {
  type Analyzer,
  type AnalyzerConfig,
  type AnalyzerOptions,
  analyzerFromConfig,
  createAnalyzer,
} from './analyzer.js';
export { LUCENE_ENGLISH_STOP_WORDS } from './stop-words.js';
