// Pooling and normalisation in JavaScript, for ONNX models sift did not build (their graphs end at token vectors).

/** Mean of each row's token vectors where mask = 1, or its first token's vector; [b, s, d] → [b, d]. */
export function poolTokens(
  tokens: Float32Array,
  batch: number,
  sequence: number,
  dimension: number,
  mask: BigInt64Array,
  pooling: 'mean' | 'cls',
): Float32Array {
  const out = new Float32Array(batch * dimension);
  for (let b = 0; b < batch; b++) {
    const row = out.subarray(b * dimension, (b + 1) * dimension);
    if (pooling === 'cls') {
      row.set(tokens.subarray(b * sequence * dimension, b * sequence * dimension + dimension));
      continue;
    }
    // Σ_t h_t·m_t / max(Σ_t m_t, 1e-9), as sentence-transformers' mean pooling.
    let count = 0;
    for (let t = 0; t < sequence; t++) {
      if (mask[b * sequence + t] === 0n) continue;
      count++;
      const offset = (b * sequence + t) * dimension;
      for (let i = 0; i < dimension; i++) row[i] = (row[i] ?? 0) + (tokens[offset + i] ?? 0);
    }
    const scale = 1 / Math.max(count, 1e-9);
    for (let i = 0; i < dimension; i++) row[i] = (row[i] ?? 0) * scale;
  }
  return out;
}

/** Divides each row by max(‖row‖₂, 1e-12) in place, as torch.nn.functional.normalize. */
export function normalizeRows(data: Float32Array, dimension: number): Float32Array {
  for (let start = 0; start < data.length; start += dimension) {
    let sum = 0;
    for (let i = start; i < start + dimension; i++) sum += (data[i] ?? 0) ** 2;
    const scale = 1 / Math.max(Math.sqrt(sum), 1e-12);
    for (let i = start; i < start + dimension; i++) data[i] = (data[i] ?? 0) * scale;
  }
  return data;
}
