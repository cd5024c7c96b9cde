// A minimal protocol-buffers writer: varints, fixed32 and length-delimited fields, enough to write ONNX.
//
// Wire format (https://protobuf.dev/programming-guides/encoding/): each field is a key varint
// (field_number << 3 | wire_type) followed by a varint (type 0), 8 bytes (type 1), a varint length and
// that many bytes (type 2) or 4 bytes (type 5). Messages are written as a list of chunks so that large
// payloads (weight tensors of tens of megabytes) are copied once, when `toBytes()` concatenates them.

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const textEncoder = new TextEncoder();

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  /** Small scalar bytes gather here and are flushed into `chunks` before any large payload. */
  private scratch: number[] = [];
  private length = 0;

  /** Total bytes written so far. */
  get byteLength(): number {
    return this.length;
  }

  /** A varint field (int32, int64, enum, bool). Negative values take ten bytes, as int64 two's complement. */
  int(field: number, value: number | bigint): this {
    this.key(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  /** A float field: wire type 5, IEEE-754 single precision, little-endian. */
  float(field: number, value: number): this {
    this.key(field, WIRE_FIXED32);
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, value, true);
    for (let i = 0; i < 4; i++) this.pushByte(view.getUint8(i));
    return this;
  }

  /** A string field, UTF-8 encoded. */
  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  /** A bytes field; the payload is kept by reference, not copied, until `toBytes()`. */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_LENGTH_DELIMITED);
    this.varint(value.byteLength);
    this.flushScratch();
    if (value.byteLength > 0) {
      this.chunks.push(value);
      this.length += value.byteLength;
    }
    return this;
  }

  /** An embedded message field: its bytes are the other writer's chunks, again not copied. */
  message(field: number, inner: ProtoWriter): this {
    this.key(field, WIRE_LENGTH_DELIMITED);
    this.varint(inner.byteLength);
    this.flushScratch();
    inner.flushScratch();
    for (const chunk of inner.chunks) this.chunks.push(chunk);
    this.length += inner.byteLength;
    return this;
  }

  /** The serialised message as one contiguous array. */
  toBytes(): Uint8Array {
    this.flushScratch();
    if (this.chunks.length === 1 && this.chunks[0]) return this.chunks[0];
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }

  private key(field: number, wireType: number): void {
    if (!Number.isInteger(field) || field < 1) throw new RangeError(`invalid protobuf field number ${field}`);
    this.varint(field * 8 + wireType);
  }

  private varint(value: number | bigint): void {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
      let v = value;
      while (v >= 0x80) {
        this.pushByte((v % 0x80) | 0x80);
        v = Math.floor(v / 0x80);
      }
      this.pushByte(v);
      return;
    }
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new RangeError(`varint value ${value} is not a safe integer`);
    }
    // int64 fields carry negatives as their unsigned 64-bit two's complement (always 10 bytes).
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.pushByte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.pushByte(Number(v));
  }

  private pushByte(byte: number): void {
    this.scratch.push(byte);
    this.length += 1;
  }

  private flushScratch(): void {
    if (this.scratch.length === 0) return;
    this.chunks.push(Uint8Array.from(this.scratch));
    this.scratch = [];
  }
}
