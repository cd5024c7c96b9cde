"""Design probe for native/encoder.cc (bench-only; sift never runs Python): how far do all-MiniLM-L6-v2's
sentence vectors move when the inputs of every matrix product are rounded to bfloat16 and the sums stay
float32? Run once before the kernel was written, to decide what to round (DESIGN.md, "Embedding in bfloat16").

A plain NumPy BERT (post-LN, exact GELU, mean pooling, L2 norm) over the model folder's safetensors, in
four variants against float32:
  wbf      weights rounded to bfloat16, activations float32
  bf       weights and each product's activations rounded (what the kernel does)
  bf_attn  also Q, K, V and the attention probabilities rounded
  bf3      bfloat16x3 (hi/lo splits, three products): the float32-accuracy control

    python -m venv venv && venv/bin/pip install numpy tokenizers safetensors
    venv/bin/python bench/numpy/bf16_emulate.py $SIFT_HOME/models/all-minilm-l6-v2 ../shared/data/cranfield 20

Prints the minimum and mean cosine to float32 per variant (measured: bf 0.999975 / 0.999986 on cranfield,
0.999966 / 0.999984 on dbpedia-entity-subset). The kernel's own agreement is measured by bench/embed.ts.
"""

import json
import sys
from math import erf

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

model_dir, collection, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
W = load_file(model_dir + "/model.safetensors")
cfg = json.load(open(model_dir + "/config.json"))
tok = Tokenizer.from_file(model_dir + "/tokenizer.json")
tok.enable_truncation(256)
verf = np.vectorize(erf)


def bf(x):
    """float32 → bfloat16 (round to nearest even) → float32."""
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    return u.astype(np.uint32).view(np.float32)


def mm_f32(a, w):
    return a @ w.T


def mm_wbf(a, w):
    return a @ bf(w).T


def mm_bf(a, w):
    return bf(a) @ bf(w).T


def mm_bf3(a, w):
    ah, wh = bf(a), bf(w)
    al, wl = bf(a - ah), bf(w - wh)
    return ah @ wh.T + al @ wh.T + ah @ wl.T


def g(name):
    for prefix in ("", "bert."):
        if prefix + name in W:
            return W[prefix + name].astype(np.float32)
    raise KeyError(name)


def layer_norm(x, prefix):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + 1e-12) * g(prefix + ".weight") + g(prefix + ".bias")


def encode(ids, mm, round_attention=False):
    n, hidden, heads = len(ids), cfg["hidden_size"], cfg["num_attention_heads"]
    d = hidden // heads
    x = (
        g("embeddings.word_embeddings.weight")[ids]
        + g("embeddings.position_embeddings.weight")[:n]
        + g("embeddings.token_type_embeddings.weight")[0]
    )
    x = layer_norm(x, "embeddings.LayerNorm")
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."

        def lin(a, name):
            return mm(a, g(p + name + ".weight")) + g(p + name + ".bias")

        q, k, v = (
            lin(x, f"attention.self.{t}").reshape(n, heads, d).transpose(1, 0, 2) for t in ("query", "key", "value")
        )
        if round_attention:
            q, k, v = bf(q), bf(k), bf(v)
        s = q @ k.transpose(0, 2, 1) / np.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        if round_attention:
            s = bf(s)
        ctx = (s @ v).transpose(1, 0, 2).reshape(n, hidden)
        x = layer_norm(lin(ctx, "attention.output.dense") + x, p + "attention.output.LayerNorm")
        h = lin(x, "intermediate.dense")
        h = 0.5 * h * (1 + verf(h / np.sqrt(2)))
        x = layer_norm(lin(h, "output.dense") + x, p + "output.LayerNorm")
    e = x.mean(0)
    return e / np.linalg.norm(e)


texts = []
for line in open(collection + "/corpus.jsonl"):
    doc = json.loads(line)
    texts.append(doc["title"] + " " + doc["text"])
    if len(texts) >= count:
        break
variants = {"wbf": (mm_wbf, False), "bf": (mm_bf, False), "bf_attn": (mm_bf, True), "bf3": (mm_bf3, False)}
cosines = {name: [] for name in variants}
for text in texts:
    ids = tok.encode(text).ids
    reference = encode(ids, mm_f32)
    for name, (mm, round_attention) in variants.items():
        cosines[name].append(float(reference @ encode(ids, mm, round_attention)))
for name, values in cosines.items():
    print(f"{name:8s} min {min(values):.6f} mean {np.mean(values):.6f}")
