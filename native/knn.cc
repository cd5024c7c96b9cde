// sift's exact-kNN scan kernels: one pass over a block of stored rows scores every row against a batch of
// queries (dot products) and keeps each query's best k in a per-thread heap. Built from source at install
// (binding.gyp); src/runtime/native-knn.ts loads it and falls back to the ONNX Runtime scan when it is absent.
//
// Why a kernel of our own: a k-NN scan is a matrix product immediately consumed by a top-k. Through ONNX
// Runtime the full score matrix is written to memory and read back by TopK; here each score is compared
// with the query's current k-th best while it is still in a register, so a batch-1 scan is one read of the
// corpus (memory-bound) and a batched scan is register-blocked FMAs (compute-bound).
//
// Variants (instruction sets) are chosen at run time, so the addon is compiled with the default flags and
// each SIMD function carries its own target attribute: at load the best of avx512-vnni, avx512f, avx2-fma
// and scalar that the CPU supports is picked, or a lower one named by SIFT_KNN_ISA, and exported as
// `variant`; `pathFor` says which kernel a scan of a given shape runs.
//
// float32: rows are row-major. One query streams each row once (with 256-bit loads wherever d % 8 = 0:
// memory-bound, it gains nothing from 512-bit ones; see scanF32Avx512); small batches accumulate blocks of
// queries × rows along the dimension: 4 × 3 in 12 AVX2 registers, reduced four at a time, or 4 × 4 in 16
// AVX-512 registers (masked loads for a dimension tail), reduced by one transpose-and-add tree into one
// register compared with the queries' k-th bests at once. On AVX-512, batches of 8 queries or more put
// the queries across the lanes instead (scanF32Lanes): each row value is broadcast against 16 or 32
// transposed queries, so a register ends holding one row's scores and nothing needs reducing. int8: codes are stored in tiles of T rows of 4-dimension
// groups ([tile][dimension/4][row in tile][4], see vector-store.ts `codeIndex`), so one 32-byte load is
// 8 rows × 4 dimensions. AVX2, per query and load: vpsignb moves the query's signs onto the codes,
// vpmaddubsw multiplies them by the query's magnitudes (|q|·|c| ≤ 127·127, so the pair sums never
// saturate int16), vpmaddwd with ones sums each row's two pairs into int32: the exact integer dot product,
// no shuffles. AVX-512 VNNI: one 64-byte load is 16 rows × 4 dimensions; the codes' top bit is flipped once
// per load (c + 128, unsigned) and vpdpbusd adds (c + 128)·q for every query of a block into int32 lanes
// that started at −128·Σq: the same exact dot products. The scalar loops compute the same results.
//
// Ties: rows are visited in increasing ordinal and a row enters a full heap only with a strictly greater
// score, so among equal scores each thread keeps the lowest ordinals; the caller merges the threads'
// heaps with the same rule.

#include <node_api.h>

// GCC 12's AVX-512 headers pass _mm512_undefined_ps() as the unused merge operand, which -Wuninitialized
// reports at every use once inlined (GCC bug 105593); the headers' lines only are exempted.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#include <pthread.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

namespace {

// --- instruction sets ---------------------------------------------------------------------------------

// Kernel variants, lowest first. The addon picks the best one this CPU (and OS) supports once at load, or
// a lower one named by SIFT_KNN_ISA (for tests and benchmarks), and reports it as `variant`. Each job then
// runs the best path its shape allows under that variant (see pathFor).
enum Isa { kIsaScalar = 0, kIsaAvx2 = 1, kIsaAvx512 = 2, kIsaAvx512Vnni = 3 };
constexpr const char* kIsaNames[] = {"scalar", "avx2-fma", "avx512f", "avx512-vnni"};

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
  const float* queriesT;  // float32 on AVX-512 with m ≥ kLanesMinQueries: the queries in lanes, else null
  const int8_t* queries8;  // int8: m × d query codes in [-127, 127] (d: the code width, a multiple of 4)
  const uint8_t* queryAbs;  // int8: their magnitudes
  const int32_t* querySum;  // int8: each query's sum of codes (the VNNI path's offset correction)
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
  int path;  // which kernel scans this job (Path)
  // Output: for thread t and query q, k slots at ((t·m) + q)·k.
  float* outScores;
  int32_t* outOrds;
};

// A thread's part of a job: it takes chunks of rows from the shared counter until none are left.
struct Slice {
  const Job* job;
  int thread;
  std::atomic<int64_t>* next;  // first row of the next chunk not yet taken (64 bits: no overflow past n)
  int chunk;  // rows per chunk
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
// Hardware prefetchers alone left a one-query scan at 24 GB/s on a Xeon; a software prefetch 8 KB ahead
// raised 100k rows from 6.4 to 5.5 ms a query (1M: 65 to 62 ms); 4 and 16 KB measured the same.
constexpr int kOnePrefetchFloats = 2048;
__attribute__((target("avx2,fma"))) void scanF32One(const Job& job, Heap& heap, int from, int to) {
  const int d = job.d;
  const float* q = job.queries;
  for (int row = from; row < to; row++) {
    const float* x = job.rows + static_cast<size_t>(row) * d;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    int j = 0;
    for (; j + 32 <= d; j += 32) {
      _mm_prefetch(reinterpret_cast<const char*>(x + kOnePrefetchFloats + j), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(x + kOnePrefetchFloats + j + 16), _MM_HINT_T0);
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

// --- float32, AVX-512F ----------------------------------------------------------------------------------
//
// The same two shapes with 16-lane registers and, for the dimension's tail (d not a multiple of 16), masked
// loads, so this path serves any d. Batches score blocks of up to 4 queries × 4 rows: 16 accumulators, 8
// loads per 16 FMAs; the 16 sums are reduced together by one transpose-and-add tree (15 lane-shuffling adds
// instead of 16 separate horizontal sums), which leaves them in one register, so a single compare against
// the queries' k-th bests tells whether any of the 16 scores can enter a heap.

#define SIFT_AVX512 __attribute__((target("avx512f,avx2,fma")))

// Sums each of 16 registers into one: element 4k + t of the result is the sum of v[k + 4t] (the caller,
// dotBlock512, orders its registers so that element e holds item e). Each level halves the registers and
// the width summed: 128-bit lanes, then pairs of them, then pairs of floats, twice.
SIFT_AVX512 inline __m512 reduce16(const __m512* v) {
  __m512 a[8], b[4], c[2];
  for (int i = 0; i < 8; i++)
    a[i] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0x44),
                         _mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0xEE));
  for (int i = 0; i < 4; i++)
    b[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0x88),
                         _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0xDD));
  for (int i = 0; i < 2; i++)
    c[i] = _mm512_add_ps(_mm512_shuffle_ps(b[2 * i], b[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_ps(b[2 * i], b[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  // Element 4k + t now holds the sum of v[k + 4t].
  return _mm512_add_ps(_mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(3, 1, 3, 1)));
}

// Scores of Q queries against R rows (Q, R ≤ 4) as one register: element q·R + r (higher elements 0).
template <int Q, int R>
SIFT_AVX512 inline __m512 dotBlock512(const float* const* qs, const float* const* xs, int d) {
  __m512 acc[Q][R];
  for (int q = 0; q < Q; q++)
    for (int r = 0; r < R; r++) acc[q][r] = _mm512_setzero_ps();
  int j = 0;
  for (; j + 16 <= d; j += 16) {
    __m512 x[R];
    for (int r = 0; r < R; r++) x[r] = _mm512_loadu_ps(xs[r] + j);
    for (int q = 0; q < Q; q++) {
      const __m512 qv = _mm512_loadu_ps(qs[q] + j);
      for (int r = 0; r < R; r++) acc[q][r] = _mm512_fmadd_ps(qv, x[r], acc[q][r]);
    }
  }
  if (j < d) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (d - j)) - 1);
    __m512 x[R];
    for (int r = 0; r < R; r++) x[r] = _mm512_maskz_loadu_ps(tail, xs[r] + j);
    for (int q = 0; q < Q; q++) {
      const __m512 qv = _mm512_maskz_loadu_ps(tail, qs[q] + j);
      for (int r = 0; r < R; r++) acc[q][r] = _mm512_fmadd_ps(qv, x[r], acc[q][r]);
    }
  }
  // reduce16 puts the sum of v[k + 4t] in element 4k + t: item e = q·R + r goes to v[e % 4 · 4 + e / 4].
  __m512 v[16];
  for (int i = 0; i < 16; i++) {
    const int item = (i % 4) * 4 + i / 4;
    v[i] = item < Q * R ? acc[item / R][item % R] : _mm512_setzero_ps();
  }
  return reduce16(v);
}

template <int Q, int R>
SIFT_AVX512 void scoreF32Block512(const Job& job, Heap* heaps, int q0, int row) {
  const float* qs[Q];
  const float* xs[R];
  for (int q = 0; q < Q; q++) qs[q] = job.queries + static_cast<size_t>(q0 + q) * job.d;
  for (int r = 0; r < R; r++) xs[r] = job.rows + static_cast<size_t>(row + r) * job.d;
  const __m512 scores = dotBlock512<Q, R>(qs, xs, job.d);
  float threshold[16] = {};
  for (int q = 0; q < Q; q++)
    for (int r = 0; r < R; r++) threshold[q * R + r] = heaps[q0 + q].threshold();
  unsigned mask = _mm512_cmp_ps_mask(scores, _mm512_loadu_ps(threshold), _CMP_GT_OQ) & ((1u << (Q * R)) - 1);
  if (mask == 0) return;
  float out[16];
  _mm512_storeu_ps(out, scores);
  // Bits in increasing order: per query, rows in increasing ordinal (the tie rule).
  for (; mask != 0; mask &= mask - 1) {
    const int item = __builtin_ctz(mask);
    const int q = item / R, r = item % R;
    Heap& h = heaps[q0 + q];
    if (out[item] > h.threshold() && isLive(job, row + r)) h.offer(out[item], job.base + row + r);
  }
}

// One query: one sequential read per row with four independent accumulators, as in scanF32One.
SIFT_AVX512 void scanF32One512(const Job& job, Heap& heap, int from, int to) {
  const int d = job.d;
  const float* q = job.queries;
  const int tailLength = d % 16;
  const __mmask16 tail = static_cast<__mmask16>((1u << tailLength) - 1);
  for (int row = from; row < to; row++) {
    const float* x = job.rows + static_cast<size_t>(row) * d;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
    int j = 0;
    for (; j + 64 <= d; j += 64) {
      a0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + j), _mm512_loadu_ps(x + j), a0);
      a1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + j + 16), _mm512_loadu_ps(x + j + 16), a1);
      a2 = _mm512_fmadd_ps(_mm512_loadu_ps(q + j + 32), _mm512_loadu_ps(x + j + 32), a2);
      a3 = _mm512_fmadd_ps(_mm512_loadu_ps(q + j + 48), _mm512_loadu_ps(x + j + 48), a3);
    }
    for (; j + 16 <= d; j += 16) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + j), _mm512_loadu_ps(x + j), a0);
    if (tailLength != 0)
      a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, q + j), _mm512_maskz_loadu_ps(tail, x + j), a1);
    const float score = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    if (score > heap.threshold() && isLive(job, row)) heap.offer(score, job.base + row);
  }
}

template <int Q>
SIFT_AVX512 void scoreF32Rows512(const Job& job, Heap* heaps, int q0, int from, int to,
                                                      Prefetcher& prefetch) {
  int row = from;
  for (; row + 4 <= to; row += 4) {
    prefetch.step();
    scoreF32Block512<Q, 4>(job, heaps, q0, row);
  }
  switch (to - row) {
    case 3: scoreF32Block512<Q, 3>(job, heaps, q0, row); break;
    case 2: scoreF32Block512<Q, 2>(job, heaps, q0, row); break;
    case 1: scoreF32Block512<Q, 1>(job, heaps, q0, row); break;
    default: break;
  }
}

// --- float32 batches, AVX-512F: queries across the lanes ---------------------------------------------
//
// The 4 × 4 dot-product blocks above end every block with a transpose-and-add tree, load two operands per
// two FMAs, and reached 55–63% of sgemm on a Xeon. From 8 queries up, batches take the other orientation:
// the queries are transposed once per scan into lanes (32 per group, element [k][lane]), and each row's
// k-th value is broadcast against them, so one FMA adds x[row][k]·q[lane][k] for 16 queries and a register
// ends holding one row's scores for 16 queries: no reduction at all, and one compare against those queries'
// k-th bests. Blocks of 12 rows × 32 queries keep 24 accumulators; each k step loads 2 query registers and
// broadcasts 12 row values (embedded in the FMAs) for 24 FMAs, so the FMA units, not the loads, bound it.
// Groups of up to 16 queries use one register per row. Rows are read where they lie (row-major, no
// packing), and the next block's lines are prefetched as this block walks its columns: without that the
// twelve interleaved row streams ran at 9 GB/s and batch 32 at 65% of sgemm, with it at 92% (Xeon, 200k
// rows). Measured there (2 threads, 200k × 384): batch 32 at 87–92% of the same run's sgemm against 57%
// for the 4 × 4 blocks, batch 8–16 as fast or faster; batch 4 stays faster on the blocks (16.7 against
// about 20 ms), hence kLanesMinQueries.
constexpr int kLaneGroup = 32;  // queries per transposed group
constexpr int kLanesMinQueries = 8;  // below this the 4 × 4 blocks waste fewer lanes

// Transposes m queries (row-major, d wide) into groups of kLaneGroup lanes: out[(g·d + k)·32 + lane].
void transposeQueries(const float* queries, int m, int d, std::vector<float>& out) {
  const int groups = (m + kLaneGroup - 1) / kLaneGroup;
  out.assign(static_cast<size_t>(groups) * d * kLaneGroup, 0.0f);
  for (int q = 0; q < m; q++) {
    const int g = q / kLaneGroup, lane = q % kLaneGroup;
    for (int k = 0; k < d; k++)
      out[(static_cast<size_t>(g) * d + k) * kLaneGroup + lane] = queries[static_cast<size_t>(q) * d + k];
  }
}

// Offers one row's scores for the W·16 lanes of a group to their queries' heaps (lanes past the group's
// queries masked off), then refreshes the cached thresholds of the heaps that took a score.
template <int W>
SIFT_AVX512 inline void offerLanes(const Job& job, Heap* heaps, int q0, int row, const __m512* scores,
                                   float* thresholds, const __mmask16* lanes) {
  for (int w = 0; w < W; w++) {
    unsigned mask = _mm512_cmp_ps_mask(scores[w], _mm512_loadu_ps(thresholds + 16 * w), _CMP_GT_OQ) & lanes[w];
    if (mask == 0 || !isLive(job, row)) continue;
    float out[16];
    _mm512_storeu_ps(out, scores[w]);
    for (; mask != 0; mask &= mask - 1) {
      const int lane = __builtin_ctz(mask);
      Heap& h = heaps[q0 + 16 * w + lane];
      h.offer(out[lane], job.base + row);
      thresholds[16 * w + lane] = h.threshold();
    }
  }
}

// R rows from `row` against one group's W·16 lanes (qt: the group's transposed queries).
template <int W, int R>
SIFT_AVX512 void scoreLanesBlock(const Job& job, Heap* heaps, int q0, const float* qt, int row, float* thresholds,
                                 const __mmask16* lanes, bool prefetchNext) {
  const int d = job.d;
  const float* x = job.rows + static_cast<size_t>(row) * d;
  __m512 acc[R][W];
  for (int r = 0; r < R; r++)
    for (int w = 0; w < W; w++) acc[r][w] = _mm512_setzero_ps();
  for (int k = 0; k < d; k++) {
    if (prefetchNext && (k & 15) == 0)
      for (int r = 0; r < R; r++)
        _mm_prefetch(reinterpret_cast<const char*>(x + static_cast<size_t>(R + r) * d + k), _MM_HINT_T0);
    __m512 q[W];
    for (int w = 0; w < W; w++) q[w] = _mm512_loadu_ps(qt + static_cast<size_t>(k) * kLaneGroup + 16 * w);
    for (int r = 0; r < R; r++) {
      const __m512 b = _mm512_set1_ps(x[static_cast<size_t>(r) * d + k]);
      for (int w = 0; w < W; w++) acc[r][w] = _mm512_fmadd_ps(b, q[w], acc[r][w]);
    }
  }
  // Rows in increasing ordinal, each query's heap seeing them in that order (the tie rule).
  for (int r = 0; r < R; r++) offerLanes<W>(job, heaps, q0, row + r, acc[r], thresholds, lanes);
}

template <int W>
SIFT_AVX512 void scoreLanesRows(const Job& job, Heap* heaps, int q0, const float* qt, int from, int to,
                                float* thresholds, const __mmask16* lanes, bool prefetch) {
  constexpr int kRows = 12;
  int row = from;
  for (; row + kRows <= to; row += kRows)
    scoreLanesBlock<W, kRows>(job, heaps, q0, qt, row, thresholds, lanes, prefetch && row + 2 * kRows <= to);
  for (; row < to; row++) scoreLanesBlock<W, 1>(job, heaps, q0, qt, row, thresholds, lanes, false);
}

// Rows in L2-sized tiles (as the blocks above) when there are several groups, so later groups find them
// cached; one group streams its rows once.
SIFT_AVX512 void scanF32Lanes(const Job& job, Heap* heaps, int from, int to) {
  const int m = job.m;
  const int groups = (m + kLaneGroup - 1) / kLaneGroup;
  const int tileRows = groups == 1 ? to - from : kF32TileRows;
  float thresholds[kLaneGroup];
  for (int tile = from; tile < to; tile += tileRows) {
    const int end = tile + tileRows < to ? tile + tileRows : to;
    for (int g = 0; g < groups; g++) {
      const int q0 = g * kLaneGroup;
      const int count = m - q0 < kLaneGroup ? m - q0 : kLaneGroup;
      const __mmask16 lanes[2] = {static_cast<__mmask16>(count >= 16 ? 0xFFFFu : (1u << count) - 1),
                                  static_cast<__mmask16>(count >= 32   ? 0xFFFFu
                                                         : count > 16 ? (1u << (count - 16)) - 1
                                                                      : 0)};
      for (int i = 0; i < kLaneGroup; i++) thresholds[i] = i < count ? heaps[q0 + i].threshold() : 0.0f;
      const float* qt = job.queriesT + static_cast<size_t>(g) * job.d * kLaneGroup;
      if (count > 16) scoreLanesRows<2>(job, heaps, q0, qt, tile, end, thresholds, lanes, g == 0);
      else scoreLanesRows<1>(job, heaps, q0, qt, tile, end, thresholds, lanes, g == 0);
    }
  }
}

// Batches: the AVX2 path's L2-sized row tiles and prefetch of the next tile, with 4 × 4 blocks.
SIFT_AVX512 void scanF32Avx512(const Job& job, Heap* heaps, int from, int to) {
  const int m = job.m;
  if (job.queriesT != nullptr) {
    scanF32Lanes(job, heaps, from, to);
    return;
  }
  if (m == 1) {
    // One query is bound by memory, which 512-bit loads cannot read faster: on this Zen 4 machine the
    // 256-bit loop streamed 100k rows 10–20% faster (CPU time, one thread), and AVX-512 Xeons may lower
    // their clock for 512-bit work. The 512-bit loop serves dimensions the 256-bit one cannot (d % 8 ≠ 0).
    if (job.d % 8 == 0) scanF32One(job, heaps[0], from, to);
    else scanF32One512(job, heaps[0], from, to);
    return;
  }
  const size_t rowBytes = static_cast<size_t>(job.d) * sizeof(float);
  const int groups = (m + 3) / 4;
  const int blocksPerTile = groups * (kF32TileRows / 4);
  const int linesPerTile = static_cast<int>((kF32TileRows * rowBytes + 63) / 64);
  for (int tile = from; tile < to; tile += kF32TileRows) {
    const int end = tile + kF32TileRows < to ? tile + kF32TileRows : to;
    const int nextEnd = end + kF32TileRows < to ? end + kF32TileRows : to;
    const char* base = reinterpret_cast<const char*>(job.rows);
    Prefetcher prefetch{base + end * rowBytes, base + nextEnd * rowBytes,
                        (linesPerTile + blocksPerTile - 1) / blocksPerTile};
    int q = 0;
    for (; q + 4 <= m; q += 4) scoreF32Rows512<4>(job, heaps, q, tile, end, prefetch);
    switch (m - q) {
      case 3: scoreF32Rows512<3>(job, heaps, q, tile, end, prefetch); break;
      case 2: scoreF32Rows512<2>(job, heaps, q, tile, end, prefetch); break;
      case 1: scoreF32Rows512<1>(job, heaps, q, tile, end, prefetch); break;
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
  // As in the VNNI loop: end-to-end strips are prefetched two ahead by the first query group.
  const bool prefetch = q0 == 0 && job.tileRows == kStrip;
  const size_t ahead = static_cast<size_t>(2) * kStrip * job.d;
  for (int j = 0; j < job.d; j += 4) {
    const int8_t* group = strip + (j / 4) * groupBytes;
    if (prefetch) {
      _mm_prefetch(reinterpret_cast<const char*>(group + ahead), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(group + ahead + 64), _MM_HINT_T0);
    }
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

// --- int8, AVX-512 VNNI ---------------------------------------------------------------------------------
//
// vpdpbusd multiplies unsigned by signed bytes and adds each group of four products into an int32 lane,
// without saturation. The codes are made unsigned by flipping their top bit (c ^ 0x80 = c + 128, one XOR
// per load, shared by every query of the block) and the queries stay signed, so each lane gains
// Σ (c + 128)·q = Σ c·q + 128·Σ q; the accumulators start at −128·Σ q, which leaves the exact integer dot
// product (|sums| stay far below 2³¹). One 64-byte load is 16 rows × 4 dimensions, so a 32-row strip is
// two registers per 4 dimensions; blocks of up to 8 queries keep 16 accumulators.

#define SIFT_VNNI __attribute__((target("avx512f,avx512vnni,avx2,fma")))

template <int Q>
SIFT_VNNI void scoreI8StripVnni(const Job& job, Heap* heaps, int q0, const int8_t* strip,
                                                     int row0) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const size_t groupBytes = static_cast<size_t>(4) * job.tileRows;
  __m512i acc[Q][2];
  for (int q = 0; q < Q; q++) acc[q][0] = acc[q][1] = _mm512_set1_epi32(-128 * job.querySum[q0 + q]);
  // With 32-row tiles the strips lie end to end: the first query group prefetches the strip two ahead
  // (Xeon, 1M rows, batch 1: 19.2 → 16.2 ms a query; four ahead measured 17–18 ms).
  const bool prefetch = q0 == 0 && job.tileRows == kStrip;
  const size_t ahead = static_cast<size_t>(2) * kStrip * job.d;
  for (int j = 0; j < job.d; j += 4) {
    const int8_t* group = strip + (j / 4) * groupBytes;
    if (prefetch) {
      _mm_prefetch(reinterpret_cast<const char*>(group + ahead), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(group + ahead + 64), _MM_HINT_T0);
    }
    const __m512i c0 = _mm512_xor_si512(_mm512_loadu_si512(group), flip);
    const __m512i c1 = _mm512_xor_si512(_mm512_loadu_si512(group + 64), flip);
    for (int q = 0; q < Q; q++) {
      int32_t four;
      std::memcpy(&four, job.queries8 + static_cast<size_t>(q0 + q) * job.d + j, sizeof four);
      const __m512i qv = _mm512_set1_epi32(four);
      acc[q][0] = _mm512_dpbusd_epi32(acc[q][0], c0, qv);
      acc[q][1] = _mm512_dpbusd_epi32(acc[q][1], c1, qv);
    }
  }
  // Rows past the block's end (the last tile's padding) never count.
  const int left = job.n - row0;
  const uint32_t inRange = left >= 32 ? 0xFFFFFFFFu : (1u << left) - 1;
  for (int q = 0; q < Q; q++) {
    Heap& h = heaps[q0 + q];
    for (int p = 0; p < 2; p++) {
      const int first = row0 + 16 * p;
      __m512 scores = _mm512_cvtepi32_ps(acc[q][p]);
      if (job.rowScales) scores = _mm512_mul_ps(scores, _mm512_loadu_ps(job.rowScales + first));
      unsigned mask = _mm512_cmp_ps_mask(scores, _mm512_set1_ps(h.threshold()), _CMP_GT_OQ) &
                      (inRange >> (16 * p)) & 0xFFFFu;
      if (mask == 0) continue;
      float v[16];
      _mm512_storeu_ps(v, scores);
      for (; mask != 0; mask &= mask - 1) {
        const int i = __builtin_ctz(mask);
        if (v[i] > h.threshold() && isLive(job, first + i)) h.offer(v[i], job.base + first + i);
      }
    }
  }
}

SIFT_VNNI void scanI8Vnni(const Job& job, Heap* heaps, int from, int to) {
  const int T = job.tileRows;
  for (int row0 = from; row0 < to; row0 += kStrip) {
    const int8_t* strip = job.codes + static_cast<size_t>(row0 / T) * job.d * T + static_cast<size_t>(row0 % T) * 4;
    int q = 0;
    for (; q + 8 <= job.m; q += 8) scoreI8StripVnni<8>(job, heaps, q, strip, row0);
    if (job.m - q >= 4) {
      scoreI8StripVnni<4>(job, heaps, q, strip, row0);
      q += 4;
    }
    if (job.m - q >= 2) {
      scoreI8StripVnni<2>(job, heaps, q, strip, row0);
      q += 2;
    }
    if (q < job.m) scoreI8StripVnni<1>(job, heaps, q, strip, row0);
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
  Heap* h = heaps.data();
  // Chunks are taken in increasing order, so each thread still visits its rows in increasing ordinal.
  for (;;) {
    const int64_t taken = slice.next->fetch_add(slice.chunk, std::memory_order_relaxed);
    if (taken >= job.n) break;
    const int from = static_cast<int>(taken);
    const int to = job.n - from > slice.chunk ? from + slice.chunk : job.n;
    if (job.kind == 0) {
      if (job.path >= kIsaAvx512) scanF32Avx512(job, h, from, to);
      else if (job.path == kIsaAvx2) scanF32Simd(job, h, from, to);
      else scanF32Scalar(job, h, from, to);
    } else {
      if (job.path == kIsaAvx512Vnni) scanI8Vnni(job, h, from, to);
      else if (job.path >= kIsaAvx2) scanI8Simd(job, h, from, to);
      else scanI8Scalar(job, h, from, to);
    }
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

// Threads take chunks of rows as they finish the last, not one fixed share each: on a machine shared with
// other work one thread may get half a core, and with fixed shares the whole scan would wait for it (the
// ONNX Runtime scan, whose thread pool divides work dynamically, then beat this one at batch 32). Chunks
// are whole float32 tiles and int8 strips (multiples of 96 rows) of at least 1,536 rows (≥ 2.3 MB of
// float32 at d = 384, so one query's scan stays a few long sequential reads), about 8 per thread.
void runJob(const Job& job, int threads) {
  constexpr int kGrain = 96;  // kF32TileRows and 3 × kStrip
  static_assert(kGrain % kF32TileRows == 0 && kGrain % kStrip == 0, "chunks hold whole tiles and strips");
  int chunk = job.n / (8 * threads);
  if (chunk < 1536) chunk = 1536;
  chunk = (chunk + kGrain - 1) / kGrain * kGrain;
  std::atomic<int64_t> next{0};
  std::vector<Slice> slices(threads);
  for (int t = 0; t < threads; t++) slices[t] = Slice{&job, t, &next, chunk};
  std::vector<pthread_t> ids(threads);
  std::vector<bool> started(threads, false);
  for (int t = 1; t < threads; t++) started[t] = pthread_create(&ids[t], nullptr, runSlice, &slices[t]) == 0;
  runSlice(&slices[0]);
  for (int t = 1; t < threads; t++) {
    if (started[t]) pthread_join(ids[t], nullptr);
    else runSlice(&slices[t]);  // could not start a thread: the others took its chunks; this fills its slots
  }
}

// The best variant this CPU runs (__builtin_cpu_supports also checks that the OS saves the registers).
int detectIsa() {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return kIsaScalar;
  if (!__builtin_cpu_supports("avx512f")) return kIsaAvx2;
  return __builtin_cpu_supports("avx512vnni") ? kIsaAvx512Vnni : kIsaAvx512;
}

// SIFT_KNN_ISA caps the variant (a name above the CPU's best gives the best); −1 = an unknown name.
int chooseIsa(int best) {
  const char* wanted = std::getenv("SIFT_KNN_ISA");
  if (wanted == nullptr || *wanted == '\0') return best;
  if (std::strcmp(wanted, "avx2") == 0) return best < kIsaAvx2 ? best : kIsaAvx2;
  for (int isa = kIsaScalar; isa <= kIsaAvx512Vnni; isa++)
    if (std::strcmp(wanted, kIsaNames[isa]) == 0) return best < isa ? best : isa;
  return -1;
}

const int kBestIsa = detectIsa();
const int kIsa = chooseIsa(kBestIsa);

// The kernel a job of this shape runs under variant `isa`. float32: AVX-512 serves any d (masked tails),
// AVX2 needs d % 8 == 0. int8: SIMD paths score whole 32-row strips, so tiles must hold whole strips; the
// avx512f variant (no VNNI) runs int8 on the AVX2 path.
int pathFor(int isa, int kind, int d, int tileRows) {
  if (kind == 0) {
    if (isa >= kIsaAvx512) return kIsaAvx512;
    return isa == kIsaAvx2 && d % 8 == 0 ? kIsaAvx2 : kIsaScalar;
  }
  if (isa == kIsaScalar || tileRows % kStrip != 0) return kIsaScalar;
  return isa == kIsaAvx512Vnni ? kIsaAvx512Vnni : kIsaAvx2;
}

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
  std::vector<int32_t> querySum;
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
    querySum.assign(job.m, 0);
    for (int q = 0; q < job.m; q++)
      for (int j = 0; j < job.d; j++) querySum[q] += job.queries8[static_cast<size_t>(q) * job.d + j];
    job.querySum = querySum.data();
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
  job.path = pathFor(kIsa, job.kind, job.d, job.tileRows);
  std::vector<float> queriesT;
  if (job.kind == 0 && job.path == kIsaAvx512 && job.m >= kLanesMinQueries) {
    transposeQueries(job.queries, job.m, job.d, queriesT);
    job.queriesT = queriesT.data();
  }
  runJob(job, threads);
  return nullptr;
}

// pathFor(kind, d, tileRows): the name of the kernel a scan of this shape runs ("scalar", "avx2-fma", …).
napi_value PathFor(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int kind, d, tileRows;
  if (argc != 3 || !intArg(env, argv[0], &kind) || !intArg(env, argv[1], &d) || !intArg(env, argv[2], &tileRows) ||
      (kind != 0 && kind != 1) || d <= 0 || tileRows < 0)
    return fail(env, "pathFor: expected kind (0 or 1), d > 0 and tileRows >= 0");
  napi_value name;
  napi_create_string_utf8(env, kIsaNames[pathFor(kIsa, kind, d, tileRows)], NAPI_AUTO_LENGTH, &name);
  return name;
}

napi_value Init(napi_env env, napi_value exports) {
  if (kIsa < 0) {
    napi_throw_error(env, "E_BAD_ARGUMENT",
                     "SIFT_KNN_ISA must be one of avx512-vnni, avx512f, avx2-fma (or avx2), scalar");
    return nullptr;
  }
  napi_value scan, pathForFn, simd, variant, supported;
  napi_create_function(env, "scan", NAPI_AUTO_LENGTH, Scan, nullptr, &scan);
  napi_set_named_property(env, exports, "scan", scan);
  napi_create_function(env, "pathFor", NAPI_AUTO_LENGTH, PathFor, nullptr, &pathForFn);
  napi_set_named_property(env, exports, "pathFor", pathForFn);
  napi_get_boolean(env, kIsa != kIsaScalar, &simd);
  napi_set_named_property(env, exports, "simd", simd);
  // The variant in use, and every variant this CPU can run, best first (what SIFT_KNN_ISA may select).
  napi_create_string_utf8(env, kIsaNames[kIsa], NAPI_AUTO_LENGTH, &variant);
  napi_set_named_property(env, exports, "variant", variant);
  napi_create_array_with_length(env, kBestIsa + 1, &supported);
  for (int isa = kBestIsa; isa >= kIsaScalar; isa--) {
    napi_value name;
    napi_create_string_utf8(env, kIsaNames[isa], NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, supported, kBestIsa - isa, name);
  }
  napi_set_named_property(env, exports, "supported", supported);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
