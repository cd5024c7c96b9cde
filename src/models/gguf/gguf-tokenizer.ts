// Builds a Hugging Face tokenizer from the vocabulary a GGUF file carries, so a GGUF model needs no other file.
//
// BERT WordPiece vocabularies ("bert", e.g. nomic-embed-text) become BERT's tokenizer.json. GGUF stores a byte-level BPE ("gpt2") tokenizer as its tokens, merges, token types and the name of its
// pre-tokenizer (`tokenizer.ggml.pre`); we write the equivalent tokenizer.json and hand it to the same
// tokenizer library the other models use. Control and user-defined tokens become special added tokens,
// so chat markers such as <|im_start|> in a prompt are matched whole, as transformers does.

import { SiftError } from '../../errors.js';
import { type TextTokenizer, tokenizerFromJson } from '../tokenizer.js';
import { type GgufFile, metaArray, metaNumber, metaString } from './gguf-file.js';

/** llama.cpp's token types. */
const CONTROL = 3;
const USER_DEFINED = 4;

/** U+2581, which llama.cpp's BERT vocabularies put before word-initial pieces. */
const PHANTOM_SPACE = '\u2581';

const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };

/**
 * Qwen2's split, as llama.cpp writes it (llama-vocab.cpp, LLAMA_VOCAB_PRE_TYPE_QWEN2): the tokenizer.json
 * regex with its `(?i:'s|…)` spelled out case by case. Unlike GPT-2's it splits digits one by one and
 * lets one non-letter lead a run of letters. llama.cpp skips tokenizer.json's NFC normalizer, so do we.
 */
const QWEN2_SPLIT =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** Pre-tokenizers by `tokenizer.ggml.pre`, as the upstream tokenizer.json files define them. */
const PRE_TOKENIZERS: Record<string, unknown> = {
  // SmolLM / SmolLM2: single digits, then GPT-2's byte-level regex.
  smollm: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, BYTE_LEVEL] },
  qwen2: {
    type: 'Sequence',
    pretokenizers: [
      { type: 'Split', pattern: { Regex: QWEN2_SPLIT }, behavior: 'Isolated', invert: false },
      { ...BYTE_LEVEL, trim_offsets: false, use_regex: false },
    ],
  },
  gpt2: BYTE_LEVEL,
  default: BYTE_LEVEL,
};

export interface GgufTokenizerInfo {
  tokenizer: TextTokenizer;
  /**
   * The tokenizer.json the tokenizer was built from, for byte-level BPE vocabularies (a trained decoder's
   * folder carries it, so the folder needs no GGUF file).
   */
  json?: Record<string, unknown>;
  bosId: number | undefined;
  eosId: number | undefined;
  /** The Jinja chat template, when the file has one. */
  chatTemplate: string | undefined;
}

/** The tokenizer of a GGUF file; E_MODEL_CONFIG when its kind or pre-tokenizer is one sift cannot rebuild. */
export function ggufTokenizer(gguf: GgufFile): GgufTokenizerInfo {
  const kind = metaString(gguf, 'tokenizer.ggml.model');
  if (kind === 'bert') return wordPieceTokenizer(gguf);
  if (kind !== 'gpt2') {
    throw new SiftError(
      'E_MODEL_CONFIG',
      `GGUF tokenizer "${kind}" is not supported (supported: gpt2 byte-level BPE, bert WordPiece)`,
      {
        file: gguf.file,
        field: 'tokenizer.ggml.model',
      },
    );
  }
  const pre = metaString(gguf, 'tokenizer.ggml.pre', 'default');
  const preTokenizer = PRE_TOKENIZERS[pre];
  if (!preTokenizer) {
    throw new SiftError(
      'E_MODEL_CONFIG',
      `GGUF pre-tokenizer "${pre}" is not supported (supported: ${Object.keys(PRE_TOKENIZERS).join(', ')})`,
      { file: gguf.file, field: 'tokenizer.ggml.pre' },
    );
  }
  const tokens = stringArray(gguf, 'tokenizer.ggml.tokens');
  const merges = stringArray(gguf, 'tokenizer.ggml.merges');
  const types = metaArray(gguf, 'tokenizer.ggml.token_type') ?? [];
  const vocab: Record<string, number> = {};
  const added: Record<string, unknown>[] = [];
  tokens.forEach((token, id) => {
    vocab[token] = id;
    const type = types[id];
    if (type === CONTROL || type === USER_DEFINED) {
      added.push({
        id,
        content: token,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      });
    }
  });
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: null,
    decoder: { ...BYTE_LEVEL, add_prefix_space: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  const template = gguf.metadata.get('tokenizer.chat_template');
  return {
    tokenizer: tokenizerFromJson(json, {}, { file: gguf.file }),
    json,
    bosId: optionalId(gguf, 'tokenizer.ggml.bos_token_id'),
    eosId: optionalId(gguf, 'tokenizer.ggml.eos_token_id'),
    chatTemplate: typeof template === 'string' ? template : undefined,
  };
}

/**
 * BERT's WordPiece tokenizer from a "bert" GGUF vocabulary. llama.cpp's converter stores word-initial pieces
 * with a leading U+2581 and continuation pieces bare (convert_hf_to_gguf.py, BertModel.set_vocab), so the
 * inverse gives back vocab.txt: "▁word" → "word", "[CLS]" stays, anything else → "##piece". For
 * nomic-embed-text-v1.5 this reproduces bert-base-uncased's vocab.txt token for token (tested against
 * all-MiniLM-L6-v2's). The GGUF does not record lower-casing; a vocabulary with no upper-case letters
 * is uncased (bert-base-uncased), one with them is cased.
 */
function wordPieceTokenizer(gguf: GgufFile): GgufTokenizerInfo {
  const tokens = stringArray(gguf, 'tokenizer.ggml.tokens');
  const types = metaArray(gguf, 'tokenizer.ggml.token_type') ?? [];
  const vocab: Record<string, number> = {};
  const added: Record<string, unknown>[] = [];
  let cased = false;
  tokens.forEach((token, id) => {
    const special = types[id] === CONTROL || types[id] === USER_DEFINED;
    const piece = token.startsWith(PHANTOM_SPACE)
      ? token.slice(1)
      : token.startsWith('[') && token.endsWith(']')
        ? token
        : `##${token}`;
    vocab[piece] = id;
    if (!special && piece !== piece.toLowerCase()) cased = true;
    if (special)
      added.push({
        id,
        content: piece,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      });
  });
  const bosId = optionalId(gguf, 'tokenizer.ggml.bos_token_id');
  const sepId =
    optionalId(gguf, 'tokenizer.ggml.seperator_token_id') ?? optionalId(gguf, 'tokenizer.ggml.eos_token_id');
  const unkId = optionalId(gguf, 'tokenizer.ggml.unknown_token_id');
  const cls = bosId === undefined ? undefined : tokens[bosId];
  const sep = sepId === undefined ? undefined : tokens[sepId];
  const unk = unkId === undefined ? undefined : tokens[unkId];
  if (cls === undefined || sep === undefined || unk === undefined) {
    throw new SiftError(
      'E_MODEL_CONFIG',
      'a bert GGUF vocabulary needs bos (CLS), separator (SEP) and unknown token ids',
      { file: gguf.file, field: 'tokenizer.ggml.bos_token_id' },
    );
  }
  const special = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: !cased,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special(cls), { Sequence: { id: 'A', type_id: 0 } }, special(sep)],
      pair: [
        special(cls),
        { Sequence: { id: 'A', type_id: 0 } },
        special(sep),
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: sep, type_id: 1 } },
      ],
      special_tokens: {
        [cls]: { id: cls, ids: [bosId], tokens: [cls] },
        [sep]: { id: sep, ids: [sepId], tokens: [sep] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: unk,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
  return {
    tokenizer: tokenizerFromJson(json, {}, { file: gguf.file }),
    bosId,
    eosId: sepId,
    chatTemplate: undefined,
  };
}

function stringArray(gguf: GgufFile, key: string): string[] {
  const values = metaArray(gguf, key);
  if (!values?.every((v): v is string => typeof v === 'string')) {
    throw new SiftError('E_MODEL_CONFIG', `GGUF metadata "${key}" is missing or not a list of strings`, {
      file: gguf.file,
      field: key,
    });
  }
  return values;
}

function optionalId(gguf: GgufFile, key: string): number | undefined {
  return gguf.metadata.has(key) ? metaNumber(gguf, key) : undefined;
}
