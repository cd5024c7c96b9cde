// A small typed builder for ONNX graphs: inputs, initializers, nodes and outputs, serialised to ModelProto bytes.
//
// Nodes must be added in topological order (ONNX requires it); `toBytes()` checks that every input a node
// names was defined before it, so a wiring mistake fails here with the tensor's name rather than inside ORT.
// An op named "domain.OpType" (e.g. "com.microsoft.Attention") is put in that domain, and the domain's
// opset is imported automatically.

import {
  type AttributeValue,
  type Dim,
  type ElementType,
  encodeModel,
  type NodeProtoSpec,
  type TensorProtoSpec,
  type ValueInfoSpec,
} from './onnx-proto.js';

export type { Dim, ElementType } from './onnx-proto.js';

/** Element data for an initializer; Uint16Array holds float16 or bfloat16 bit patterns. */
export type TensorData = Float32Array | BigInt64Array | Int32Array | Int8Array | Uint8Array | Uint16Array;

export type Attributes = Readonly<Record<string, AttributeValue>>;

/** Attribute constructors: ONNX distinguishes int from float attributes, so numbers say which they are. */
export const attr = {
  int: (value: number | bigint): AttributeValue => ({ kind: 'int', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
  ints: (value: readonly (number | bigint)[]): AttributeValue => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): AttributeValue => ({ kind: 'floats', value }),
  tensor: (value: TensorProtoSpec): AttributeValue => ({ kind: 'tensor', value }),
};

export interface GraphBuilderOptions {
  /** Graph name stored in the model. */
  name?: string;
  /** Default-domain opset; 17 is the first with LayerNormalization. */
  opset?: number;
}

export interface SerializeOptions {
  producerName?: string;
  producerVersion?: string;
  /** ModelProto.ir_version; 8 is the IR that goes with opsets 15–17, 9 with 18–19. */
  irVersion?: number;
  metadata?: Readonly<Record<string, string>>;
}

const MICROSOFT_DOMAIN = 'com.microsoft';

export class GraphBuilder {
  private readonly nodes: NodeProtoSpec[] = [];
  private readonly initializers: TensorProtoSpec[] = [];
  private readonly inputs: ValueInfoSpec[] = [];
  private readonly outputs: ValueInfoSpec[] = [];
  private readonly defined = new Set<string>();
  private readonly constants = new Map<string, string>();
  private readonly opsets = new Map<string, number>();
  private readonly scopes: string[] = [];
  private counter = 0;
  readonly name: string;

  constructor(options: GraphBuilderOptions = {}) {
    this.name = options.name ?? 'sift';
    this.opsets.set('', options.opset ?? 17);
  }

  /** The default-domain opset version this graph targets. */
  get opset(): number {
    return this.opsets.get('') ?? 17;
  }

  /** A graph input; string dims are symbolic ("batch", "sequence"). */
  input(name: string, type: ElementType, dims: readonly Dim[]): string {
    this.define(name);
    this.inputs.push({ name, type, dims });
    return name;
  }

  /** A graph output: a name some node, input or initializer already produced. */
  output(name: string, type: ElementType, dims: readonly Dim[]): string {
    if (!this.defined.has(name)) throw new Error(`graph output "${name}" is not produced by any node`);
    this.outputs.push({ name, type, dims });
    return name;
  }

  /**
   * A constant weight stored in the model. The data is referenced, not copied, until `toBytes()`;
   * the element type follows the array type (Uint16Array needs `type`: float16 or bfloat16).
   */
  initializer(name: string, data: TensorData, dims: readonly number[], type?: ElementType): string {
    const elementType = type ?? inferType(data);
    const count = dims.reduce((a, b) => a * b, 1);
    const width = elementWidth(elementType);
    if (data.byteLength !== count * width) {
      throw new Error(
        `initializer "${name}": ${data.byteLength} bytes do not fill dims [${dims.join(',')}] of ${elementType}`,
      );
    }
    if (data.BYTES_PER_ELEMENT !== width) {
      throw new Error(`initializer "${name}": ${data.constructor.name} cannot hold ${elementType}`);
    }
    this.define(name);
    // Typed arrays are host-endian; every platform Node ships prebuilt ORT for is little-endian, as raw_data is.
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, type: elementType, dims: [...dims], raw });
    return name;
  }

  /** A small int64 constant (shapes, axes), shared between nodes that use the same values. */
  int64s(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant('int64', values, dims, () => BigInt64Array.from(values, (v) => BigInt(v)));
  }

  /** A float32 constant, a scalar when `dims` is []. */
  floats(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant('float32', values, dims, () => Float32Array.from(values));
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    return this.floats([value], []);
  }

  /** Adds one node and returns the name of its (first) output. */
  node(
    op: string,
    inputs: readonly string[],
    outputs?: number | readonly string[],
    attrs: Attributes = {},
  ): string {
    const names = this.nodeOutputs(op, inputs, outputs ?? 1, attrs);
    const first = names[0];
    if (first === undefined) throw new Error(`node ${op} has no outputs`);
    return first;
  }

  /** Adds one node with several outputs (a count for generated names, or the names) and returns them all. */
  nodeOutputs(
    op: string,
    inputs: readonly string[],
    outputs: number | readonly string[],
    attrs: Attributes = {},
  ): string[] {
    const dot = op.lastIndexOf('.');
    const domain = dot < 0 ? '' : op.slice(0, dot);
    const opType = dot < 0 ? op : op.slice(dot + 1);
    if (domain !== '' && !this.opsets.has(domain)) this.opsets.set(domain, 1);
    const id = this.counter++;
    const base = `${this.scopes.join('/')}${this.scopes.length > 0 ? '/' : ''}${opType}_${id}`;
    const names =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) => (outputs === 1 ? base : `${base}:${i}`))
        : [...outputs];
    for (const input of inputs) {
      if (input !== '' && !this.defined.has(input)) {
        throw new Error(`node ${base} (${op}) reads "${input}", which nothing defined before it`);
      }
    }
    for (const name of names) if (name !== '') this.define(name);
    this.nodes.push({
      name: base,
      opType,
      domain,
      inputs: [...inputs],
      outputs: names,
      attributes: new Map(Object.entries(attrs)),
    });
    return names;
  }

  /** Runs `build` with generated node names prefixed by `scope` (e.g. "layer.3/attention"), for readable graphs. */
  scoped<T>(scope: string, build: () => T): T {
    this.scopes.push(scope);
    try {
      return build();
    } finally {
      this.scopes.pop();
    }
  }

  /** Whether a com.microsoft contrib op has been used (such graphs need ONNX Runtime, not any ONNX backend). */
  get usesContribOps(): boolean {
    return this.opsets.has(MICROSOFT_DOMAIN);
  }

  /** Serialises the model. */
  toBytes(options: SerializeOptions = {}): Uint8Array {
    return this.encode(options, this.initializers);
  }

  /**
   * Serialises the model with every initializer of at least `minBytes` kept out of the protobuf, in a
   * data file named `location` (relative to the model file) written as the returned chunks in order.
   * A protobuf cannot exceed 2 GiB, which a 0.5B-parameter decoder in float32 already does.
   */
  toBytesWithExternalData(
    location: string,
    options: SerializeOptions & { minBytes?: number } = {},
  ): { model: Uint8Array; data: Uint8Array[] } {
    const minBytes = options.minBytes ?? 1024;
    const data: Uint8Array[] = [];
    let offset = 0;
    const initializers = this.initializers.map((init) => {
      if (init.raw.byteLength < minBytes) return init;
      // 64-byte alignment, so ONNX Runtime may map the tensors in place.
      const padding = (64 - (offset % 64)) % 64;
      if (padding > 0) data.push(new Uint8Array(padding));
      offset += padding;
      data.push(init.raw);
      const spec = { ...init, external: { location, offset } };
      offset += init.raw.byteLength;
      return spec;
    });
    return { model: this.encode(options, initializers), data };
  }

  private encode(options: SerializeOptions, initializers: readonly TensorProtoSpec[]): Uint8Array {
    if (this.outputs.length === 0) throw new Error('graph has no outputs');
    return encodeModel({
      irVersion: options.irVersion ?? (this.opset >= 18 ? 9 : 8),
      opsets: this.opsets,
      producerName: options.producerName ?? 'sift',
      producerVersion: options.producerVersion ?? '0',
      graph: {
        name: this.name,
        nodes: this.nodes,
        initializers,
        inputs: this.inputs,
        outputs: this.outputs,
      },
      metadata: new Map(Object.entries(options.metadata ?? {})),
    });
  }

  private constant(
    type: ElementType,
    values: readonly number[],
    dims: readonly number[],
    make: () => TensorData,
  ): string {
    const key = `${type}[${dims.join(',')}]:${values.join(',')}`;
    const existing = this.constants.get(key);
    if (existing !== undefined) return existing;
    const name = `const_${this.constants.size}_${type}`;
    this.initializer(name, make(), dims, type);
    this.constants.set(key, name);
    return name;
  }

  private define(name: string): void {
    if (name === '') throw new Error('tensor names must not be empty');
    if (this.defined.has(name)) throw new Error(`tensor "${name}" is defined twice`);
    this.defined.add(name);
  }
}

function inferType(data: TensorData): ElementType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  return 'float16';
}

function elementWidth(type: ElementType): number {
  switch (type) {
    case 'float32':
    case 'int32':
      return 4;
    case 'int64':
      return 8;
    case 'float16':
    case 'bfloat16':
      return 2;
    case 'int8':
    case 'uint8':
    case 'bool':
      return 1;
  }
}
