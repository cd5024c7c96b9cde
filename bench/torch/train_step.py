"""PyTorch baseline for sift's training benchmarks (bench/train.ts, bench/train-layer.ts): bench-only, run
from a virtualenv with torch (never needed by sift itself).

The model is Hugging Face's BertForSequenceClassification written out in plain torch (post-LN layers,
exact GELU, scaled_dot_product_attention with the padding mask, as transformers' default "sdpa" attention;
pooler tanh; classifier with one label), so only torch is needed. One training step = forward, BCE with
logits, backward, global-norm clipping to 1, AdamW update (lr 2e-5, weight decay 0.01), as sift's trainer does.

    python bench/torch/train_step.py --mode model --batch 16 --seq 128 --steps 3 --threads 2
    python bench/torch/train_step.py --mode layer --batch 16 --seq 128 --steps 5 --threads 2
    python bench/torch/train_step.py --mode decoder --batch 4 --seq 128 --steps 3 --threads 2

--mode decoder is Hugging Face's LlamaForCausalLM at SmolLM2-135M's shape written out in plain torch (pre-norm
RMSNorm blocks, rotate-half rotary, grouped-query attention through scaled_dot_product_attention with
is_causal, SiLU-gated MLP, tied embeddings; random weights, the same FLOPs), scored as sift's yes/no decoder:
the two label logits at the last position (only those two rows of the output projection), BCE on their
difference, then clipping and AdamW as above (lr 1e-5).

Prints one JSON object: seconds per step (each timed step; the first, warm-up, step excluded).
"""

import argparse
import json
import time

import torch
import torch.nn.functional as F
from torch import nn


class Layer(nn.Module):
    def __init__(self, hidden, heads, inter, eps):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = (nn.Linear(hidden, hidden) for _ in range(3))
        self.attn_out = nn.Linear(hidden, hidden)
        self.attn_norm = nn.LayerNorm(hidden, eps=eps)
        self.inter = nn.Linear(hidden, inter)
        self.out = nn.Linear(inter, hidden)
        self.out_norm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x, mask):
        b, s, w = x.shape
        split = lambda t: t.view(b, s, self.heads, w // self.heads).transpose(1, 2)
        ctx = F.scaled_dot_product_attention(split(self.query(x)), split(self.key(x)), split(self.value(x)), attn_mask=mask)
        h1 = self.attn_norm(self.attn_out(ctx.transpose(1, 2).reshape(b, s, w)) + x)
        return self.out_norm(self.out(F.gelu(self.inter(h1))) + h1)


class CrossEncoder(nn.Module):
    def __init__(self, vocab=30522, hidden=384, heads=12, inter=1536, layers=6, positions=512, eps=1e-12):
        super().__init__()
        self.words = nn.Embedding(vocab, hidden)
        self.positions = nn.Embedding(positions, hidden)
        self.types = nn.Embedding(2, hidden)
        self.norm = nn.LayerNorm(hidden, eps=eps)
        self.layers = nn.ModuleList(Layer(hidden, heads, inter, eps) for _ in range(layers))
        self.pooler = nn.Linear(hidden, hidden)
        self.classifier = nn.Linear(hidden, 1)

    def forward(self, ids, types, mask):
        s = ids.shape[1]
        x = self.norm(self.words(ids) + self.positions(torch.arange(s))[None] + self.types(types))
        for layer in self.layers:
            x = layer(x, mask)
        return self.classifier(torch.tanh(self.pooler(x[:, 0])))


class DecoderBlock(nn.Module):
    def __init__(self, hidden, heads, kv_heads, inter, eps):
        super().__init__()
        self.heads, self.kv_heads, self.d = heads, kv_heads, hidden // heads
        self.input_norm = nn.RMSNorm(hidden, eps=eps)
        self.q = nn.Linear(hidden, heads * self.d, bias=False)
        self.k = nn.Linear(hidden, kv_heads * self.d, bias=False)
        self.v = nn.Linear(hidden, kv_heads * self.d, bias=False)
        self.o = nn.Linear(heads * self.d, hidden, bias=False)
        self.post_norm = nn.RMSNorm(hidden, eps=eps)
        self.gate = nn.Linear(hidden, inter, bias=False)
        self.up = nn.Linear(hidden, inter, bias=False)
        self.down = nn.Linear(inter, hidden, bias=False)

    def forward(self, x, cos, sin):
        b, s, _ = x.shape
        h = self.input_norm(x)
        split = lambda t, n: t.view(b, s, n, self.d).transpose(1, 2)
        q, k, v = split(self.q(h), self.heads), split(self.k(h), self.kv_heads), split(self.v(h), self.kv_heads)
        rot = lambda t: t * cos + torch.cat((-t[..., self.d // 2 :], t[..., : self.d // 2]), -1) * sin
        q, k = rot(q), rot(k)
        group = self.heads // self.kv_heads
        k, v = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)
        ctx = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, s, -1)
        x = x + self.o(ctx)
        h = self.post_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class YesNoDecoder(nn.Module):
    def __init__(self, vocab=49152, hidden=576, heads=9, kv_heads=3, inter=1536, layers=30, eps=1e-5, base=1e4):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.layers = nn.ModuleList(DecoderBlock(hidden, heads, kv_heads, inter, eps) for _ in range(layers))
        self.norm = nn.RMSNorm(hidden, eps=eps)
        d = hidden // heads
        self.inv_freq = 1.0 / (base ** (torch.arange(0, d, 2).float() / d))

    def forward(self, ids, yes, no):
        s = ids.shape[1]
        freqs = torch.arange(s).float()[:, None] * self.inv_freq[None]
        emb = torch.cat((freqs, freqs), -1)
        cos, sin = emb.cos(), emb.sin()
        x = self.embed(ids)
        for layer in self.layers:
            x = layer(x, cos, sin)
        last = self.norm(x[:, -1])
        w = self.embed.weight
        return last @ (w[yes] - w[no])


def additive_mask(lengths, s):
    mask = torch.zeros(len(lengths), 1, 1, s)
    for i, n in enumerate(lengths):
        mask[i, :, :, n:] = torch.finfo(torch.float32).min
    return mask


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["model", "layer", "decoder"], default="model")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    lengths = [a.seq] * a.batch
    mask = additive_mask(lengths, a.seq)
    times = []
    if a.mode == "layer":
        layer = Layer(384, 12, 1536, 1e-12)
        x = torch.randn(a.batch, a.seq, 384, requires_grad=True)
        up = torch.randn(a.batch, a.seq, 384)
        for step in range(a.steps + 1):
            t0 = time.perf_counter()
            (layer(x, mask) * up).sum().backward()
            times.append(time.perf_counter() - t0)
    elif a.mode == "decoder":
        model = YesNoDecoder()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-5, weight_decay=0.01)
        ids = torch.randint(1000, 40000, (a.batch, a.seq))
        targets = torch.rand(a.batch)
        for step in range(a.steps + 1):
            t0 = time.perf_counter()
            loss = F.binary_cross_entropy_with_logits(model(ids, 100, 200), targets)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            times.append(time.perf_counter() - t0)
    else:
        model = CrossEncoder()
        opt = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)
        ids = torch.randint(1000, 30000, (a.batch, a.seq))
        types = torch.zeros(a.batch, a.seq, dtype=torch.long)
        types[:, a.seq // 4 :] = 1
        targets = torch.rand(a.batch, 1)
        for step in range(a.steps + 1):
            t0 = time.perf_counter()
            loss = F.binary_cross_entropy_with_logits(model(ids, types, mask), targets)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            times.append(time.perf_counter() - t0)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "mode": a.mode,
                      "batch": a.batch, "seq": a.seq, "stepSeconds": times[1:]}))


if __name__ == "__main__":
    main()
