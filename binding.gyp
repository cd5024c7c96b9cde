{
  "targets": [
    {
      "target_name": "sift_native",
      "sources": [
        "native/knn.cc"
      ],
      "cflags_cc": [
        "-O3",
        "-std=c++17",
        "-fno-exceptions",
        "-Wall",
        "-Wextra"
      ],
      "cflags_cc!": [
        "-fno-rtti"
      ],
      "defines": [
        "NAPI_VERSION=8"
      ]
    },
    {
      "target_name": "sift_blas",
      "sources": [
        "native/blas.cc"
      ],
      "cflags_cc": [
        "-O3",
        "-std=c++17",
        "-fno-exceptions",
        "-Wall",
        "-Wextra",
        "-fno-math-errno",
        "-fno-trapping-math",
        "-fopenmp-simd"
      ],
      "cflags_cc!": [
        "-fno-rtti"
      ],
      "libraries": [
        "-ldl",
        "-lmvec",
        "-lm"
      ],
      "defines": [
        "NAPI_VERSION=8"
      ]
    },
    {
      "target_name": "sift_encoder",
      "sources": [
        "native/encoder.cc"
      ],
      "cflags_cc": [
        "-O3",
        "-std=c++17",
        "-fno-exceptions",
        "-Wall",
        "-Wextra",
        "-fno-math-errno",
        "-fno-trapping-math",
        "-fopenmp-simd"
      ],
      "cflags_cc!": [
        "-fno-rtti"
      ],
      "libraries": [
        "-lmvec",
        "-lm"
      ],
      "defines": [
        "NAPI_VERSION=8"
      ]
    }
  ]
}
