// sift's exact-kNN scan kernels: one pass over a block of stored rows scores every row against a batch of
// queries (dot products) and keeps each query's best k in a per-thread heap. Built from source at install
// (binding.gyp); src/runtime/native-knn.ts loads it and falls back to the ONNX Runtime scan when it is absent.
//
// Why a kernel of our own: a k-NN scan is a matrix product immediately consumed by a top-k. Through ONNX
// Runtime the full score matrix is written to memory and read back by TopK; here each score is compared
// with the query's current k-th best while it is still in a register, so a batch-1 scan is one read of the
// corpus (memory-bound) and a batched scan is register-blocked FMAs (compute-bound).
//
// float32: rows are row-major. One query streams each row once; batches accumulate 4-query × 3-row blocks
// in 12 AVX2 registers along the dimension, reduced four at a time. int8: codes are stored in tiles of T
// rows of 4-dimension groups ([tile][dimension/4][row in tile][4], see vector-store.ts `codeIndex`), so one
// 32-byte load is 8 rows × 4 dimensions. Per query and load: vpsignb moves the query's signs onto the codes,
// vpmaddubsw multiplies them by the query's magnitudes (|q|·|c| ≤ 127·127, so the pair sums never
// saturate int16), vpmaddwd with ones sums each row's two pairs into int32: the exact integer dot product,
// no shuffles. Without AVX2+FMA (checked at run time) a scalar loop computes the same results.
//
// Ties: rows are visited in increasing ordinal and a row enters a full heap only with a strictly greater
// score, so among equal scores each thread keeps the lowest ordinals; the caller merges the threads'
// heaps with the same rule.

#include <node_api.h>

#include <immintrin.h>
#include <pthread.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace {

// --- per-query top-k heaps ------------------------------------------------------------------------------

// A min-heap of size k over (score, ordinal) whose root is the worst kept entry; -inf marks empty slots.
struct Heap {
  float* scores;
  int32_t* ords;
  int k;
  int size;

  float threshold() const { return size < k ? -std::numeric_limits<float>::infinity() : scores[0]; }

  // Worse = lower score, or equal score and higher ordinal.
  bool worse(int a, int b) const {
    return scores[a] < scores[b] || (scores[a] == scores[b] && ords[a] > ords[b]);
  }

  void swap(int a, int b) {
    float s = scores[a];
    scores[a] = scores[b];
    scores[b] = s;
    int32_t o = ords[a];
    ords[a] = ords[b];
    ords[b] = o;
  }

  void offer(float score, int32_t ord) {
    if (k == 0) return;
    if (size < k) {
      int i = size++;
      scores[i] = score;
      ords[i] = ord;
      while (i > 0) {
        int parent = (i - 1) / 2;
        if (!worse(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
      return;
    }
    if (!(score > scores[0])) return;
    scores[0] = score;
    ords[0] = ord;
    int i = 0;
    for (;;) {
      int l = 2 * i + 1, r = l + 1, w = i;
      if (l < k && worse(l, w)) w = l;
      if (r < k && worse(r, w)) w = r;
      if (w == i) break;
      swap(i, w);
      i = w;
    }
  }
};

// --- one scan job -------------------------------------------------------------------------------------

struct Job {
  int kind;  // 0 = float32 rows, 1 = int8 tiled codes
  const float* queries;  // float32: m × d
  const int8_t* queries8;  // int8: m × d query codes in [-127, 127] (d: the code width, a multiple of 4)
  const uint8_t* queryAbs;  // int8: their magnitudes
  int m;
  int d;
  const float* rows;  // float32: n × d
  const int8_t* codes;  // int8: tiles × d × tileRows
  const float* rowScales;  // int8: one per row or null
  int tileRows;
  int n;
  const uint8_t* live;  // one byte per row (nonzero = may be returned) or null
  int base;  // ordinal of row 0
  int k;
  bool simd;
  // Output: for thread t and query q, k slots at ((t·m) + q)·k.
  float* outScores;
  int32_t* outOrds;
};

struct Slice {
  const Job* job;
  int thread;
  int from;
  int to;
};

inline bool isLive(const Job& job, int row) { return job.live == nullptr || job.live[row] != 0; }

// --- float32 ------------------------------------------------------------------------------------------

__attribute__((target("avx2,fma"))) inline __m128 sum4(__m256 a, __m256 b, __m256 c, __m256 e) {
  __m256 ab = _mm256_hadd_ps(a, b);
  __m256 ce = _mm256_hadd_ps(c, e);
  __m256 all = _mm256_hadd_ps(ab, ce);
  return _mm_add_ps(_mm256_castps256_ps128(all), _mm256_extractf128_ps(all, 1));
}

// Scores of Q queries against R rows (Q ≤ 4, R ≤ 3), d a multiple of 8; out[q·R + r].
template <int Q, int R>
__attribute__((target("avx2,fma"))) inline void dotBlock(const float* const* qs, const float* const* xs, int d,
                                                        float* out) {
  __m256 acc[Q][R];
  for (int q = 0; q < Q; q++)
    for (int r = 0; r < R; r++) acc[q][r] = _mm256_setzero_ps();
  for (int j = 0; j < d; j += 8) {
    __m256 x[R];
    for (int r = 0; r < R; r++) x[r] = _mm256_loadu_ps(xs[r] + j);
    for (int q = 0; q < Q; q++) {
      __m256 qv = _mm256_loadu_ps(qs[q] + j);
      for (int r = 0; r < R; r++) acc[q][r] = _mm256_fmadd_ps(qv, x[r], acc[q][r]);
    }
  }
  const __m256 zero = _mm256_setzero_ps();
  for (int r = 0; r < R; r++) {
    __m128 s = sum4(acc[0][r], Q > 1 ? acc[Q > 1 ? 1 : 0][r] : zero, Q > 2 ? acc[Q > 2 ? 2 : 0][r] : zero,
                    Q > 3 ? acc[Q > 3 ? 3 : 0][r] : zero);
    float v[4];
    _mm_storeu_ps(v, s);
    for (int q = 0; q < Q; q++) out[q * R + r] = v[q];
  }
}

template <int Q, int R>
__attribute__((target("avx2,fma"))) void scoreF32Block(const Job& job, Heap* heaps, int q0, int row) {
  const float* qs[Q];
  const float* xs[R];
  for (int q = 0; q < Q; q++) qs[q] = job.queries + static_cast<size_t>(q0 + q) * job.d;
  for (int r = 0; r < R; r++) xs[r] = job.rows + static_cast<size_t>(row + r) * job.d;
  float out[Q * R];
  dotBlock<Q, R>(qs, xs, job.d, out);
  for (int r = 0; r < R; r++) {
    if (!isLive(job, row + r)) continue;
    for (int q = 0; q < Q; q++) {
      Heap& h = heaps[q0 + q];
      if (out[q * R + r] > h.threshold()) h.offer(out[q * R + r], job.base + row + r);
    }
  }
}

// One query: each row is one sequential read with four independent accumulators. (Scoring three rows at
// once, as the batched kernel does, interleaves three streams 1.5 KB apart, which this machine's
// prefetchers follow at two thirds of the speed of one stream.)
__attribute__((target("avx2,fma"))) void scanF32One(const Job& job, Heap& heap, int from, int to) {
  const int d = job.d;
  const float* q = job.queries;
  for (int row = from; row < to; row++) {
    const float* x = job.rows + static_cast<size_t>(row) * d;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    int j = 0;
    for (; j + 32 <= d; j += 32) {
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + j), _mm256_loadu_ps(x + j), a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + j + 8), _mm256_loadu_ps(x + j + 8), a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + j + 16), _mm256_loadu_ps(x + j + 16), a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + j + 24), _mm256_loadu_ps(x + j + 24), a3);
    }
    for (; j < d; j += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + j), _mm256_loadu_ps(x + j), a0);
    const __m256 sum = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
    s4 = _mm_hadd_ps(s4, s4);
    s4 = _mm_hadd_ps(s4, s4);
    const float score = _mm_cvtss_f32(s4);
    if (score > heap.threshold() && isLive(job, row)) heap.offer(score, job.base + row);
  }
}

// Batched queries: rows in tiles small enough to stay in L2 while every 4-query group passes over them.
// The next tile is prefetched a few cache lines per scored block, sequentially, so its read from memory
// overlaps the arithmetic on this one instead of stalling the first query group.
constexpr int kF32TileRows = 96;

struct Prefetcher {
  const char* next;
  const char* end;
  int linesPerBlock;

  __attribute__((target("avx2,fma"))) void step() {
    for (int i = 0; i < linesPerBlock && next < end; i++, next += 64) _mm_prefetch(next, _MM_HINT_T0);
  }
};

template <int Q>
__attribute__((target("avx2,fma"))) void scoreF32Rows(const Job& job, Heap* heaps, int q0, int from, int to,
                                                      Prefetcher& prefetch) {
  int row = from;
  for (; row + 3 <= to; row += 3) {
    prefetch.step();
    scoreF32Block<Q, 3>(job, heaps, q0, row);
  }
  if (to - row == 2) scoreF32Block<Q, 2>(job, heaps, q0, row);
  if (to - row == 1) scoreF32Block<Q, 1>(job, heaps, q0, row);
}

__attribute__((target("avx2,fma"))) void scanF32Simd(const Job& job, Heap* heaps, int from, int to) {
  const int m = job.m;
  if (m == 1) {
    scanF32One(job, heaps[0], from, to);
    return;
  }
  const size_t rowBytes = static_cast<size_t>(job.d) * sizeof(float);
  const int groups = (m + 3) / 4;
  const int blocksPerTile = groups * (kF32TileRows / 3);
  const int linesPerTile = static_cast<int>((kF32TileRows * rowBytes + 63) / 64);
  for (int tile = from; tile < to; tile += kF32TileRows) {
    const int end = tile + kF32TileRows < to ? tile + kF32TileRows : to;
    const int nextEnd = end + kF32TileRows < to ? end + kF32TileRows : to;
    const char* base = reinterpret_cast<const char*>(job.rows);
    Prefetcher prefetch{base + end * rowBytes, base + nextEnd * rowBytes,
                        (linesPerTile + blocksPerTile - 1) / blocksPerTile};
    int q = 0;
    for (; q + 4 <= m; q += 4) scoreF32Rows<4>(job, heaps, q, tile, end, prefetch);
    switch (m - q) {
      case 3: scoreF32Rows<3>(job, heaps, q, tile, end, prefetch); break;
      case 2: scoreF32Rows<2>(job, heaps, q, tile, end, prefetch); break;
      case 1: scoreF32Rows<1>(job, heaps, q, tile, end, prefetch); break;
      default: break;
    }
  }
}

void scanF32Scalar(const Job& job, Heap* heaps, int from, int to) {
  for (int row = from; row < to; row++) {
    if (!isLive(job, row)) continue;
    const float* x = job.rows + static_cast<size_t>(row) * job.d;
    for (int q = 0; q < job.m; q++) {
      const float* qv = job.queries + static_cast<size_t>(q) * job.d;
      float s = 0;
      for (int j = 0; j < job.d; j++) s += qv[j] * x[j];
      if (s > heaps[q].threshold()) heaps[q].offer(s, job.base + row);
    }
  }
}

// --- int8 ---------------------------------------------------------------------------------------------

constexpr int kStrip = 32;

inline float rowScale(const Job& job, int row) { return job.rowScales ? job.rowScales[row] : 1.0f; }

__attribute__((target("avx2,fma"))) void offerStrip(const Job& job, Heap& h, int row0, __m256i acc, int part) {
  const int first = row0 + part * 8;
  __m256 scores = _mm256_cvtepi32_ps(acc);
  if (job.rowScales) scores = _mm256_mul_ps(scores, _mm256_loadu_ps(job.rowScales + first));
  int mask = _mm256_movemask_ps(_mm256_cmp_ps(scores, _mm256_set1_ps(h.threshold()), _CMP_GT_OQ));
  if (mask == 0) return;
  float v[8];
  _mm256_storeu_ps(v, scores);
  for (int i = 0; i < 8; i++) {
    if ((mask >> i & 1) == 0 || first + i >= job.n || !isLive(job, first + i)) continue;
    if (v[i] > h.threshold()) h.offer(v[i], job.base + first + i);
  }
}

// Q queries against one 32-row strip (`strip` = its first row's codes in the first group of 4 dimensions).
template <int Q>
__attribute__((target("avx2,fma"))) void scoreI8Strip(const Job& job, Heap* heaps, int q0, const int8_t* strip,
                                                     int row0) {
  const __m256i ones = _mm256_set1_epi16(1);
  const size_t groupBytes = static_cast<size_t>(4) * job.tileRows;
  __m256i acc[Q][4];
  for (int q = 0; q < Q; q++)
    for (int p = 0; p < 4; p++) acc[q][p] = _mm256_setzero_si256();
  for (int j = 0; j < job.d; j += 4) {
    const int8_t* group = strip + (j / 4) * groupBytes;
    __m256i codes[4];
    for (int p = 0; p < 4; p++) codes[p] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(group + 32 * p));
    for (int q = 0; q < Q; q++) {
      const size_t at = static_cast<size_t>(q0 + q) * job.d + j;
      int32_t sign, magnitude;
      std::memcpy(&sign, job.queries8 + at, sizeof sign);
      std::memcpy(&magnitude, job.queryAbs + at, sizeof magnitude);
      const __m256i qs = _mm256_set1_epi32(sign);
      const __m256i qa = _mm256_set1_epi32(magnitude);
      for (int p = 0; p < 4; p++) {
        const __m256i pairs = _mm256_maddubs_epi16(qa, _mm256_sign_epi8(codes[p], qs));
        acc[q][p] = _mm256_add_epi32(acc[q][p], _mm256_madd_epi16(pairs, ones));
      }
    }
  }
  for (int q = 0; q < Q; q++)
    for (int p = 0; p < 4; p++) offerStrip(job, heaps[q0 + q], row0, acc[q][p], p);
}

__attribute__((target("avx2,fma"))) void scanI8Simd(const Job& job, Heap* heaps, int from, int to) {
  const int T = job.tileRows;
  for (int row0 = from; row0 < to; row0 += kStrip) {
    // The strip (32 rows × the code width, 12 KB at d = 384) stays in L1 while query pairs pass over it.
    const int8_t* strip = job.codes + static_cast<size_t>(row0 / T) * job.d * T + static_cast<size_t>(row0 % T) * 4;
    int q = 0;
    for (; q + 2 <= job.m; q += 2) scoreI8Strip<2>(job, heaps, q, strip, row0);
    if (q < job.m) scoreI8Strip<1>(job, heaps, q, strip, row0);
  }
}

void scanI8Scalar(const Job& job, Heap* heaps, int from, int to) {
  const int d = job.d;
  const int T = job.tileRows;
  for (int row = from; row < to && row < job.n; row++) {
    if (!isLive(job, row)) continue;
    const int8_t* codes = job.codes + static_cast<size_t>(row / T) * d * T + static_cast<size_t>(row % T) * 4;
    for (int q = 0; q < job.m; q++) {
      const int8_t* qv = job.queries8 + static_cast<size_t>(q) * d;
      int32_t s = 0;
      for (int j = 0; j < d; j++) s += static_cast<int32_t>(qv[j]) * codes[static_cast<size_t>(j / 4) * 4 * T + (j & 3)];
      const float score = static_cast<float>(s) * rowScale(job, row);
      if (score > heaps[q].threshold()) heaps[q].offer(score, job.base + row);
    }
  }
}

// --- threads ------------------------------------------------------------------------------------------

void* runSlice(void* arg) {
  const Slice& slice = *static_cast<Slice*>(arg);
  const Job& job = *slice.job;
  std::vector<Heap> heaps(job.m);
  for (int q = 0; q < job.m; q++) {
    const size_t at = (static_cast<size_t>(slice.thread) * job.m + q) * job.k;
    heaps[q] = Heap{job.outScores + at, job.outOrds + at, job.k, 0};
  }
  if (job.kind == 0) {
    if (job.simd) scanF32Simd(job, heaps.data(), slice.from, slice.to);
    else scanF32Scalar(job, heaps.data(), slice.from, slice.to);
  } else {
    if (job.simd) scanI8Simd(job, heaps.data(), slice.from, slice.to);
    else scanI8Scalar(job, heaps.data(), slice.from, slice.to);
  }
  // Unused slots read as (-inf, -1).
  for (int q = 0; q < job.m; q++) {
    for (int i = heaps[q].size; i < job.k; i++) {
      heaps[q].scores[i] = -std::numeric_limits<float>::infinity();
      heaps[q].ords[i] = -1;
    }
  }
  return nullptr;
}

void runJob(const Job& job, int threads) {
  // int8 slices start on 32-row strip boundaries; float32 slices on any row.
  const int grain = job.kind == 1 ? kStrip : 1;
  const int units = (job.n + grain - 1) / grain;
  std::vector<Slice> slices(threads);
  for (int t = 0; t < threads; t++) {
    const int a = static_cast<int>(static_cast<int64_t>(units) * t / threads) * grain;
    const int b = static_cast<int>(static_cast<int64_t>(units) * (t + 1) / threads) * grain;
    slices[t] = Slice{&job, t, a, b < job.n ? b : job.n};
  }
  std::vector<pthread_t> ids(threads);
  std::vector<bool> started(threads, false);
  for (int t = 1; t < threads; t++) started[t] = pthread_create(&ids[t], nullptr, runSlice, &slices[t]) == 0;
  runSlice(&slices[0]);
  for (int t = 1; t < threads; t++) {
    if (started[t]) pthread_join(ids[t], nullptr);
    else runSlice(&slices[t]);  // could not start a thread: do its share here
  }
}

bool cpuHasAvx2Fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

const bool kSimd = cpuHasAvx2Fma();

// --- N-API --------------------------------------------------------------------------------------------

napi_value fail(napi_env env, const char* message) {
  napi_throw_type_error(env, "E_BAD_ARGUMENT", message);
  return nullptr;
}

bool typedArray(napi_env env, napi_value value, napi_typedarray_type want, void** data, size_t* length) {
  bool is = false;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, length, data, &buffer, &offset) != napi_ok) return false;
  return type == want;
}

bool isNullish(napi_env env, napi_value value) {
  napi_valuetype t;
  napi_typeof(env, value, &t);
  return t == napi_null || t == napi_undefined;
}

bool intArg(napi_env env, napi_value value, int* out) {
  int32_t v;
  if (napi_get_value_int32(env, value, &v) != napi_ok) return false;
  *out = v;
  return true;
}

// scan(kind, queries, m, d, corpus, n, rowScales|null, tileRows, live|null, base, k, threads, outScores, outOrds)
//   kind 0: queries Float32Array m·d, corpus Float32Array n·d (row-major)
//   kind 1: queries Int8Array m·d (d = the code width, a multiple of 4; codes in [-127, 127]), corpus
//           Int8Array (tiles of tileRows rows of 4-dimension groups), rowScales Float32Array or null
napi_value Scan(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 14) return fail(env, "scan: expected 14 arguments");
  Job job{};
  int threads = 1;
  std::vector<uint8_t> queryAbs;
  if (!intArg(env, argv[0], &job.kind) || (job.kind != 0 && job.kind != 1)) return fail(env, "scan: bad kind");
  if (!intArg(env, argv[2], &job.m) || !intArg(env, argv[3], &job.d) || !intArg(env, argv[5], &job.n) ||
      !intArg(env, argv[7], &job.tileRows) || !intArg(env, argv[9], &job.base) || !intArg(env, argv[10], &job.k) ||
      !intArg(env, argv[11], &threads))
    return fail(env, "scan: m, d, n, tileRows, base, k and threads must be integers");
  if (job.m < 0 || job.d <= 0 || job.n < 0 || job.k < 0 || threads < 1 || threads > 256)
    return fail(env, "scan: m, n, k >= 0, d > 0 and 1 <= threads <= 256");
  void* data;
  size_t length;
  if (job.kind == 0) {
    if (!typedArray(env, argv[1], napi_float32_array, &data, &length) ||
        length < static_cast<size_t>(job.m) * job.d)
      return fail(env, "scan: queries must be a Float32Array of m·d values");
    job.queries = static_cast<const float*>(data);
    if (!typedArray(env, argv[4], napi_float32_array, &data, &length) ||
        length < static_cast<size_t>(job.n) * job.d)
      return fail(env, "scan: corpus must be a Float32Array of n·d values");
    job.rows = static_cast<const float*>(data);
  } else {
    if (job.tileRows <= 0 || job.d % 4 != 0) return fail(env, "scan: int8 needs tileRows > 0 and d a multiple of 4");
    if (!typedArray(env, argv[1], napi_int8_array, &data, &length) || length < static_cast<size_t>(job.m) * job.d)
      return fail(env, "scan: int8 queries must be an Int8Array of m·d codes");
    job.queries8 = static_cast<const int8_t*>(data);
    queryAbs.resize(static_cast<size_t>(job.m) * job.d);
    for (size_t i = 0; i < queryAbs.size(); i++) {
      const int v = job.queries8[i];
      if (v < -127) return fail(env, "scan: int8 query codes must lie in [-127, 127]");
      queryAbs[i] = static_cast<uint8_t>(v < 0 ? -v : v);
    }
    job.queryAbs = queryAbs.data();
    const size_t tiles = (static_cast<size_t>(job.n) + job.tileRows - 1) / job.tileRows;
    if (!typedArray(env, argv[4], napi_int8_array, &data, &length) || length < tiles * job.tileRows * job.d)
      return fail(env, "scan: int8 corpus must be an Int8Array of whole tiles");
    job.codes = static_cast<const int8_t*>(data);
    if (!isNullish(env, argv[6])) {
      if (!typedArray(env, argv[6], napi_float32_array, &data, &length) || length < tiles * job.tileRows)
        return fail(env, "scan: rowScales must be a Float32Array covering whole tiles");
      job.rowScales = static_cast<const float*>(data);
    }
  }
  if (!isNullish(env, argv[8])) {
    if (!typedArray(env, argv[8], napi_uint8_array, &data, &length) || length < static_cast<size_t>(job.n))
      return fail(env, "scan: live must be a Uint8Array of n bytes");
    job.live = static_cast<const uint8_t*>(data);
  }
  const size_t outLength = static_cast<size_t>(threads) * job.m * job.k;
  if (!typedArray(env, argv[12], napi_float32_array, &data, &length) || length < outLength)
    return fail(env, "scan: outScores must be a Float32Array of threads·m·k values");
  job.outScores = static_cast<float*>(data);
  if (!typedArray(env, argv[13], napi_int32_array, &data, &length) || length < outLength)
    return fail(env, "scan: outOrds must be an Int32Array of threads·m·k values");
  job.outOrds = static_cast<int32_t*>(data);
  // SIMD paths: float32 needs d % 8 == 0; int8 needs whole 32-row strips inside a tile.
  job.simd = kSimd && (job.kind == 0 ? job.d % 8 == 0 : job.tileRows % kStrip == 0);
  runJob(job, threads);
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value scan, simd;
  napi_create_function(env, "scan", NAPI_AUTO_LENGTH, Scan, nullptr, &scan);
  napi_set_named_property(env, exports, "scan", scan);
  napi_get_boolean(env, kSimd, &simd);
  napi_set_named_property(env, exports, "simd", simd);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
