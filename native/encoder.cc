// sift's bfloat16 BERT encoder: the whole forward pass of a post-LayerNorm BERT (embeddings with token
// types, attention, GELU MLP, then pooling or a cross-encoder's classifier head) in one native call, its matrix products on AMX tiles (Intel Sapphire Rapids and later) or on
// AVX-512 BF16 dot products (vdpbf16ps: Intel Cooper Lake, AMD Zen 4 and later). Built from source at install
// (binding.gyp); src/runtime/native-encoder.ts loads it, and embedders fall back to their ONNX Runtime graph
// where it is absent or the CPU has neither.
//
// Why: on 2 cores, ONNX Runtime's float32 graph already runs its matrix products at 80-90% of the machine's
// sgemm, so float32 has no headroom left. bfloat16 products with float32 accumulation run at twice the
// AVX-512 float32 rate (vdpbf16ps) or several times it (AMX). Only the products' inputs are rounded to
// bfloat16 (weights once, at load; activations as they enter a product): sums, biases, residuals,
// LayerNorm, softmax and GELU stay float32, and the sentence vectors agree with the float32 graph to
// cosine ≥ 0.99997 on real text.
//
// Layout. Tokens of all sequences handed to one thread are packed row after row with no padding between
// sequences (only attention looks across a sequence's rows), so a batch of mixed lengths wastes nothing;
// the row count is padded to a multiple of 32 for the tiles. A linear layer's weight [out × in] is packed
// once into AMX's pair-interleaved B-tile order: for each block of 16 outputs and 32 inputs, 16 rows of
// (16 outputs × 2 adjacent inputs), 1 KB per tile. On AMX the product C[rows × out] = A[rows × in] · Wᵀ
// keeps 2 × 2 accumulator tiles (32 rows × 32 outputs) and streams 2 A tiles and 2 B tiles per 32 inputs;
// on AVX-512 each 64-byte tile row is one vdpbf16ps operand (see dotBlock). Every output row depends on its
// own input row only, so a vector is the same bits whatever else shares its batch or thread.
//
// Threads: sequences are split into contiguous groups of about equal token counts, one per thread, and each
// thread runs the whole encoder on its group (no synchronisation inside a batch).

#include <node_api.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// The vector math glibc provides (libmvec): `omp simd` loops below call its AVX-512 expf and erff.
extern "C" {
__attribute__((simd("notinbranch"))) float erff(float) noexcept;
__attribute__((simd("notinbranch"))) float expf(float) noexcept;
}

namespace {

// --- CPU support ---------------------------------------------------------------------------------------

// The product kernels, best last. Both read the same packed weights (see packLinear).
enum Kernel { kKernelNone = 0, kKernelAvx512Bf16 = 1, kKernelAmx = 2 };
constexpr const char* kKernelNames[] = {"none", "avx512-bf16", "amx-bf16"};

struct Support {
  bool available = false;
  Kernel kernel = kKernelNone;
  std::string reason;
};

constexpr int kArchReqXcompPerm = 0x1023;  // arch_prctl: ask the kernel for an extended state component
constexpr int kXfeatureXtiledata = 18;     // AMX tile data

// AVX-512 with BF16 dot products (vdpbf16ps: Intel Cooper Lake and later, AMD Zen 4 and later) runs the
// encoder; AMX tiles (Intel Sapphire Rapids and later) run its products several times faster again.
// SIFT_BF16_KERNEL=avx512-bf16 caps the choice (for tests and benchmarks on AMX machines).
Support probeSupport() {
  Support s;
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    s.reason = "CPUID leaf 7 is missing";
    return s;
  }
  const bool amxTile = d & (1u << 24), amxBf16 = d & (1u << 22), avx512f = b & (1u << 16), avx512bw = b & (1u << 30);
  unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
  __get_cpuid_count(7, 1, &a1, &b1, &c1, &d1);
  const bool avx512bf16 = a1 & (1u << 5);
  // The OS must save the AVX-512 registers (XCR0: SSE, AVX, opmask, upper ZMM halves, high ZMMs).
  unsigned a0 = 0, b0 = 0, c0 = 0, d0 = 0;
  __get_cpuid(1, &a0, &b0, &c0, &d0);
  bool osZmm = false;
  if (c0 & (1u << 27)) {  // OSXSAVE
    unsigned lo, hi;
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    osZmm = (lo & 0xe6u) == 0xe6u;
  }
  if (!(avx512f && avx512bw && avx512bf16 && osZmm)) {
    s.reason = "the CPU has no AVX512-BF16 (needs avx512f, avx512bw and avx512_bf16; AMX-BF16 is faster still)";
    return s;
  }
  s.available = true;
  s.kernel = kKernelAvx512Bf16;
  const char* cap = std::getenv("SIFT_BF16_KERNEL");
  if (cap && std::strcmp(cap, "avx512-bf16") == 0) return s;
  if (cap && std::strcmp(cap, "amx-bf16") != 0) {
    s = Support();
    s.reason = std::string("SIFT_BF16_KERNEL=") + cap + " is not avx512-bf16 or amx-bf16";
    return s;
  }
  if (amxTile && amxBf16 && syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0) s.kernel = kKernelAmx;
  return s;
}

Support support;

// --- the model -----------------------------------------------------------------------------------------

struct Packed {
  std::vector<uint16_t> tiles;  // B-tile order, see packLinear
  int out = 0, in = 0;
};

struct Layer {
  int heads = 0, inter = 0;
  Packed qkv, attnOut, up, down;
  std::vector<float> qkvBias, attnOutBias, norm1Gamma, norm1Beta, upBias, downBias, norm2Gamma, norm2Beta;
};

// Workspace buffers start on a 64-byte boundary. The `omp simd` reductions (LayerNorm, the pooler) and the
// vector expf/erff loops peel leading elements to align their pointers, which changes the order of a sum
// and which elements take the scalar path; with every buffer aligned alike, a row's result is the same bits
// whatever workspace, thread or batch it lands in.
template <typename T>
struct Aligned64 {
  using value_type = T;
  Aligned64() = default;
  template <typename U>
  Aligned64(const Aligned64<U>&) noexcept {}
  T* allocate(size_t n) {
    void* p = std::aligned_alloc(64, (n * sizeof(T) + 63) & ~static_cast<size_t>(63));
    if (!p) std::abort();  // built without exceptions: out of memory ends the process, as new would
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) noexcept { std::free(p); }
  template <typename U>
  bool operator==(const Aligned64<U>&) const noexcept { return true; }
  template <typename U>
  bool operator!=(const Aligned64<U>&) const noexcept { return false; }
};

template <typename T>
using AlignedVector = std::vector<T, Aligned64<T>>;

struct Workspace {
  AlignedVector<float> x, qkv, ctx, tmp, inter, scores, keysT;
  AlignedVector<uint16_t> xb, ctxb, interb;
};

struct Model {
  int hidden = 0, headDim = 0, vocab = 0, positions = 0;
  float eps = 1e-12f;
  bool clsPooling = false, normalize = true;
  int typeRows = 1;
  std::vector<float> words, positionTable, tokenTypes, embGamma, embBeta;
  // A sequence-pair classifier's head (cross-encoders): logits = classifier(tanh(pooler(h_CLS))); when
  // `labels` is 0 the output is the pooled (and maybe normalised) vector instead.
  int labels = 0;
  std::vector<float> pooler, poolerBias, classifier, classifierBias;
  int outWidth() const { return labels ? labels : hidden; }
  std::vector<Layer> layers;
  std::mutex busy;  // one encode at a time per model: the workspaces are shared
  std::vector<Workspace> workspaces;
};

uint16_t toBf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // NaN stays NaN
  u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest, ties to even
  return static_cast<uint16_t>(u >> 16);
}

// W [out × in] row-major → tiles: for each 16-output block nb, each 32-input block kb, 16 rows kp of 16
// outputs × 2 inputs: index (((nb·KB + kb)·16 + kp)·16 + n)·2 + (k & 1).
Packed packLinear(const float* w, int out, int in) {
  Packed p;
  p.out = out;
  p.in = in;
  const int kBlocks = in / 32;
  p.tiles.assign(static_cast<size_t>(out) * in, 0);
  for (int n = 0; n < out; n++) {
    for (int k = 0; k < in; k++) {
      const size_t at = ((static_cast<size_t>(n / 16) * kBlocks + k / 32) * 16 + (k % 32) / 2) * 32 + (n % 16) * 2 + (k & 1);
      p.tiles[at] = toBf16(w[static_cast<size_t>(n) * in + k]);
    }
  }
  return p;
}

// --- kernels (AVX-512 + AMX; run only where probeSupport said yes) -------------------------------------

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,amx-tile,amx-bf16,fma,avx2")

struct alignas(64) TileConfig {
  uint8_t palette = 1, startRow = 0;
  uint8_t reserved[14] = {};
  uint16_t bytesPerRow[16] = {};
  uint8_t rows[16] = {};
};

void configureTiles() {
  TileConfig config;
  for (int t = 0; t < 8; t++) {
    config.bytesPerRow[t] = 64;
    config.rows[t] = 16;
  }
  // GCC treats ldtilecfg's operand as unread and drops the stores above without this barrier.
  asm volatile("" : : "r"(&config) : "memory");
  _tile_loadconfig(&config);
}

// C[rows × out] = A[rows × in] · Wᵀ; rows % 32 == 0, out % 16 == 0, in % 32 == 0; C's row stride is `out`.
void matmul(const uint16_t* a, int rows, const Packed& w, float* c) {
  const int in = w.in, out = w.out, kBlocks = in / 32;
  const size_t tileStride = static_cast<size_t>(kBlocks) * 512;
  const uint16_t* tiles = w.tiles.data();
  for (int m = 0; m < rows; m += 32) {
    const uint16_t* a0 = a + static_cast<size_t>(m) * in;
    const uint16_t* a1 = a0 + static_cast<size_t>(16) * in;
    float* c0 = c + static_cast<size_t>(m) * out;
    float* c1 = c0 + static_cast<size_t>(16) * out;
    int n = 0;
    for (; n + 32 <= out; n += 32) {
      const uint16_t* b0 = tiles + (n / 16) * tileStride;
      const uint16_t* b1 = b0 + tileStride;
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      for (int kb = 0; kb < kBlocks; kb++) {
        _tile_loadd(4, a0 + kb * 32, in * 2);
        _tile_loadd(5, a1 + kb * 32, in * 2);
        _tile_loadd(6, b0 + kb * 512, 64);
        _tile_loadd(7, b1 + kb * 512, 64);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
      }
      _tile_stored(0, c0 + n, out * 4);
      _tile_stored(1, c0 + n + 16, out * 4);
      _tile_stored(2, c1 + n, out * 4);
      _tile_stored(3, c1 + n + 16, out * 4);
    }
    if (n < out) {  // a last block of 16 outputs
      const uint16_t* b0 = tiles + (n / 16) * tileStride;
      _tile_zero(0);
      _tile_zero(2);
      for (int kb = 0; kb < kBlocks; kb++) {
        _tile_loadd(4, a0 + kb * 32, in * 2);
        _tile_loadd(5, a1 + kb * 32, in * 2);
        _tile_loadd(6, b0 + kb * 512, 64);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(2, 5, 6);
      }
      _tile_stored(0, c0 + n, out * 4);
      _tile_stored(2, c1 + n, out * 4);
    }
  }
}

// The same product with vdpbf16ps: 8 rows × NC blocks of 16 outputs in 8·NC zmm accumulators. Each step
// takes one input pair: NC 64-byte rows of the packed tiles (16 outputs × 2 inputs) and each row's pair of
// activations broadcast as one 32-bit value.
template <int NC>
void dotBlock(const uint16_t* a, int in, const uint16_t* tiles, size_t tileStride, int nb, float* c, int out) {
  __m512 acc[8][NC];
  for (int r = 0; r < 8; r++)
    for (int j = 0; j < NC; j++) acc[r][j] = _mm512_setzero_ps();
  const int kBlocks = in / 32;
  for (int kb = 0; kb < kBlocks; kb++) {
    for (int kp = 0; kp < 16; kp++) {
      __m512bh w[NC];
      for (int j = 0; j < NC; j++)
        w[j] = reinterpret_cast<__m512bh>(_mm512_loadu_si512(tiles + (nb + j) * tileStride + (kb * 16 + kp) * 32));
      const int pair = kb * 32 + kp * 2;
      for (int r = 0; r < 8; r++) {
        int32_t bits;
        std::memcpy(&bits, a + static_cast<size_t>(r) * in + pair, 4);
        const __m512bh x = reinterpret_cast<__m512bh>(_mm512_set1_epi32(bits));
        for (int j = 0; j < NC; j++) acc[r][j] = _mm512_dpbf16_ps(acc[r][j], x, w[j]);
      }
    }
  }
  for (int r = 0; r < 8; r++)
    for (int j = 0; j < NC; j++) _mm512_storeu_ps(c + static_cast<size_t>(r) * out + (nb + j) * 16, acc[r][j]);
}

void matmulDot(const uint16_t* a, int rows, const Packed& w, float* c) {
  const int in = w.in, out = w.out, blocks = out / 16;
  const size_t tileStride = static_cast<size_t>(in / 32) * 512;
  const uint16_t* tiles = w.tiles.data();
  int nb = 0;
  // Output blocks outermost, so their weights stay in cache while the rows stream past.
  for (; nb + 3 <= blocks; nb += 3)
    for (int m = 0; m < rows; m += 8)
      dotBlock<3>(a + static_cast<size_t>(m) * in, in, tiles, tileStride, nb, c + static_cast<size_t>(m) * out, out);
  if (blocks - nb == 2)
    for (int m = 0; m < rows; m += 8)
      dotBlock<2>(a + static_cast<size_t>(m) * in, in, tiles, tileStride, nb, c + static_cast<size_t>(m) * out, out);
  else if (blocks - nb == 1)
    for (int m = 0; m < rows; m += 8)
      dotBlock<1>(a + static_cast<size_t>(m) * in, in, tiles, tileStride, nb, c + static_cast<size_t>(m) * out, out);
}

// float32 → bfloat16, round to nearest even (vcvtne2ps2bf16); count % 32 == 0.
void roundRows(const float* x, uint16_t* y, size_t count) {
  for (size_t i = 0; i < count; i += 32) {
    const __m512bh pair = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(x + i));
    _mm512_storeu_si512(y + i, reinterpret_cast<__m512i>(pair));
  }
}

// y = LayerNorm(y + bias + residual) per row of `width` (two passes: mean, then variance about it).
void addNormRows(float* y, const float* bias, const float* residual, const float* gamma, const float* beta, int rows,
                 int width, float eps) {
  for (int r = 0; r < rows; r++) {
    float* row = y + static_cast<size_t>(r) * width;
    const float* res = residual ? residual + static_cast<size_t>(r) * width : nullptr;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < width; j++) {
      const float v = row[j] + (bias ? bias[j] : 0.0f) + (res ? res[j] : 0.0f);
      row[j] = v;
      sum += v;
    }
    const float mean = sum / width;
    float sq = 0;
#pragma omp simd reduction(+ : sq)
    for (int j = 0; j < width; j++) sq += (row[j] - mean) * (row[j] - mean);
    const float scale = 1.0f / std::sqrt(sq / width + eps);
#pragma omp simd
    for (int j = 0; j < width; j++) row[j] = (row[j] - mean) * scale * gamma[j] + beta[j];
  }
}

void addBiasRows(float* y, const float* bias, int rows, int width) {
  for (int r = 0; r < rows; r++) {
    float* row = y + static_cast<size_t>(r) * width;
#pragma omp simd
    for (int j = 0; j < width; j++) row[j] += bias[j];
  }
}

// Exact GELU (erf form, BERT's "gelu") after the bias.
void biasGeluRows(float* y, const float* bias, int rows, int width) {
  for (int r = 0; r < rows; r++) {
    float* row = y + static_cast<size_t>(r) * width;
#pragma omp simd
    for (int j = 0; j < width; j++) {
      const float v = row[j] + bias[j];
      row[j] = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    }
  }
}

// One head of one sequence: ctx[i] = softmax(qᵢ·Kᵀ/√d) · V over the sequence's `length` rows. qkv rows hold
// [queries | keys | values] of `width` each (width = heads · d); the head's columns start at `column`.
template <int Chunks>  // d / 16
void attendHead(const float* qkv, int width, int column, int length, float scale, float* ctx, int ctxStride,
                float* scores, float* keysT) {
  constexpr int d = Chunks * 16;
  const int padded = (length + 15) & ~15;
  const size_t stride = static_cast<size_t>(3) * width;
  // Keys transposed, [d][padded], so a query's scores for 16 keys are one register of broadcast FMAs.
  for (int j = 0; j < padded; j++) {
    const float* key = j < length ? qkv + j * stride + width + column : nullptr;
    for (int t = 0; t < d; t++) keysT[static_cast<size_t>(t) * padded + j] = key ? key[t] : 0.0f;
  }
  for (int i = 0; i < length; i++) {
    const float* q = qkv + i * stride + column;
    float* s = scores + static_cast<size_t>(i) * padded;
    int j = 0;
    for (; j + 64 <= padded; j += 64) {
      __m512 acc0 = _mm512_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
      for (int t = 0; t < d; t++) {
        const __m512 qt = _mm512_set1_ps(q[t]);
        const float* k = keysT + static_cast<size_t>(t) * padded + j;
        acc0 = _mm512_fmadd_ps(qt, _mm512_loadu_ps(k), acc0);
        acc1 = _mm512_fmadd_ps(qt, _mm512_loadu_ps(k + 16), acc1);
        acc2 = _mm512_fmadd_ps(qt, _mm512_loadu_ps(k + 32), acc2);
        acc3 = _mm512_fmadd_ps(qt, _mm512_loadu_ps(k + 48), acc3);
      }
      _mm512_storeu_ps(s + j, acc0);
      _mm512_storeu_ps(s + j + 16, acc1);
      _mm512_storeu_ps(s + j + 32, acc2);
      _mm512_storeu_ps(s + j + 48, acc3);
    }
    for (; j < padded; j += 16) {
      __m512 acc = _mm512_setzero_ps();
      for (int t = 0; t < d; t++)
        acc = _mm512_fmadd_ps(_mm512_set1_ps(q[t]), _mm512_loadu_ps(keysT + static_cast<size_t>(t) * padded + j), acc);
      _mm512_storeu_ps(s + j, acc);
    }
    float max = -INFINITY;
#pragma omp simd reduction(max : max)
    for (int k = 0; k < length; k++) {
      s[k] *= scale;
      max = std::max(max, s[k]);
    }
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int k = 0; k < length; k++) {
      s[k] = expf(s[k] - max);
      sum += s[k];
    }
    const float inv = 1.0f / sum;
#pragma omp simd
    for (int k = 0; k < length; k++) s[k] *= inv;
  }
  // ctx rows, four at a time so that each value row loaded serves four accumulators.
  int i = 0;
  for (; i + 4 <= length; i += 4) {
    __m512 acc[4][Chunks];
    for (int r = 0; r < 4; r++)
      for (int c = 0; c < Chunks; c++) acc[r][c] = _mm512_setzero_ps();
    const float* p = scores + static_cast<size_t>(i) * padded;
    for (int k = 0; k < length; k++) {
      const float* v = qkv + k * stride + 2 * width + column;
      __m512 vc[Chunks];
      for (int c = 0; c < Chunks; c++) vc[c] = _mm512_loadu_ps(v + 16 * c);
      for (int r = 0; r < 4; r++) {
        const __m512 pr = _mm512_set1_ps(p[static_cast<size_t>(r) * padded + k]);
        for (int c = 0; c < Chunks; c++) acc[r][c] = _mm512_fmadd_ps(pr, vc[c], acc[r][c]);
      }
    }
    for (int r = 0; r < 4; r++)
      for (int c = 0; c < Chunks; c++) _mm512_storeu_ps(ctx + static_cast<size_t>(i + r) * ctxStride + column + 16 * c, acc[r][c]);
  }
  for (; i < length; i++) {
    __m512 acc[Chunks];
    for (int c = 0; c < Chunks; c++) acc[c] = _mm512_setzero_ps();
    const float* p = scores + static_cast<size_t>(i) * padded;
    for (int k = 0; k < length; k++) {
      const float* v = qkv + k * stride + 2 * width + column;
      const __m512 pk = _mm512_set1_ps(p[k]);
      for (int c = 0; c < Chunks; c++) acc[c] = _mm512_fmadd_ps(pk, _mm512_loadu_ps(v + 16 * c), acc[c]);
    }
    for (int c = 0; c < Chunks; c++) _mm512_storeu_ps(ctx + static_cast<size_t>(i) * ctxStride + column + 16 * c, acc[c]);
  }
}

void attendAll(const Model& model, const Layer& layer, const int32_t* lengths, int sequences, Workspace& ws) {
  const int d = model.headDim, width = layer.heads * d;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  size_t row = 0;
  for (int s = 0; s < sequences; s++) {
    const int length = lengths[s];
    const float* qkv = ws.qkv.data() + row * 3 * width;
    float* ctx = ws.ctx.data() + row * width;
    for (int h = 0; h < layer.heads; h++) {
      const int column = h * d;
      switch (d / 16) {
        case 1: attendHead<1>(qkv, width, column, length, scale, ctx, width, ws.scores.data(), ws.keysT.data()); break;
        case 2: attendHead<2>(qkv, width, column, length, scale, ctx, width, ws.scores.data(), ws.keysT.data()); break;
        case 3: attendHead<3>(qkv, width, column, length, scale, ctx, width, ws.scores.data(), ws.keysT.data()); break;
        default: attendHead<4>(qkv, width, column, length, scale, ctx, width, ws.scores.data(), ws.keysT.data()); break;
      }
    }
    row += length;
  }
}

template <typename Vector>
void ensure(Vector& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

// The whole encoder over `sequences` consecutive sequences whose token ids are packed in `ids`; writes one
// pooled (and, if the model says so, L2-normalised) vector of `hidden` floats per sequence to `out`.
void encodeGroup(const Model& model, const int32_t* ids, const int32_t* types, const int32_t* lengths, int sequences,
                 float* out, Workspace& ws) {
  const bool amx = support.kernel == kKernelAmx;
  auto product = [amx](const uint16_t* a, int rows, const Packed& w, float* c) {
    if (amx) matmul(a, rows, w, c);
    else matmulDot(a, rows, w, c);
  };
  const int hidden = model.hidden;
  size_t tokens = 0;
  int longest = 0;
  for (int s = 0; s < sequences; s++) {
    tokens += lengths[s];
    longest = std::max(longest, lengths[s]);
  }
  if (sequences == 0) return;
  const int rows = static_cast<int>((tokens + 31) & ~static_cast<size_t>(31));
  int widest = hidden, innerMost = 0;
  for (const Layer& l : model.layers) {
    widest = std::max(widest, l.heads * model.headDim);
    innerMost = std::max(innerMost, l.inter);
  }
  const size_t r = rows;
  ensure(ws.x, r * hidden);
  ensure(ws.tmp, r * hidden);
  ensure(ws.qkv, r * 3 * widest);
  ensure(ws.ctx, r * widest);
  ensure(ws.inter, r * innerMost);
  ensure(ws.xb, r * hidden);
  ensure(ws.ctxb, r * widest);
  ensure(ws.interb, r * innerMost);
  const size_t padded = (longest + 15) & ~15;
  ensure(ws.scores, padded * padded);
  ensure(ws.keysT, padded * model.headDim);
  float* x = ws.x.data();

  // Embeddings: word + position + token type 0, then LayerNorm; padding rows stay zero.
  std::fill(x, x + r * hidden, 0.0f);
  size_t row = 0;
  for (int s = 0; s < sequences; s++) {
    for (int t = 0; t < lengths[s]; t++, row++) {
      const float* w = model.words.data() + static_cast<size_t>(ids[row]) * hidden;
      const float* p = model.positionTable.data() + static_cast<size_t>(t) * hidden;
      float* xr = x + row * hidden;
      const float* tt = model.tokenTypes.data() + static_cast<size_t>(types ? types[row] : 0) * hidden;
#pragma omp simd
      for (int j = 0; j < hidden; j++) xr[j] = w[j] + p[j] + tt[j];
    }
  }
  addNormRows(x, nullptr, nullptr, model.embGamma.data(), model.embBeta.data(), static_cast<int>(tokens), hidden, model.eps);

  if (amx) configureTiles();
  for (const Layer& layer : model.layers) {
    const int width = layer.heads * model.headDim;
    roundRows(x, ws.xb.data(), r * hidden);
    product(ws.xb.data(), rows, layer.qkv, ws.qkv.data());
    addBiasRows(ws.qkv.data(), layer.qkvBias.data(), static_cast<int>(tokens), 3 * width);
    if (tokens < r) std::fill(ws.ctx.data() + tokens * width, ws.ctx.data() + r * width, 0.0f);
    attendAll(model, layer, lengths, sequences, ws);
    roundRows(ws.ctx.data(), ws.ctxb.data(), r * width);
    product(ws.ctxb.data(), rows, layer.attnOut, ws.tmp.data());
    addNormRows(ws.tmp.data(), layer.attnOutBias.data(), x, layer.norm1Gamma.data(), layer.norm1Beta.data(),
                static_cast<int>(tokens), hidden, model.eps);
    std::swap(ws.tmp, ws.x);
    x = ws.x.data();
    roundRows(x, ws.xb.data(), r * hidden);
    product(ws.xb.data(), rows, layer.up, ws.inter.data());
    biasGeluRows(ws.inter.data(), layer.upBias.data(), rows, layer.inter);
    roundRows(ws.inter.data(), ws.interb.data(), r * layer.inter);
    product(ws.interb.data(), rows, layer.down, ws.tmp.data());
    addNormRows(ws.tmp.data(), layer.downBias.data(), x, layer.norm2Gamma.data(), layer.norm2Beta.data(),
                static_cast<int>(tokens), hidden, model.eps);
    std::swap(ws.tmp, ws.x);
    x = ws.x.data();
  }
  if (amx) _tile_release();

  row = 0;
  std::vector<float> pooled(model.labels ? hidden : 0), noTokens(model.labels ? hidden : 0, 0.0f);
  for (int s = 0; s < sequences; s++) {
    const int length = lengths[s];
    if (model.labels) {
      // Cross-encoder head on the [CLS] row: tanh(pooler) then the classifier, in float32.
      const float* cls = length ? x + row * hidden : noTokens.data();
      for (int i = 0; i < hidden; i++) {
        // Explicit lanes, so the order of the sum is fixed (a vectorised reduction may peel differently).
        const float* w = model.pooler.data() + static_cast<size_t>(i) * hidden;
        __m512 acc = _mm512_setzero_ps();
        for (int j = 0; j < hidden; j += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(w + j), _mm512_loadu_ps(cls + j), acc);
        pooled[i] = std::tanh(model.poolerBias[i] + _mm512_reduce_add_ps(acc));
      }
      float* o = out + static_cast<size_t>(s) * model.labels;
      for (int l = 0; l < model.labels; l++) {
        const float* w = model.classifier.data() + static_cast<size_t>(l) * hidden;
        float sum = model.classifierBias[l];
        for (int j = 0; j < hidden; j++) sum += w[j] * pooled[j];
        o[l] = sum;
      }
      row += length;
      continue;
    }
    float* o = out + static_cast<size_t>(s) * hidden;
    if (model.clsPooling || length == 0) {
      if (length == 0) std::fill(o, o + hidden, 0.0f);
      else std::memcpy(o, x + row * hidden, sizeof(float) * hidden);
    } else {
      std::fill(o, o + hidden, 0.0f);
      for (int t = 0; t < length; t++) {
        const float* xr = x + (row + t) * hidden;
#pragma omp simd
        for (int j = 0; j < hidden; j++) o[j] += xr[j];
      }
      const float inv = 1.0f / length;
#pragma omp simd
      for (int j = 0; j < hidden; j++) o[j] *= inv;
    }
    if (model.normalize) {
      float sq = 0;
      for (int j = 0; j < hidden; j++) sq += o[j] * o[j];
      const float inv = sq > 0 ? 1.0f / std::sqrt(sq) : 0.0f;
      for (int j = 0; j < hidden; j++) o[j] *= inv;
    }
    row += length;
  }
}

#pragma GCC pop_options

// --- N-API glue ----------------------------------------------------------------------------------------

napi_value fail(napi_env env, const std::string& message) {
  napi_throw_error(env, "E_NATIVE_ENCODER", message.c_str());
  return nullptr;
}

bool property(napi_env env, napi_value object, const char* name, napi_value* value) {
  bool has = false;
  return napi_has_named_property(env, object, name, &has) == napi_ok && has &&
         napi_get_named_property(env, object, name, value) == napi_ok;
}

bool intProperty(napi_env env, napi_value object, const char* name, int* out) {
  napi_value v;
  return property(env, object, name, &v) && napi_get_value_int32(env, v, out) == napi_ok;
}

template <typename T>
bool typedArray(napi_env env, napi_value value, napi_typedarray_type want, T** data, size_t* length) {
  bool is = false;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  void* raw;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, &buffer, &offset) != napi_ok || type != want) return false;
  *data = static_cast<T*>(raw);
  return true;
}

// Copies a Float32Array property of exactly `expected` floats (any length when expected is 0).
bool floats(napi_env env, napi_value object, const char* name, size_t expected, std::vector<float>* out, std::string* error) {
  napi_value v;
  float* data;
  size_t length;
  if (!property(env, object, name, &v) || !typedArray(env, v, napi_float32_array, &data, &length)) {
    *error = std::string(name) + " must be a Float32Array";
    return false;
  }
  if (expected && length != expected) {
    *error = std::string(name) + " has " + std::to_string(length) + " floats, not " + std::to_string(expected);
    return false;
  }
  out->assign(data, data + length);
  return true;
}

bool linear(napi_env env, napi_value object, const char* name, int outF, int inF, Packed* out, std::string* error) {
  std::vector<float> w;
  if (!floats(env, object, name, static_cast<size_t>(outF) * inF, &w, error)) return false;
  if (outF % 16 != 0 || inF % 32 != 0) {
    *error = std::string(name) + " is " + std::to_string(outF) + " × " + std::to_string(inF) +
             "; the AMX kernel needs outputs % 16 == 0 and inputs % 32 == 0";
    return false;
  }
  *out = packLinear(w.data(), outF, inF);
  return true;
}

void deleteModel(napi_env, void* data, void*) { delete static_cast<Model*>(data); }

// createModel({hidden, headDim, vocab, positions, eps, clsPooling, normalize, words, positionTable, tokenTypes,
//   embGamma, embBeta, head?: {labels, pooler, poolerBias, classifier, classifierBias}, layers: [{heads,
//   inter, qkv, qkvBias, attnOut, attnOutBias, norm1Gamma, norm1Beta, up, upBias, down, downBias,
//   norm2Gamma, norm2Beta}]}) → an opaque model. Weights are [out × in] float32; qkv is the query, key and
// value weights stacked ([3 · heads · headDim × hidden]); tokenTypes is the token-type table, one row or more.
napi_value CreateModel(napi_env env, napi_callback_info info) {
  if (!support.available) return fail(env, "the bfloat16 encoder is unavailable: " + support.reason);
  size_t argc = 1;
  napi_value spec;
  napi_get_cb_info(env, info, &argc, &spec, nullptr, nullptr);
  auto model = std::make_unique<Model>();
  std::string error;
  double eps = 0;
  napi_value v;
  bool cls = false, normalize = true;
  if (argc != 1 || !intProperty(env, spec, "hidden", &model->hidden) || !intProperty(env, spec, "headDim", &model->headDim) ||
      !intProperty(env, spec, "vocab", &model->vocab) || !intProperty(env, spec, "positions", &model->positions) ||
      !property(env, spec, "eps", &v) || napi_get_value_double(env, v, &eps) != napi_ok ||
      !property(env, spec, "clsPooling", &v) || napi_get_value_bool(env, v, &cls) != napi_ok ||
      !property(env, spec, "normalize", &v) || napi_get_value_bool(env, v, &normalize) != napi_ok)
    return fail(env, "createModel: hidden, headDim, vocab, positions, eps, clsPooling and normalize are required");
  model->eps = static_cast<float>(eps);
  model->clsPooling = cls;
  model->normalize = normalize;
  const int h = model->hidden, d = model->headDim;
  if (h <= 0 || h % 32 != 0 || d <= 0 || d % 16 != 0 || d > 64)
    return fail(env, "createModel: the kernel needs hidden % 32 == 0 and a head size of 16, 32, 48 or 64");
  if (!floats(env, spec, "words", static_cast<size_t>(model->vocab) * h, &model->words, &error) ||
      !floats(env, spec, "positionTable", static_cast<size_t>(model->positions) * h, &model->positionTable, &error) ||
      !floats(env, spec, "tokenTypes", 0, &model->tokenTypes, &error) || !floats(env, spec, "embGamma", h, &model->embGamma, &error) ||
      !floats(env, spec, "embBeta", h, &model->embBeta, &error))
    return fail(env, "createModel: " + error);
  if (model->tokenTypes.empty() || model->tokenTypes.size() % h != 0)
    return fail(env, "createModel: tokenTypes must hold whole rows of hidden floats");
  model->typeRows = static_cast<int>(model->tokenTypes.size() / h);
  napi_value head;
  if (property(env, spec, "head", &head)) {
    napi_valuetype kind;
    napi_typeof(env, head, &kind);
    if (kind == napi_object) {
      if (!intProperty(env, head, "labels", &model->labels) || model->labels <= 0)
        return fail(env, "createModel: head.labels must be a positive integer");
      if (!floats(env, head, "pooler", static_cast<size_t>(h) * h, &model->pooler, &error) ||
          !floats(env, head, "poolerBias", h, &model->poolerBias, &error) ||
          !floats(env, head, "classifier", static_cast<size_t>(model->labels) * h, &model->classifier, &error) ||
          !floats(env, head, "classifierBias", model->labels, &model->classifierBias, &error))
        return fail(env, "createModel: head: " + error);
    }
  }
  napi_value layers;
  uint32_t count = 0;
  if (!property(env, spec, "layers", &layers) || napi_get_array_length(env, layers, &count) != napi_ok)
    return fail(env, "createModel: layers must be an array");
  for (uint32_t i = 0; i < count; i++) {
    napi_value l;
    napi_get_element(env, layers, i, &l);
    Layer layer;
    if (!intProperty(env, l, "heads", &layer.heads) || !intProperty(env, l, "inter", &layer.inter) || layer.heads <= 0 ||
        layer.inter <= 0)
      return fail(env, "createModel: layer " + std::to_string(i) + " needs positive heads and inter");
    const int width = layer.heads * d;
    if (!linear(env, l, "qkv", 3 * width, h, &layer.qkv, &error) || !floats(env, l, "qkvBias", 3 * width, &layer.qkvBias, &error) ||
        !linear(env, l, "attnOut", h, width, &layer.attnOut, &error) ||
        !floats(env, l, "attnOutBias", h, &layer.attnOutBias, &error) ||
        !floats(env, l, "norm1Gamma", h, &layer.norm1Gamma, &error) || !floats(env, l, "norm1Beta", h, &layer.norm1Beta, &error) ||
        !linear(env, l, "up", layer.inter, h, &layer.up, &error) || !floats(env, l, "upBias", layer.inter, &layer.upBias, &error) ||
        !linear(env, l, "down", h, layer.inter, &layer.down, &error) ||
        !floats(env, l, "downBias", h, &layer.downBias, &error) ||
        !floats(env, l, "norm2Gamma", h, &layer.norm2Gamma, &error) || !floats(env, l, "norm2Beta", h, &layer.norm2Beta, &error))
      return fail(env, "createModel: layer " + std::to_string(i) + ": " + error);
    model->layers.push_back(std::move(layer));
  }
  napi_value external;
  Model* raw = model.release();
  if (napi_create_external(env, raw, deleteModel, nullptr, &external) != napi_ok) {
    delete raw;
    return fail(env, "createModel: could not wrap the model");
  }
  return external;
}

struct EncodeJob {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  napi_ref modelRef = nullptr, idsRef = nullptr, typesRef = nullptr, lengthsRef = nullptr, outRef = nullptr;
  Model* model = nullptr;
  const int32_t* ids = nullptr;
  const int32_t* types = nullptr;
  const int32_t* lengths = nullptr;
  float* out = nullptr;
  int sequences = 0, threads = 1;
};

void executeEncode(napi_env, void* data) {
  EncodeJob& job = *static_cast<EncodeJob*>(data);
  Model& model = *job.model;
  std::lock_guard<std::mutex> lock(model.busy);
  // Contiguous groups of about equal token counts, one per thread.
  size_t total = 0;
  for (int s = 0; s < job.sequences; s++) total += job.lengths[s];
  const int parts = std::max(1, std::min(job.threads, job.sequences));
  std::vector<int> starts(parts + 1, job.sequences);
  starts[0] = 0;
  size_t seen = 0;
  int part = 1;
  for (int s = 0; s < job.sequences && part < parts; s++) {
    seen += job.lengths[s];
    if (seen * parts >= total * part) starts[part++] = s + 1;
  }
  if (model.workspaces.size() < static_cast<size_t>(parts)) model.workspaces.resize(parts);
  std::vector<size_t> tokenStart(parts + 1, 0);
  for (int p = 0, s = 0; p < parts; p++) {
    size_t t = tokenStart[p];
    for (; s < starts[p + 1]; s++) t += job.lengths[s];
    tokenStart[p + 1] = t;
  }
  auto run = [&](int p) {
    const int first = starts[p], n = starts[p + 1] - starts[p];
    encodeGroup(model, job.ids + tokenStart[p], job.types ? job.types + tokenStart[p] : nullptr, job.lengths + first, n,
                job.out + static_cast<size_t>(first) * model.outWidth(), model.workspaces[p]);
  };
  std::vector<std::thread> pool;
  for (int p = 1; p < parts; p++) pool.emplace_back(run, p);
  run(0);
  for (auto& t : pool) t.join();
}

void completeEncode(napi_env env, napi_status status, void* data) {
  EncodeJob* job = static_cast<EncodeJob*>(data);
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  if (status == napi_ok) {
    napi_resolve_deferred(env, job->deferred, undefined);
  } else {
    napi_value message, error;
    napi_create_string_utf8(env, "the encode was cancelled", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, nullptr, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  }
  napi_delete_reference(env, job->modelRef);
  napi_delete_reference(env, job->idsRef);
  if (job->typesRef) napi_delete_reference(env, job->typesRef);
  napi_delete_reference(env, job->lengthsRef);
  napi_delete_reference(env, job->outRef);
  napi_delete_async_work(env, job->work);
  delete job;
}

// encode(model, ids: Int32Array, types: Int32Array | null, lengths: Int32Array, out: Float32Array, threads)
// → Promise<void>. The ids (and token types, null for all 0) of all sequences back to back; out receives one
// row per sequence: the pooled vector (`hidden` floats) or, with a classifier head, its `labels` logits.
napi_value Encode(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  void* raw = nullptr;
  int32_t *ids, *lengths, *types = nullptr;
  float* out;
  size_t idCount, sequenceCount, outCount, typeCount = 0;
  int threads = 1;
  napi_valuetype typesKind = napi_undefined;
  if (argc == 6) napi_typeof(env, argv[2], &typesKind);
  if (argc != 6 || napi_get_value_external(env, argv[0], &raw) != napi_ok || raw == nullptr ||
      !typedArray(env, argv[1], napi_int32_array, &ids, &idCount) ||
      (typesKind != napi_null && !typedArray(env, argv[2], napi_int32_array, &types, &typeCount)) ||
      !typedArray(env, argv[3], napi_int32_array, &lengths, &sequenceCount) ||
      !typedArray(env, argv[4], napi_float32_array, &out, &outCount) || napi_get_value_int32(env, argv[5], &threads) != napi_ok ||
      threads < 1)
    return fail(env,
                "encode(model, ids: Int32Array, types: Int32Array | null, lengths: Int32Array, out: Float32Array, threads ≥ 1): "
                "bad arguments");
  Model* model = static_cast<Model*>(raw);
  if (types && typeCount != idCount) return fail(env, "encode: types must hold one token type per id");
  for (size_t i = 0; types && i < typeCount; i++)
    if (types[i] < 0 || types[i] >= model->typeRows)
      return fail(env, "encode: token type " + std::to_string(types[i]) + " is outside the model's " +
                           std::to_string(model->typeRows) + " types");
  size_t total = 0;
  for (size_t s = 0; s < sequenceCount; s++) {
    if (lengths[s] < 0 || lengths[s] > model->positions)
      return fail(env, "encode: sequence " + std::to_string(s) + " has " + std::to_string(lengths[s]) + " tokens; the model has " +
                           std::to_string(model->positions) + " positions");
    total += lengths[s];
  }
  if (total != idCount) return fail(env, "encode: the lengths sum to " + std::to_string(total) + ", not the " + std::to_string(idCount) + " ids");
  for (size_t i = 0; i < idCount; i++)
    if (ids[i] < 0 || ids[i] >= model->vocab) return fail(env, "encode: token id " + std::to_string(ids[i]) + " is outside the vocabulary");
  if (outCount != sequenceCount * model->outWidth())
    return fail(env, "encode: out must hold one row of " + std::to_string(model->outWidth()) + " floats per sequence");

  auto* job = new EncodeJob();
  job->model = model;
  job->ids = ids;
  job->types = types;
  job->lengths = lengths;
  job->out = out;
  job->sequences = static_cast<int>(sequenceCount);
  job->threads = threads;
  napi_create_reference(env, argv[0], 1, &job->modelRef);
  napi_create_reference(env, argv[1], 1, &job->idsRef);
  if (types) napi_create_reference(env, argv[2], 1, &job->typesRef);
  napi_create_reference(env, argv[3], 1, &job->lengthsRef);
  napi_create_reference(env, argv[4], 1, &job->outRef);
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "sift.encode", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, nullptr, name, executeEncode, completeEncode, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value out, value;
  napi_create_object(env, &out);
  napi_get_boolean(env, support.available, &value);
  napi_set_named_property(env, out, "available", value);
  napi_create_string_utf8(env, kKernelNames[support.kernel], NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, out, "variant", value);
  napi_create_string_utf8(env, support.reason.c_str(), NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, out, "reason", value);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  support = probeSupport();
  napi_property_descriptor props[] = {
      {"createModel", nullptr, CreateModel, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"encode", nullptr, Encode, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
