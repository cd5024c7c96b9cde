// sift's training math kernel: single-precision matrix products (sgemm) for the TypeScript training
// engine (src/train/), and the double-precision products, Cholesky factorisation and triangular solves that
// structured pruning needs (src/compress/linalg.ts), run by the machine's BLAS and LAPACK.
//
// OpenBLAS is opened at run time with dlopen, not linked: the addon then builds on any machine with a C++
// compiler (no BLAS headers or libraries needed at install), and where no BLAS is installed the engine
// reports why and falls back to its TypeScript matrix product. OpenBLAS picks its kernels for the CPU at
// run time (Haswell/Zen AVX2 here, SkylakeX AVX-512 elsewhere), so this file has no SIMD code of its own.

#include <dlfcn.h>
#include <node_api.h>

#include <algorithm>
#include <math.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

// CBLAS constants (cblas.h): row-major order, no-transpose / transpose.
constexpr int kRowMajor = 101;
constexpr int kNoTrans = 111;
constexpr int kTrans = 112;

using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float,
                         float*, int);
using DgemmFn = void (*)(int, int, int, int, int, int, double, const double*, int, const double*, int, double,
                         double*, int);
// cblas_dtrsm(order, side, uplo, trans, diag, m, n, alpha, a, lda, b, ldb).
using DtrsmFn = void (*)(int, int, int, int, int, int, int, double, const double*, int, double*, int);
// LAPACK's Fortran dpotrf_(uplo, n, a, lda, info), with gfortran's hidden length of the `uplo` string.
using DpotrfFn = void (*)(const char*, const int*, double*, const int*, int*, size_t);
using SetThreadsFn = void (*)(int);
using GetIntFn = int (*)();
using GetConfigFn = char* (*)();

struct Blas {
  void* handle = nullptr;
  SgemmFn sgemm = nullptr;
  // Optional: a BLAS without them still serves training; pruning then factorises in TypeScript.
  DgemmFn dgemm = nullptr;
  DtrsmFn dtrsm = nullptr;
  DpotrfFn dpotrf = nullptr;
  SetThreadsFn setThreads = nullptr;
  GetIntFn getThreads = nullptr;
  GetConfigFn getConfig = nullptr;
  GetIntFn getCorename = nullptr;
  std::string library;
  std::string error;
};

Blas blas;

void openBlas() {
  // OpenBLAS first (its own threading and CPU dispatch); the reference libblas.so.3 is often only a
  // Fortran BLAS without cblas_sgemm, and even when it has one it is far slower.
  const char* candidates[] = {"libopenblas.so.0", "libopenblas.so", "libopenblasp-r0.so"};
  std::string errors;
  for (const char* name : candidates) {
    void* h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* e = dlerror();
      errors += std::string(e ? e : name) + "; ";
      continue;
    }
    auto fn = reinterpret_cast<SgemmFn>(dlsym(h, "cblas_sgemm"));
    if (!fn) {
      errors += std::string(name) + ": no cblas_sgemm; ";
      dlclose(h);
      continue;
    }
    blas.handle = h;
    blas.sgemm = fn;
    blas.dgemm = reinterpret_cast<DgemmFn>(dlsym(h, "cblas_dgemm"));
    blas.dtrsm = reinterpret_cast<DtrsmFn>(dlsym(h, "cblas_dtrsm"));
    blas.dpotrf = reinterpret_cast<DpotrfFn>(dlsym(h, "dpotrf_"));
    blas.setThreads = reinterpret_cast<SetThreadsFn>(dlsym(h, "openblas_set_num_threads"));
    blas.getThreads = reinterpret_cast<GetIntFn>(dlsym(h, "openblas_get_num_threads"));
    blas.getConfig = reinterpret_cast<GetConfigFn>(dlsym(h, "openblas_get_config"));
    blas.library = name;
    return;
  }
  blas.error = errors;
}

napi_value fail(napi_env env, const char* message) {
  napi_throw_type_error(env, "E_BAD_ARGUMENT", message);
  return nullptr;
}

// A Float32Array (T = float) or Float64Array (T = double) argument's data and length; false for anything else.
template <typename T>
bool typedArray(napi_env env, napi_value value, T** data, size_t* length) {
  constexpr napi_typedarray_type want = std::is_same_v<T, float> ? napi_float32_array : napi_float64_array;
  bool is = false;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  void* raw;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, &buffer, &offset) != napi_ok) return false;
  if (type != want) return false;
  *data = static_cast<T*>(raw);
  return true;
}

bool floatArray(napi_env env, napi_value value, float** data, size_t* length) {
  return typedArray(env, value, data, length);
}

bool doubleArray(napi_env env, napi_value value, double** data, size_t* length) {
  return typedArray(env, value, data, length);
}

bool intArg(napi_env env, napi_value value, int* out) {
  return napi_get_value_int32(env, value, out) == napi_ok;
}

bool floatArg(napi_env env, napi_value value, float* out) {
  double v;
  if (napi_get_value_double(env, value, &v) != napi_ok) return false;
  *out = static_cast<float>(v);
  return true;
}

// sgemm / dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc): row-major
// C = α·op(A)·op(B) + β·C on Float32Arrays / Float64Arrays. The arrays may be subarray views (their byte
// offset is already in the data pointer). Every extent is checked against the array lengths, so a wrong
// shape throws instead of reading out of bounds. With k = 0, C = β·C (β = 0 sets it to zero, as BLAS does).
template <typename T, typename Fn>
napi_value Gemm(napi_env env, napi_callback_info info, const std::string& name, Fn fn) {
  size_t argc = 13;
  napi_value argv[13];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 13) return fail(env, (name + " takes 13 arguments").c_str());
  if (!fn) return fail(env, ("the loaded BLAS has no cblas_" + name).c_str());
  bool ta, tb;
  int m, n, k, lda, ldb, ldc;
  double alpha, beta;
  T *a, *b, *c;
  size_t la, lb, lc;
  if (napi_get_value_bool(env, argv[0], &ta) != napi_ok || napi_get_value_bool(env, argv[1], &tb) != napi_ok ||
      !intArg(env, argv[2], &m) || !intArg(env, argv[3], &n) || !intArg(env, argv[4], &k) ||
      napi_get_value_double(env, argv[5], &alpha) != napi_ok || !typedArray(env, argv[6], &a, &la) ||
      !intArg(env, argv[7], &lda) || !typedArray(env, argv[8], &b, &lb) || !intArg(env, argv[9], &ldb) ||
      napi_get_value_double(env, argv[10], &beta) != napi_ok || !typedArray(env, argv[11], &c, &lc) ||
      !intArg(env, argv[12], &ldc)) {
    return fail(env, (name + ": bad argument types").c_str());
  }
  if (m <= 0 || n <= 0) return nullptr;
  if (ldc < n || static_cast<int64_t>(lc) < (static_cast<int64_t>(m) - 1) * ldc + n) {
    return fail(env, (name + ": C is shorter than its shape").c_str());
  }
  if (k <= 0) {
    for (int r = 0; r < m; r++)
      for (int j = 0; j < n; j++) {
        T& v = c[static_cast<size_t>(r) * ldc + j];
        v = beta == 0 ? T(0) : static_cast<T>(beta) * v;
      }
    return nullptr;
  }
  // Rows × row stride of each operand as stored (row-major): op(A) is m×k, so A is m×k or k×m.
  const int64_t aRows = ta ? k : m, aCols = ta ? m : k;
  const int64_t bRows = tb ? n : k, bCols = tb ? k : n;
  if (lda < aCols || ldb < bCols) return fail(env, (name + ": leading dimension too small").c_str());
  if (static_cast<int64_t>(la) < (aRows - 1) * lda + aCols || static_cast<int64_t>(lb) < (bRows - 1) * ldb + bCols) {
    return fail(env, (name + ": an array is shorter than its shape").c_str());
  }
  fn(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, m, n, k, static_cast<T>(alpha), a, lda, b, ldb,
     static_cast<T>(beta), c, ldc);
  return nullptr;
}

napi_value Sgemm(napi_env env, napi_callback_info info) { return Gemm<float>(env, info, "sgemm", blas.sgemm); }

napi_value Dgemm(napi_env env, napi_callback_info info) { return Gemm<double>(env, info, "dgemm", blas.dgemm); }

// Runs body(begin, end) over [0, n) split across `threads` threads (the calling thread takes the first part).
template <typename Body>
void parallelFor(size_t n, int threads, Body body) {
  const size_t minChunk = 1 << 15;  // below this, a thread costs more than it saves
  size_t parts = std::max<size_t>(1, std::min<size_t>(threads, (n + minChunk - 1) / minChunk));
  std::vector<std::thread> pool;
  const size_t chunk = (n + parts - 1) / parts;
  for (size_t p = 1; p < parts; p++) {
    const size_t begin = p * chunk, end = std::min(n, begin + chunk);
    pool.emplace_back([=] { body(begin, end); });
  }
  body(0, std::min(n, chunk));
  for (auto& t : pool) t.join();
}

// Splits `count` independent items (each worth many flops) evenly across `threads` threads.
template <typename Body>
void parallelItems(size_t count, int threads, Body body) {
  const size_t parts = std::max<size_t>(1, std::min<size_t>(threads, count));
  std::vector<std::thread> pool;
  for (size_t p = 1; p < parts; p++) pool.emplace_back([=] { body(count * p / parts, count * (p + 1) / parts); });
  body(0, count / parts);
  for (auto& t : pool) t.join();
}

int elementThreads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

// Element-wise kernels. erff and expf are declared with GCC's simd attribute so that `omp simd` loops call
// glibc's vector math (libmvec: _ZGVeN16v_erff for AVX-512, _ZGVdN8v_erff for AVX2, ...), with errno and
// trapping off (-fno-math-errno -fno-trapping-math) but NaN and infinity kept (no -ffast-math: a NaN must
// reach the loss, where training stops on it). target_clones builds each loop for AVX-512, AVX2 and
// baseline x86-64 and picks one at load time, so one binary runs on every x86-64 CPU.
#if defined(__x86_64__) && defined(__GLIBC__)
extern "C" {
__attribute__((simd("notinbranch"))) float erff(float) noexcept;
__attribute__((simd("notinbranch"))) float expf(float) noexcept;
}
#define SIFT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SIFT_CLONES
#endif

SIFT_CLONES void geluSpan(const float* x, float* y, size_t begin, size_t end) {
#pragma omp simd
  for (size_t i = begin; i < end; i++) y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}

SIFT_CLONES void geluBackwardSpan(const float* x, const float* dy, float* dx, size_t begin, size_t end) {
  const float invSqrt2Pi = 0.39894228040143268f;
#pragma omp simd
  for (size_t i = begin; i < end; i++) {
    const float v = x[i];
    const float cdf = 0.5f * (1.0f + erff(v * 0.70710678118654752f));
    dx[i] = dy[i] * (cdf + v * invSqrt2Pi * expf(-0.5f * v * v));
  }
}

SIFT_CLONES void softmaxRow(float* x, int cols) {
  float max = x[0];
  for (int j = 1; j < cols; j++) max = std::max(max, x[j]);
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int j = 0; j < cols; j++) {
    x[j] = expf(x[j] - max);
    sum += x[j];
  }
  const float inv = 1.0f / sum;
#pragma omp simd
  for (int j = 0; j < cols; j++) x[j] *= inv;
}

SIFT_CLONES void softmaxBackwardRow(const float* p, float* dp, int cols) {
  float dot = 0;
#pragma omp simd reduction(+ : dot)
  for (int j = 0; j < cols; j++) dot += dp[j] * p[j];
#pragma omp simd
  for (int j = 0; j < cols; j++) dp[j] = p[j] * (dp[j] - dot);
}

struct AdamStep {
  float stepSize, beta1, beta2, eps, rootC2, shrink;
};

SIFT_CLONES void adamwSpan(float* w, const float* g, float* m, float* v, AdamStep a, size_t begin, size_t end) {
#pragma omp simd
  for (size_t j = begin; j < end; j++) {
    const float mj = a.beta1 * m[j] + (1.0f - a.beta1) * g[j];
    const float vj = a.beta2 * v[j] + (1.0f - a.beta2) * g[j] * g[j];
    m[j] = mj;
    v[j] = vj;
    w[j] = w[j] * a.shrink - a.stepSize * mj / (sqrtf(vj) / a.rootC2 + a.eps);
  }
}

// Exact GELU, y = x·Φ(x) with Φ(x) = ½(1 + erf(x/√2)), BERT's "gelu" (JavaScript has no erf).
napi_value Gelu(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *x, *y;
  size_t lx, ly;
  if (argc != 2 || !floatArray(env, argv[0], &x, &lx) || !floatArray(env, argv[1], &y, &ly) || ly < lx)
    return fail(env, "gelu(x, y) takes two Float32Arrays, y at least as long as x");
  parallelFor(lx, elementThreads, [=](size_t begin, size_t end) { geluSpan(x, y, begin, end); });
  return nullptr;
}

// dx = dy·(Φ(x) + x·φ(x)), φ the standard normal density.
napi_value GeluBackward(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *x, *dy, *dx;
  size_t lx, ldy, ldx;
  if (argc != 3 || !floatArray(env, argv[0], &x, &lx) || !floatArray(env, argv[1], &dy, &ldy) ||
      !floatArray(env, argv[2], &dx, &ldx) || ldy < lx || ldx < lx)
    return fail(env, "geluBackward(x, dy, dx) takes three Float32Arrays of x's length");
  parallelFor(lx, elementThreads, [=](size_t begin, size_t end) { geluBackwardSpan(x, dy, dx, begin, end); });
  return nullptr;
}

// softmaxRows(x, rows, cols): each row of a row-major matrix replaced by its softmax, in place.
napi_value SoftmaxRows(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float* x;
  size_t lx;
  int rows, cols;
  if (argc != 3 || !floatArray(env, argv[0], &x, &lx) || !intArg(env, argv[1], &rows) ||
      !intArg(env, argv[2], &cols) || rows < 0 || cols <= 0 || lx < static_cast<size_t>(rows) * cols)
    return fail(env, "softmaxRows(x, rows, cols): x must hold rows × cols values");
  for (int r = 0; r < rows; r++) softmaxRow(x + static_cast<size_t>(r) * cols, cols);
  return nullptr;
}

// softmaxBackwardRows(p, dp, rows, cols): dp ← p ⊙ (dp − Σ_j dp·p) per row, in place.
napi_value SoftmaxBackwardRows(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *p, *dp;
  size_t lp, ldp;
  int rows, cols;
  if (argc != 4 || !floatArray(env, argv[0], &p, &lp) || !floatArray(env, argv[1], &dp, &ldp) ||
      !intArg(env, argv[2], &rows) || !intArg(env, argv[3], &cols) || rows < 0 || cols <= 0 ||
      lp < static_cast<size_t>(rows) * cols || ldp < static_cast<size_t>(rows) * cols)
    return fail(env, "softmaxBackwardRows(p, dp, rows, cols): both must hold rows × cols values");
  for (int r = 0; r < rows; r++)
    softmaxBackwardRow(p + static_cast<size_t>(r) * cols, dp + static_cast<size_t>(r) * cols, cols);
  return nullptr;
}

// adamw(w, g, m, v, stepSize, beta1, beta2, eps, rootC2, shrink): one AdamW update of one tensor, in place
// (the formula is in src/train/adamw.ts).
napi_value Adamw(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *w, *g, *m, *v;
  size_t lw, lg, lm, lv;
  AdamStep a;
  if (argc != 10 || !floatArray(env, argv[0], &w, &lw) || !floatArray(env, argv[1], &g, &lg) ||
      !floatArray(env, argv[2], &m, &lm) || !floatArray(env, argv[3], &v, &lv) || lg < lw || lm < lw ||
      lv < lw || !floatArg(env, argv[4], &a.stepSize) || !floatArg(env, argv[5], &a.beta1) ||
      !floatArg(env, argv[6], &a.beta2) || !floatArg(env, argv[7], &a.eps) || !floatArg(env, argv[8], &a.rootC2) ||
      !floatArg(env, argv[9], &a.shrink))
    return fail(env, "adamw(w, g, m, v, stepSize, beta1, beta2, eps, rootC2, shrink): bad arguments");
  parallelFor(lw, elementThreads, [=](size_t begin, size_t end) { adamwSpan(w, g, m, v, a, begin, end); });
  return nullptr;
}

// gemmBatch(transA, transB, alpha, beta, a, b, c, items): many small products in one call, e.g. every
// (batch row, head) of attention. items holds 9 ints per product: m, n, k, aOffset, lda, bOffset, ldb,
// cOffset, ldc (offsets in floats). OpenBLAS would thread each 128×128×32 product across both cores and
// synchronise its threads hundreds of times per layer; here each product runs on one thread and the
// products are split across threads instead, which also keeps working when other processes take cores.
napi_value GemmBatch(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (!blas.sgemm) return fail(env, "no BLAS is loaded");
  bool ta, tb;
  float alpha, beta;
  float *a, *b, *c;
  size_t la, lb, lc, li;
  bool isTyped = false;
  int32_t* items = nullptr;
  if (argc != 8 || napi_get_value_bool(env, argv[0], &ta) != napi_ok ||
      napi_get_value_bool(env, argv[1], &tb) != napi_ok || !floatArg(env, argv[2], &alpha) ||
      !floatArg(env, argv[3], &beta) || !floatArray(env, argv[4], &a, &la) || !floatArray(env, argv[5], &b, &lb) ||
      !floatArray(env, argv[6], &c, &lc) || napi_is_typedarray(env, argv[7], &isTyped) != napi_ok || !isTyped)
    return fail(env, "gemmBatch(transA, transB, alpha, beta, a, b, c, items): bad arguments");
  {
    napi_typedarray_type type;
    napi_value buffer;
    size_t offset;
    void* raw;
    napi_get_typedarray_info(env, argv[7], &type, &li, &raw, &buffer, &offset);
    if (type != napi_int32_array || li % 9 != 0) return fail(env, "gemmBatch: items must be an Int32Array of 9 × count");
    items = static_cast<int32_t*>(raw);
  }
  const size_t count = li / 9;
  for (size_t i = 0; i < count; i++) {
    const int32_t* it = items + 9 * i;
    const int64_t m = it[0], n = it[1], k = it[2], ao = it[3], lda = it[4], bo = it[5], ldb = it[6], co = it[7],
                  ldc = it[8];
    if (m < 0 || n < 0 || k < 0 || ao < 0 || bo < 0 || co < 0) return fail(env, "gemmBatch: negative extent");
    const int64_t aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
    if (m == 0 || n == 0) continue;
    if (lda < aCols || ldb < bCols || ldc < n || (aRows > 0 && ao + (aRows - 1) * lda + aCols > static_cast<int64_t>(la)) ||
        (bRows > 0 && bo + (bRows - 1) * ldb + bCols > static_cast<int64_t>(lb)) ||
        co + (m - 1) * ldc + n > static_cast<int64_t>(lc))
      return fail(env, "gemmBatch: a product reaches outside its array");
  }
  const int threads = elementThreads;
  if (blas.setThreads) blas.setThreads(1);
  parallelItems(count, threads, [=](size_t begin, size_t end) {
    for (size_t i = begin; i < end; i++) {
      const int32_t* it = items + 9 * i;
      if (it[0] == 0 || it[1] == 0) continue;
      if (it[2] == 0) {
        for (int r = 0; r < it[0]; r++)
          for (int j = 0; j < it[1]; j++) c[it[7] + static_cast<size_t>(r) * it[8] + j] *= beta;
        continue;
      }
      blas.sgemm(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, it[0], it[1], it[2], alpha, a + it[3], it[4],
                 b + it[5], it[6], beta, c + it[7], it[8]);
    }
  });
  if (blas.setThreads) blas.setThreads(threads);
  return nullptr;
}

// cholesky(a, n): A = L·Lᵀ in place for a row-major symmetric n × n A, L in the lower triangle (the upper
// triangle is left as it was). Row-major lower is column-major upper, so this is LAPACK's dpotrf with
// uplo 'U'. Returns 0, or the 1-based order of the first leading minor that is not positive definite.
napi_value Cholesky(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 2) return fail(env, "cholesky takes 2 arguments");
  if (!blas.dpotrf) return fail(env, "the loaded BLAS has no LAPACK dpotrf_");
  double* a;
  size_t la;
  int n;
  if (!doubleArray(env, argv[0], &a, &la) || !intArg(env, argv[1], &n)) {
    return fail(env, "cholesky: bad argument types");
  }
  if (n < 0 || static_cast<int64_t>(la) < static_cast<int64_t>(n) * n) {
    return fail(env, "cholesky: the array is shorter than n × n");
  }
  int status = 0;
  if (n > 0) blas.dpotrf("U", &n, a, &n, &status, 1);
  napi_value out;
  napi_create_int32(env, status, &out);
  return out;
}

// lowerSolve(l, n, b, m, transposed): B ← L⁻¹·B (or L⁻ᵀ·B) in place, for the row-major lower-triangular
// n × n L that cholesky leaves and a row-major n × m B.
napi_value LowerSolve(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 5) return fail(env, "lowerSolve takes 5 arguments");
  if (!blas.dtrsm) return fail(env, "the loaded BLAS has no cblas_dtrsm");
  double *l, *b;
  size_t ll, lb;
  int n, m;
  bool transposed;
  if (!doubleArray(env, argv[0], &l, &ll) || !intArg(env, argv[1], &n) || !doubleArray(env, argv[2], &b, &lb) ||
      !intArg(env, argv[3], &m) || napi_get_value_bool(env, argv[4], &transposed) != napi_ok) {
    return fail(env, "lowerSolve: bad argument types");
  }
  if (n < 0 || m < 0 || static_cast<int64_t>(ll) < static_cast<int64_t>(n) * n ||
      static_cast<int64_t>(lb) < static_cast<int64_t>(n) * m) {
    return fail(env, "lowerSolve: an array is shorter than its shape");
  }
  // CBLAS constants: side Left 141, uplo Lower 122, diag NonUnit 131.
  if (n > 0 && m > 0) blas.dtrsm(kRowMajor, 141, 122, transposed ? kTrans : kNoTrans, 131, n, m, 1.0, l, n, b, m);
  return nullptr;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int n;
  if (argc != 1 || !intArg(env, argv[0], &n) || n < 1) return fail(env, "setThreads takes a positive integer");
  if (blas.setThreads) blas.setThreads(n);
  elementThreads = n;
  return nullptr;
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value out, value;
  napi_create_object(env, &out);
  napi_get_boolean(env, blas.sgemm != nullptr, &value);
  napi_set_named_property(env, out, "available", value);
  napi_get_boolean(env, blas.dgemm && blas.dtrsm && blas.dpotrf, &value);
  napi_set_named_property(env, out, "double", value);
  napi_create_string_utf8(env, blas.library.c_str(), NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, out, "library", value);
  napi_create_string_utf8(env, blas.error.c_str(), NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, out, "error", value);
  const char* config = blas.getConfig ? blas.getConfig() : "";
  napi_create_string_utf8(env, config ? config : "", NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, out, "config", value);
  napi_create_int32(env, blas.getThreads ? blas.getThreads() : 0, &value);
  napi_set_named_property(env, out, "threads", value);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  openBlas();
  napi_property_descriptor props[] = {
      {"sgemm", nullptr, Sgemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dgemm", nullptr, Dgemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"cholesky", nullptr, Cholesky, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"lowerSolve", nullptr, LowerSolve, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gemmBatch", nullptr, GemmBatch, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxRows", nullptr, SoftmaxRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxBackwardRows", nullptr, SoftmaxBackwardRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamw", nullptr, Adamw, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gelu", nullptr, Gelu, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"geluBackward", nullptr, GeluBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
