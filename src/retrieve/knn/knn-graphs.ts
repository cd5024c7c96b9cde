// The ONNX graphs the exact-kNN engine runs, written as ModelProto bytes by a tiny private protobuf writer.
//
// Only the handful of messages and fields these graphs need are encoded (ModelProto, GraphProto, NodeProto,
// ValueInfoProto, TensorProto, AttributeProto). The general graph builder in src/models/onnx/ will replace
// this writer when the two are folded together; the graphs themselves stay here.

// --- protobuf wire format ---------------------------------------------------------------------------

class ProtoWriter {
  private parts: Uint8Array[] = [];
  private scratch: number[] = [];
  private length = 0;

  /** The encoded message; large byte fields are copied exactly once, here. */
  bytes(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.byteLength;
    }
    return out;
  }

  private flush(): void {
    if (this.scratch.length === 0) return;
    this.parts.push(Uint8Array.from(this.scratch));
    this.length += this.scratch.length;
    this.scratch = [];
  }

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.scratch.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.scratch.push(Number(v));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: number | bigint): this {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const buf = new Uint8Array(4);
    new DataView(buf.buffer).setFloat32(0, value, true);
    this.scratch.push(...buf);
    return this;
  }

  raw(field: number, bytes: Uint8Array): this {
    this.tag(field, 2);
    this.varint(bytes.byteLength);
    if (bytes.byteLength < 64) {
      for (const b of bytes) this.scratch.push(b);
    } else {
      this.flush();
      this.parts.push(bytes);
      this.length += bytes.byteLength;
    }
    return this;
  }

  string(field: number, value: string): this {
    return this.raw(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    inner.flush();
    this.tag(field, 2);
    this.varint(inner.length);
    this.flush();
    this.parts.push(...inner.parts);
    this.length += inner.length;
    return this;
  }
}

// --- ONNX message subset ----------------------------------------------------------------------------

/** ONNX TensorProto.DataType values used here. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  FLOAT16: 10,
} as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

type Dim = number | string;
type Attribute =
  | { name: string; int: number }
  | { name: string; ints: readonly number[] }
  | { name: string; float: number };

export interface NodeSpec {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: readonly Attribute[];
  domain?: string;
}

export interface ValueSpec {
  name: string;
  type: DataTypeCode;
  dims: readonly Dim[];
}

export interface InitializerSpec {
  name: string;
  type: DataTypeCode;
  dims: readonly number[];
  raw: Uint8Array;
}

export interface GraphSpec {
  name: string;
  nodes: readonly NodeSpec[];
  inputs: readonly ValueSpec[];
  outputs: readonly ValueSpec[];
  initializers?: readonly InitializerSpec[];
  /** Extra operator-set domains (e.g. com.microsoft) beyond the default ai.onnx one. */
  extraOpsets?: ReadonlyArray<{ domain: string; version: number }>;
}

const IR_VERSION = 8;
const OPSET = 17;

function writeValueInfo(w: ProtoWriter, value: ValueSpec): void {
  w.string(1, value.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, value.type);
      tensor.message(2, (shape) => {
        for (const dim of value.dims) {
          shape.message(1, (d) => (typeof dim === 'number' ? d.int(1, dim) : d.string(2, dim)));
        }
      });
    }),
  );
}

function writeAttribute(w: ProtoWriter, attribute: Attribute): void {
  w.string(1, attribute.name);
  if ('int' in attribute) {
    w.int(3, attribute.int);
    w.int(20, 2);
  } else if ('ints' in attribute) {
    for (const value of attribute.ints) w.int(8, value);
    w.int(20, 7);
  } else {
    w.float(2, attribute.float);
    w.int(20, 1);
  }
}

/** Serialises a graph as the bytes of an ONNX ModelProto that ONNX Runtime can load. */
export function encodeModel(graph: GraphSpec): Uint8Array {
  const model = new ProtoWriter();
  model.int(1, IR_VERSION);
  model.string(2, 'sift');
  model.message(7, (g) => {
    graph.nodes.forEach((node, i) => {
      g.message(1, (n) => {
        for (const input of node.inputs) n.string(1, input);
        for (const output of node.outputs) n.string(2, output);
        n.string(3, `${node.op}_${i}`);
        n.string(4, node.op);
        for (const attribute of node.attributes ?? []) n.message(5, (a) => writeAttribute(a, attribute));
        if (node.domain) n.string(7, node.domain);
      });
    });
    g.string(2, graph.name);
    for (const init of graph.initializers ?? []) {
      g.message(5, (t) => {
        for (const dim of init.dims) t.int(1, dim);
        t.int(2, init.type);
        t.string(8, init.name);
        t.raw(9, init.raw);
      });
    }
    for (const input of graph.inputs) g.message(11, (v) => writeValueInfo(v, input));
    for (const output of graph.outputs) g.message(12, (v) => writeValueInfo(v, output));
  });
  model.message(8, (o) => o.string(1, '').int(2, OPSET));
  for (const extra of graph.extraOpsets ?? []) {
    model.message(8, (o) => o.string(1, extra.domain).int(2, extra.version));
  }
  return model.bytes();
}

// --- the exact-kNN graphs ---------------------------------------------------------------------------

/**
 * Which corpus representation a graph scans:
 * - float32: C [n, d] float32 rows; scores = Q·Cᵀ (Gemm, transB) — MLAS sgemm, both threads.
 * - float16: C [n, d] half rows, cast to float32 in the graph, then as float32. Fed in small chunks so the
 *   cast copy stays in cache.
 * - int8-vector / int8-dimension: C [tiles, d, tileRows] int8 codes (dimension-major tiles), Q [m, d] uint8
 *   (int8 codes + 128); MatMulInteger (MLAS u8×s8) gives [tiles, m, tileRows] int32, per-vector scales
 *   R [tiles, 1, tileRows] multiply it (int8-vector; per-dimension scales are folded into Q), and the
 *   offset O [tiles, 1, tileRows] removes the +128 shift and masks rows (the int8 graphs have no B input).
 */
export type KnnGraphKind = 'float32' | 'float16' | 'int8-vector' | 'int8-dimension';

/**
 * A graph computing, for m queries against one corpus block, the best K (score, row) pairs per query.
 * Outputs "values" [m, K] float32 (best first; −∞ for masked rows) and "indices" [m, K] int64 (row in block;
 * ties go to the lower row, as ONNX TopK specifies). Inputs: Q (queries), C (corpus block), R (int8-vector
 * row scales), O (int8: shift correction and mask), B (masked float graphs: 0 or −∞ per row), K (int64 [1]).
 */
export function knnGraph(kind: KnnGraphKind, dimension: number, masked: boolean): Uint8Array {
  const nodes: NodeSpec[] = [];
  const inputs: ValueSpec[] = [];
  const initializers: InitializerSpec[] = [];
  let scores: string;
  if (kind === 'float32' || kind === 'float16') {
    inputs.push({ name: 'Q', type: DataType.FLOAT, dims: ['m', dimension] });
    inputs.push({
      name: 'C',
      type: kind === 'float32' ? DataType.FLOAT : DataType.FLOAT16,
      dims: ['n', dimension],
    });
    let corpus = 'C';
    if (kind === 'float16') {
      nodes.push({
        op: 'Cast',
        inputs: ['C'],
        outputs: ['C32'],
        attributes: [{ name: 'to', int: DataType.FLOAT }],
      });
      corpus = 'C32';
    }
    nodes.push({
      op: 'Gemm',
      inputs: ['Q', corpus],
      outputs: ['S'],
      attributes: [{ name: 'transB', int: 1 }],
    });
    scores = 'S';
    if (masked) {
      inputs.push({ name: 'B', type: DataType.FLOAT, dims: ['n'] });
      nodes.push({ op: 'Add', inputs: [scores, 'B'], outputs: ['SB'] });
      scores = 'SB';
    }
  } else {
    // Queries arrive as uint8 = int8 code + 128 and the kernel runs without a zero point (MLAS's zero-point
    // path re-sums the corpus codes on every call, ~2.5× slower for one query). The shift is undone by the
    // offset O = −128·Σ codes(row) (·row scale), which also carries the mask (−∞).
    inputs.push({ name: 'Q', type: DataType.UINT8, dims: ['m', dimension] });
    inputs.push({ name: 'C', type: DataType.INT8, dims: ['t', dimension, 'r'] });
    nodes.push({ op: 'MatMulInteger', inputs: ['Q', 'C'], outputs: ['SI'] });
    nodes.push({
      op: 'Cast',
      inputs: ['SI'],
      outputs: ['SF'],
      attributes: [{ name: 'to', int: DataType.FLOAT }],
    });
    scores = 'SF';
    if (kind === 'int8-vector') {
      inputs.push({ name: 'R', type: DataType.FLOAT, dims: ['t', 1, 'r'] });
      nodes.push({ op: 'Mul', inputs: [scores, 'R'], outputs: ['SR'] });
      scores = 'SR';
    }
    inputs.push({ name: 'O', type: DataType.FLOAT, dims: ['t', 1, 'r'] });
    nodes.push({ op: 'Add', inputs: [scores, 'O'], outputs: ['SO'] });
    scores = 'SO';
    // [t, m, r] → [m, t, r] → [m, t·r]: one row of scores per query, in row order.
    initializers.push({ name: 'flat', type: DataType.INT64, dims: [2], raw: int64Bytes([0, -1]) });
    nodes.push({
      op: 'Transpose',
      inputs: [scores],
      outputs: ['ST'],
      attributes: [{ name: 'perm', ints: [1, 0, 2] }],
    });
    nodes.push({ op: 'Reshape', inputs: ['ST', 'flat'], outputs: ['SM'] });
    scores = 'SM';
  }
  inputs.push({ name: 'K', type: DataType.INT64, dims: [1] });
  nodes.push({
    op: 'TopK',
    inputs: [scores, 'K'],
    outputs: ['values', 'indices'],
    attributes: [
      { name: 'axis', int: -1 },
      { name: 'largest', int: 1 },
      { name: 'sorted', int: 1 },
    ],
  });
  return encodeModel({
    name: `sift-knn-${kind}${masked ? '-masked' : ''}`,
    nodes,
    inputs,
    initializers,
    outputs: [
      { name: 'values', type: DataType.FLOAT, dims: ['m', 'k'] },
      { name: 'indices', type: DataType.INT64, dims: ['m', 'k'] },
    ],
  });
}

function int64Bytes(values: readonly number[]): Uint8Array {
  return new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer);
}
