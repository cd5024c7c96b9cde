// sift's training math kernel: single-precision matrix products (sgemm) for the TypeScript training
// engine (src/train/), run by the machine's BLAS.
//
// OpenBLAS is opened at run time with dlopen, not linked: the addon then builds on any machine with a C++
// compiler (no BLAS headers or libraries needed at install), and where no BLAS is installed the engine
// reports why and falls back to its TypeScript matrix product. OpenBLAS picks its kernels for the CPU at
// run time (Haswell/Zen AVX2 here, SkylakeX AVX-512 elsewhere), so this file has no SIMD code of its own.

#include <dlfcn.h>
#include <node_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

// CBLAS constants (cblas.h): row-major order, no-transpose / transpose.
constexpr int kRowMajor = 101;
constexpr int kNoTrans = 111;
constexpr int kTrans = 112;

using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float,
                         float*, int);
using SetThreadsFn = void (*)(int);
using GetIntFn = int (*)();
using GetConfigFn = char* (*)();

struct Blas {
  void* handle = nullptr;
  SgemmFn sgemm = nullptr;
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

bool floatArray(napi_env env, napi_value value, float** data, size_t* length) {
  bool is = false;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  void* raw;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, &buffer, &offset) != napi_ok) return false;
  if (type != napi_float32_array) return false;
  *data = static_cast<float*>(raw);
  return true;
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

// sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc): row-major C = α·op(A)·op(B) + β·C.
// The arrays may be subarray views (their byte offset is already in the data pointer). Every extent is
// checked against the array lengths, so a wrong shape throws instead of reading out of bounds.
napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 13) return fail(env, "sgemm takes 13 arguments");
  if (!blas.sgemm) return fail(env, "no BLAS is loaded");
  bool ta, tb;
  int m, n, k, lda, ldb, ldc;
  float alpha, beta;
  float *a, *b, *c;
  size_t la, lb, lc;
  if (napi_get_value_bool(env, argv[0], &ta) != napi_ok || napi_get_value_bool(env, argv[1], &tb) != napi_ok ||
      !intArg(env, argv[2], &m) || !intArg(env, argv[3], &n) || !intArg(env, argv[4], &k) ||
      !floatArg(env, argv[5], &alpha) || !floatArray(env, argv[6], &a, &la) || !intArg(env, argv[7], &lda) ||
      !floatArray(env, argv[8], &b, &lb) || !intArg(env, argv[9], &ldb) || !floatArg(env, argv[10], &beta) ||
      !floatArray(env, argv[11], &c, &lc) || !intArg(env, argv[12], &ldc)) {
    return fail(env, "sgemm: bad argument types");
  }
  if (m <= 0 || n <= 0 || k <= 0) return nullptr;
  // Rows × row stride of each operand as stored (row-major): op(A) is m×k, so A is m×k or k×m.
  const int64_t aRows = ta ? k : m, aCols = ta ? m : k;
  const int64_t bRows = tb ? n : k, bCols = tb ? k : n;
  if (lda < aCols || ldb < bCols || ldc < n) return fail(env, "sgemm: leading dimension too small");
  if (static_cast<int64_t>(la) < (aRows - 1) * lda + aCols || static_cast<int64_t>(lb) < (bRows - 1) * ldb + bCols ||
      static_cast<int64_t>(lc) < (static_cast<int64_t>(m) - 1) * ldc + n) {
    return fail(env, "sgemm: an array is shorter than its shape");
  }
  blas.sgemm(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c,
             ldc);
  return nullptr;
}

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

int elementThreads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

// Exact GELU, y = x·Φ(x) with Φ(x) = ½(1 + erf(x/√2)), BERT's "gelu". Element-wise work is a third or more of
// a layer's time in JavaScript (erf has no Math builtin), so it runs here with libm's erff.
napi_value Gelu(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *x, *y;
  size_t lx, ly;
  if (argc != 2 || !floatArray(env, argv[0], &x, &lx) || !floatArray(env, argv[1], &y, &ly) || ly < lx)
    return fail(env, "gelu(x, y) takes two Float32Arrays, y at least as long as x");
  parallelFor(lx, elementThreads, [=](size_t begin, size_t end) {
    for (size_t i = begin; i < end; i++) y[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * static_cast<float>(M_SQRT1_2)));
  });
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
  const float invSqrt2Pi = static_cast<float>(0.5 * M_2_SQRTPI * M_SQRT1_2);
  parallelFor(lx, elementThreads, [=](size_t begin, size_t end) {
    for (size_t i = begin; i < end; i++) {
      const float v = x[i];
      const float cdf = 0.5f * (1.0f + std::erf(v * static_cast<float>(M_SQRT1_2)));
      dx[i] = dy[i] * (cdf + v * invSqrt2Pi * std::exp(-0.5f * v * v));
    }
  });
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
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gelu", nullptr, Gelu, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"geluBackward", nullptr, GeluBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
