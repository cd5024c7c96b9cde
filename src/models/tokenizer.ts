// Hugging Face tokenizers for sift's models: texts and text pairs to ids, with sift's own truncation.
//
// A thin wrapper over @huggingface/tokenizers (the tokenizer library of transformers.js). That library
// ignores the `truncation` and `padding` blocks of tokenizer.json (all-MiniLM's pads and cuts at 128), so
// sift truncates itself, the way the Rust `tokenizers` crate does with truncation on: the content is cut
// first and the special tokens ([CLS] … [SEP]) are added after, so they always survive. No padding:
// batching code pads to the longest row of each batch.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { SiftError } from '../errors.js';

/** The files of a Hugging Face tokenizer a model folder carries (copied with the weights, when present). */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
];

export type PairTruncation = 'only_second' | 'longest_first';

export interface EncodeOptions {
  /** Longest output in tokens, special tokens included (default: the tokenizer's maxLength). */
  maxLength?: number;
}

export interface PairEncodeOptions extends EncodeOptions {
  /**
   * Which text loses tokens when a pair is too long. 'only_second' (the default) keeps the query whole
   * and cuts the document; if the first text alone is too long it falls back to 'longest_first'.
   */
  truncation?: PairTruncation;
}

/** One row per input; rows are unpadded, so attentionMask is all ones (kept for symmetry with HF). */
export interface EncodedBatch {
  ids: Int32Array[];
  attentionMask: Int32Array[];
  /** Segment ids: 0 for the first text and its specials, 1 for the second text of a pair. */
  typeIds: Int32Array[];
}

export interface DecodeOptions {
  /** Drop [CLS], [SEP], <|im_start|> and the like (default true, as in HF `tokenizers`). */
  skipSpecialTokens?: boolean;
}

export interface TextTokenizer {
  /** The default truncation length for encode calls. */
  readonly maxLength: number;
  encodeBatch(texts: readonly string[], options?: EncodeOptions): EncodedBatch;
  encodePairs(first: readonly string[], second: readonly string[], options?: PairEncodeOptions): EncodedBatch;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
}

export interface LoadTokenizerOptions {
  /**
   * Default maxLength for encode calls. Default: tokenizer_config.json's model_max_length when it is a
   * real limit (BERT: 512), else no limit. Embedders pass the registry's maxLength (256 for MiniLM-L6).
   */
  maxLength?: number;
}

/** Loads `tokenizer.json` (required) and `tokenizer_config.json` (optional) from a model folder. */
export async function loadTokenizer(dir: string, options: LoadTokenizerOptions = {}): Promise<TextTokenizer> {
  const tokenizerPath = join(dir, 'tokenizer.json');
  const text = await readFile(tokenizerPath, 'utf8').catch((error: unknown) => {
    throw new SiftError(
      'E_MODEL_FILE',
      'model folder has no tokenizer.json',
      { file: tokenizerPath, field: 'tokenizer.json' },
      { cause: error },
    );
  });
  const configPath = join(dir, 'tokenizer_config.json');
  const configText = await readFile(configPath, 'utf8').catch(() => '{}');
  return tokenizerFromJson(parseJson(text, tokenizerPath), parseJson(configText, configPath), {
    ...options,
    file: tokenizerPath,
  });
}

/**
 * A tokenizer from the parsed contents of tokenizer.json and tokenizer_config.json (for tokenizers sift
 * assembles itself, e.g. from a GGUF file's vocabulary); `file` names the source in errors.
 */
export function tokenizerFromJson(
  tokenizerJson: Record<string, unknown>,
  config: Record<string, unknown>,
  options: LoadTokenizerOptions & { file: string },
): TextTokenizer {
  let hf: Tokenizer;
  try {
    hf = new Tokenizer(tokenizerJson, config);
  } catch (error) {
    throw new SiftError(
      'E_MODEL_LOAD',
      `unsupported tokenizer: ${error instanceof Error ? error.message : String(error)}`,
      { file: options.file },
      { cause: error },
    );
  }
  const configured = config.model_max_length;
  const maxLength =
    options.maxLength ??
    (typeof configured === 'number' && configured <= 1_000_000 ? configured : Number.POSITIVE_INFINITY);
  return new HfTextTokenizer(hf, maxLength);
}

// Marks content positions during post-processing; no vocabulary holds a token starting with U+0000.
const PLACEHOLDER = '\u0000';

class HfTextTokenizer implements TextTokenizer {
  private readonly unkId: number;
  private readonly addedSingle: number;
  private readonly addedPair: number;

  constructor(
    private readonly hf: Tokenizer,
    readonly maxLength: number,
  ) {
    const unk = hf.model?.unk_token;
    this.unkId = hf.model?.unk_token_id ?? (unk === undefined ? undefined : hf.token_to_id(unk)) ?? 0;
    this.addedSingle = this.postProcess([], null).tokens.length;
    this.addedPair = this.postProcess([], []).tokens.length;
  }

  encodeBatch(texts: readonly string[], options: EncodeOptions = {}): EncodedBatch {
    const budget = this.budget(options.maxLength, this.addedSingle);
    const batch: EncodedBatch = { ids: [], attentionMask: [], typeIds: [] };
    for (const text of texts) this.push(batch, this.content(text).slice(0, budget), null);
    return batch;
  }

  encodePairs(
    first: readonly string[],
    second: readonly string[],
    options: PairEncodeOptions = {},
  ): EncodedBatch {
    if (first.length !== second.length)
      throw new SiftError(
        'E_BAD_ARGUMENT',
        `encodePairs needs as many second texts as first texts (${first.length} ≠ ${second.length})`,
      );
    const budget = this.budget(options.maxLength, this.addedPair);
    const strategy = options.truncation ?? 'only_second';
    const batch: EncodedBatch = { ids: [], attentionMask: [], typeIds: [] };
    for (let i = 0; i < first.length; i++) {
      const [a, b] = truncatePair(this.content(first[i]!), this.content(second[i]!), budget, strategy);
      this.push(batch, a, b);
    }
    return batch;
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    if (ids.length === 0) return '';
    // The decoder in tokenizer.json does its own clean-up (WordPiece `cleanup`), as in the Rust crate;
    // the extra transformers-style pass would join e.g. "do n't" differently.
    return this.hf.decode(Array.from(ids), {
      skip_special_tokens: options.skipSpecialTokens ?? true,
      clean_up_tokenization_spaces: false,
    });
  }

  /** Content ids of one text: normalised, pre-tokenised and split by the model, no special tokens. */
  private content(text: string): number[] {
    return this.hf.encode(text, { add_special_tokens: false }).ids;
  }

  private budget(maxLength: number | undefined, added: number): number {
    const limit = maxLength ?? this.maxLength;
    if (!(limit > added))
      throw new SiftError(
        'E_BAD_ARGUMENT',
        `maxLength ${limit} leaves no room for content after ${added} special tokens`,
        { field: 'maxLength' },
      );
    return limit - added;
  }

  private push(batch: EncodedBatch, a: number[], b: number[] | null): void {
    // The post-processor works on token strings; content goes in as placeholders naming its position,
    // so content ids come from encode() exactly and only the specials are looked up by string.
    const { tokens, typeIds } = this.postProcess(
      a.map((_, i) => `${PLACEHOLDER}a${i}`),
      b ? b.map((_, i) => `${PLACEHOLDER}b${i}`) : null,
    );
    const ids = new Int32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (token.startsWith(PLACEHOLDER)) {
        const index = Number(token.slice(PLACEHOLDER.length + 1));
        ids[i] = (token[PLACEHOLDER.length] === 'a' ? a[index] : b?.[index]) ?? this.unkId;
      } else {
        ids[i] = this.hf.token_to_id(token) ?? this.unkId;
      }
    }
    batch.ids.push(ids);
    batch.attentionMask.push(new Int32Array(tokens.length).fill(1));
    batch.typeIds.push(Int32Array.from(typeIds));
  }

  /** Adds the special tokens the tokenizer's post-processor defines ([CLS] a [SEP] b [SEP] for BERT). */
  private postProcess(a: string[], b: string[] | null): { tokens: string[]; typeIds: number[] } {
    const processor = this.hf.post_processor;
    const out = processor?.post_process(a, b, true);
    // No post-processor, or one (ByteLevel) that neither adds specials nor joins pairs: plain concatenation.
    if (!out?.token_type_ids)
      return {
        tokens: [...a, ...(b ?? [])],
        typeIds: [...new Array<number>(a.length).fill(0), ...new Array<number>(b?.length ?? 0).fill(1)],
      };
    return { tokens: out.tokens, typeIds: out.token_type_ids };
  }
}

/**
 * Cuts a pair's content to `budget` tokens in all, from the right, as the Rust `tokenizers` crate does:
 * longest_first gives the shorter text up to half and the longer one the rest (truncation.rs).
 */
export function truncatePair<T>(a: T[], b: T[], budget: number, strategy: PairTruncation): [T[], T[]] {
  const total = a.length + b.length;
  if (total <= budget) return [a, b];
  if (strategy === 'only_second') {
    const remove = total - budget;
    if (b.length > remove) return [a, b.slice(0, b.length - remove)];
    // The query alone overflows: HF raises an error here; cutting both keeps ranking usable.
  }
  const swap = a.length > b.length;
  let short = swap ? b.length : a.length;
  let long = swap ? a.length : b.length;
  long = short > budget ? short : Math.max(short, budget - short);
  if (short + long > budget) {
    short = Math.floor(budget / 2);
    long = short + (budget % 2);
  }
  return swap ? [a.slice(0, long), b.slice(0, short)] : [a.slice(0, short), b.slice(0, long)];
}

function parseJson(text: string, file: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch (error) {
    throw new SiftError('E_MODEL_LOAD', 'not valid JSON', { file }, { cause: error });
  }
  throw new SiftError('E_MODEL_LOAD', 'expected a JSON object', { file });
}
