#!/usr/bin/python3
"""One training step of ours compared with PyTorch's autograd.

Why: our C++ trainer (train/) computes the NanoGPT char model's backward pass and the AdamW
update by hand. This script computes the same step with PyTorch, in float64, from the same
weights and the same batch, so the two can be compared number by number. The model is the
prototype's (Karpathy's gpt.py, EMERGENT-SPEC.md section 11.1): per-head bias-free key/query/value
Linears, scores q @ k^T * attn_scale, causal mask, softmax, concat -> proj, pre-LN blocks, FFN with
the exact (erf) GELU, LayerNorm eps 1e-5, mean cross-entropy. Dropout is 0.

Run it with Debian's torch (the python3 first on PATH has none):

  # 1. the reference step: loss, gradients, weights after one AdamW step
  /usr/bin/python3 scripts/torch_step_check.py --weights W.npz --batch B.npz --out REF.npz \\
      [--lr 1e-3] [--weight-decay 0.01]
  # 2. our step from the same inputs (C++ tool, not part of this script)
  train_step_dump ... -> OURS.npz
  # 3. the comparison (prints a table, exit status 1 if a key is off by more than --tol)
  /usr/bin/python3 scripts/torch_step_check.py --out REF.npz --compare OURS.npz [--weights W.npz]
  # (1 and 3 can be one call: give --weights, --batch, --out and --compare together.)

Inputs. W.npz: a NanoGPT checkpoint with the reference's key names (embedding_table.weight,
blocks.L.sa.heads.H.{key,query,value}.weight, ...; the tril buffers may be present or not), plus
optionally `vocab` (ignored here) and `attn_scale` (float32 [1]; absent = n_embd**-0.5, the scale
the prototype was trained with). Sizes come from the shapes. B.npz: `x` and `y`, integer arrays of
shape (b, T), T <= block size, ids < vocab size. A random batch:
  /usr/bin/python3 -c "import numpy as np; r=np.random.default_rng(0); d=r.integers(0,65,(4,65));
      np.savez('B.npz', x=d[:,:-1], y=d[:,1:])"

Output (REF.npz, and the format OURS.npz must have): `loss` float64 [1] (mean CE over b*T);
`grad.<key>` float64, one per parameter (no tril), shape of the weight, d(mean loss)/d(weight);
`after.<key>` float64, the weights after ONE torch.optim.AdamW step (betas (0.9, 0.999), eps 1e-8,
the given lr and weight decay on every parameter, fresh state so step = 1). torch's AdamW order:
p *= 1 - lr*wd; m = 0.1 g; v = 0.001 g^2; p -= (lr / (1 - 0.9)) * m / (sqrt(v) / sqrt(1 - 0.999) + eps).

Comparison. For every key of REF: max |ours - torch| and that divided by max |torch| over the key
(a norm-wise relative error, so elements that happen to be near zero do not blow it up). With
--weights, also `update.<key>` = after - weights: the AdamW step alone (~lr in size; in `after`
it is diluted by the weight itself). Missing keys, wrong shapes and non-finite values fail.

Tolerances (measured on shakespeare_gpt.npz with a 4x64 batch of the corpus):
* --tol 1e-6 (loss, grad, after) is for a float64 C++ run. Two correct float64 implementations
  that only order their sums differently (batch rows reversed; heads fused into one matmul) agree
  to 2e-15 on gradients, 6e-14 on after.* and 4e-11 on update.*: 1e-6 leaves a wide margin for
  another summation order or an erf of a different libm, and still fails the subtle bugs: tanh
  GELU instead of erf (grads 2e-3), LayerNorm eps 1e-6 instead of 1e-5 (grads 2e-5), the attention
  scale 1/sqrt(head_size) (grads 2), eps inside AdamW's sqrt (after 7e-3), a single gradient
  element off by 1e-5 (2e-6).
* AdamW's first step is lr * g / (|g| + eps): for the elements with |g| near eps = 1e-8 it turns a
  gradient difference into an update difference up to max|g|/eps ~ 1e6 times larger. In float64
  that is harmless (1e-15 -> 4e-11), but it means after.* also catches gradient differences the
  grad rows pass: the scale as float32(128**-0.5) instead of the double moves grads by 6e-8 but
  after.* by 3e-6. Hence --attn-scale (and give the C++ side the same float32 scale).
* --update-tol 1e-3 (update rows): a structural AdamW bug (bias correction, eps placement, sign,
  missing decay) is off by 1e-2..1 here, while a float64 network with a float32 AdamW (like
  train/adamw.cpp's adamw_step) is off by 2e-4 there (and 1.2e-7 in after.*) from rounding.
* A float32 dump: torch float32 vs float64 differs by 1e-7 on the loss and 3e-6 on gradients, but
  up to 2e-4 on after.* and 8e-2 on update.* (the amplification above). Check it with
  --keys loss,grad --tol 1e-4 and test the optimiser on its own.
"""
import argparse
import re
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# Not parameters: the causal-mask buffers and our additions to the checkpoint.
NON_PARAMETER = re.compile(r"(^|\.)tril$|^vocab$|^attn_scale$")


# ---- the prototype's model (gpt.py), module names = checkpoint keys ---------------------------

class Head(nn.Module):
    def __init__(self, n_embd, head_size, block_size, dropout, scale):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)))
        self.dropout = nn.Dropout(dropout)
        self.scale = scale

    def forward(self, x):
        T = x.shape[1]
        k = self.key(x)
        q = self.query(x)
        wei = q @ k.transpose(-2, -1) * self.scale
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        wei = self.dropout(F.softmax(wei, dim=-1))
        return wei @ self.value(x)


class MultiHeadAttention(nn.Module):
    def __init__(self, n_embd, n_head, block_size, dropout, scale):
        super().__init__()
        hs = n_embd // n_head
        self.heads = nn.ModuleList(Head(n_embd, hs, block_size, dropout, scale) for _ in range(n_head))
        self.proj = nn.Linear(n_embd, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.proj(torch.cat([h(x) for h in self.heads], dim=-1)))


class FeedForward(nn.Module):
    def __init__(self, n_embd, dropout):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(),
                                 nn.Linear(4 * n_embd, n_embd), nn.Dropout(dropout))

    def forward(self, x):
        return self.net(x)


class Block(nn.Module):
    def __init__(self, n_embd, n_head, block_size, dropout, scale):
        super().__init__()
        self.sa = MultiHeadAttention(n_embd, n_head, block_size, dropout, scale)
        self.ffwd = FeedForward(n_embd, dropout)
        self.ln1 = nn.LayerNorm(n_embd)
        self.ln2 = nn.LayerNorm(n_embd)

    def forward(self, x):
        x = x + self.sa(self.ln1(x))
        return x + self.ffwd(self.ln2(x))


class GPT(nn.Module):
    """attn_scale None = n_embd**-0.5 (the prototype's training)."""

    def __init__(self, vocab_size, n_layer=4, n_head=4, n_embd=128, block_size=64, dropout=0.0,
                 attn_scale=None):
        super().__init__()
        scale = n_embd ** -0.5 if attn_scale is None else float(attn_scale)
        self.embedding_table = nn.Embedding(vocab_size, n_embd)
        self.position_embedding_table = nn.Embedding(block_size, n_embd)
        self.blocks = nn.Sequential(*[Block(n_embd, n_head, block_size, dropout, scale)
                                      for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size)

    def forward(self, idx, targets=None):
        T = idx.shape[1]
        pos = torch.arange(T, device=idx.device)
        x = self.embedding_table(idx) + self.position_embedding_table(pos)
        logits = self.lm_head(self.ln_f(self.blocks(x)))
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))


# ---- checkpoint loading -----------------------------------------------------------------------

def load_model(path, attn_scale_override=None):
    """The model of checkpoint `path`, in float64, dropout 0, sizes read from the shapes.
    attn_scale_override: used as if the file held attn_scale = float32(it)."""
    w = dict(np.load(path))
    emb = w["embedding_table.weight"]
    vocab_size, n_embd = emb.shape
    block_size = w["position_embedding_table.weight"].shape[0]
    n_layer = 1 + max(int(m.group(1)) for k in w for m in [re.match(r"blocks\.(\d+)\.", k)] if m)
    n_head = 1 + max(int(m.group(1)) for k in w for m in [re.match(r"blocks\.0\.sa\.heads\.(\d+)\.", k)] if m)
    if attn_scale_override is not None:
        w["attn_scale"] = np.array([attn_scale_override], dtype=np.float32)
    attn_scale = float(w["attn_scale"].reshape(-1)[0]) if "attn_scale" in w else None
    model = GPT(vocab_size, n_layer, n_head, n_embd, block_size, 0.0, attn_scale).double()
    want = model.state_dict()
    params = {k for k, _ in model.named_parameters()}
    missing = sorted(params - w.keys())
    unknown = sorted(k for k in w.keys() - want.keys() if not NON_PARAMETER.search(k))
    if missing or unknown:
        sys.exit(f"{path}: missing {missing[:5]}{'...' if len(missing) > 5 else ''}, unknown {unknown[:5]}")
    for k in want:
        if k in w and w[k].shape != tuple(want[k].shape):
            sys.exit(f"{path}: {k} has shape {w[k].shape}, expected {tuple(want[k].shape)}")
    model.load_state_dict({k: torch.from_numpy(w[k].astype(np.float64)) if k in w else v
                           for k, v in want.items()})
    scale = n_embd ** -0.5 if attn_scale is None else attn_scale
    print(f"{path}: vocab {vocab_size}, n_layer {n_layer}, n_head {n_head}, n_embd {n_embd}, "
          f"block {block_size}, attn_scale {scale!r}{'' if attn_scale is not None else ' (n_embd**-0.5)'}")
    if attn_scale is None:
        print(f"  note: no attn_scale array, so the scale is the double n_embd**-0.5. A side that keeps the\n"
              f"  scale in a float32 ({float(np.float32(scale))!r}) differs by ~1e-7 in the gradients and, through\n"
              f"  AdamW's first step, ~3e-6 in after.*: then pass --attn-scale {scale!r} (rounded to float32).")
    return model, {k: w[k].astype(np.float64) for k in params}


# ---- the reference step -----------------------------------------------------------------------

def reference_step(weights, batch, out, lr, weight_decay, attn_scale=None):
    model, _ = load_model(weights, attn_scale)
    b = np.load(batch)
    x, y = (torch.from_numpy(np.asarray(b[k]).astype(np.int64)) for k in ("x", "y"))
    vocab_size = model.embedding_table.weight.shape[0]
    block_size = model.position_embedding_table.weight.shape[0]
    if x.shape != y.shape or x.dim() != 2 or x.shape[1] > block_size:
        sys.exit(f"{batch}: x {tuple(x.shape)} and y {tuple(y.shape)} must be equal (b, T), T <= {block_size}")
    if min(x.min(), y.min()) < 0 or max(x.max(), y.max()) >= vocab_size:
        sys.exit(f"{batch}: ids must be in [0, {vocab_size})")

    model.train()  # dropout is 0 anyway
    _, loss = model(x, y)
    loss.backward()
    res = {"loss": np.array([loss.item()], dtype=np.float64)}
    for k, p in model.named_parameters():
        res["grad." + k] = p.grad.detach().numpy().astype(np.float64)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=weight_decay, foreach=False)
    opt.step()
    for k, p in model.named_parameters():
        res["after." + k] = p.detach().numpy().astype(np.float64).copy()
    np.savez(out, **res)
    print(f"batch {tuple(x.shape)}: loss {loss.item():.12f}; wrote {out} "
          f"({len(res)} arrays: loss, grad.*, after.* after AdamW lr {lr} weight decay {weight_decay})")


# ---- the comparison ---------------------------------------------------------------------------

def compare(ref_path, ours_path, tol, update_tol, kinds, weights=None):
    ref, ours = dict(np.load(ref_path)), dict(np.load(ours_path))
    w0 = None
    if weights:
        w0 = {k: v.astype(np.float64) for k, v in np.load(weights).items()}
    rows = []  # (key, shape, max_abs, max_rel, problem, tolerance)

    def check(key, a, b, t):
        if key.split(".")[0] not in kinds:
            return
        a = np.asarray(a, dtype=np.float64)
        if b is None:
            rows.append((key, a.shape, np.nan, np.inf, "missing", t))
            return
        b = np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            rows.append((key, a.shape, np.nan, np.inf, f"shape {b.shape}", t))
            return
        if not np.all(np.isfinite(b)):
            rows.append((key, a.shape, np.nan, np.inf, "non-finite", t))
            return
        d = float(np.max(np.abs(a - b))) if a.size else 0.0
        s = float(np.max(np.abs(a))) if a.size else 0.0
        rel = d / s if s > 0 else (0.0 if d == 0 else np.inf)
        rows.append((key, a.shape, d, rel, "", t))

    for k in ref:
        check(k, ref[k], ours.get(k), tol)
        p = k[len("after."):]
        if w0 is not None and k.startswith("after.") and p in w0:
            b = ours.get(k)
            b = b - w0[p] if b is not None and b.shape == w0[p].shape else b
            check("update." + p, ref[k] - w0[p], b, update_tol)
    extra = sorted(ours.keys() - ref.keys())

    width = max(len(r[0]) for r in rows)
    print(f"{'key':<{width}}  {'shape':<12} {'max abs diff':>13} {'max rel diff':>13}")
    for key, shape, d, rel, problem, t in rows:
        flag = problem or ("FAIL" if rel > t else "")
        print(f"{key:<{width}}  {str(shape):<12} {d:13.3e} {rel:13.3e}  {flag}")
    if extra:
        print(f"(ignored: {len(extra)} keys only in {ours_path}: {', '.join(extra[:5])}{'...' if len(extra) > 5 else ''})")

    print("\nworst per kind (relative to max |torch| of the key):")
    for kind in ("loss", "grad", "after", "update"):
        group = [r for r in rows if r[0].split(".")[0] == kind]
        if group:
            worst = max(group, key=lambda r: r[3])
            print(f"  {kind:<7} {len(group):4d} keys, worst {worst[3]:.3e} ({worst[0]}), tol {group[0][5]:g}")
    failed = [r for r in rows if r[4] or not r[3] <= r[5]]
    print(f"{'FAIL' if failed else 'OK'}: {len(failed)} of {len(rows)} keys exceed the tolerance")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="File formats and tolerances: the docstring at the top of this file.")
    ap.add_argument("--weights", help="checkpoint .npz (for the reference step; for --compare: adds update.* rows)")
    ap.add_argument("--batch", help="batch .npz with x, y (b, T)")
    ap.add_argument("--out", required=True, help="reference step output .npz (written, or read by --compare)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--compare", metavar="OURS.npz", help="compare this file with --out; exit 1 on failure")
    ap.add_argument("--tol", type=float, default=1e-6,
                    help="max relative difference of a loss/grad/after key (default 1e-6, for float64 runs)")
    ap.add_argument("--update-tol", type=float, default=1e-3,
                    help="max relative difference of an update.* row (default 1e-3, see the docstring)")
    ap.add_argument("--keys", default="loss,grad,after,update",
                    help="kinds of rows to check (default all; a float32 dump: --keys loss,grad --tol 1e-4)")
    ap.add_argument("--attn-scale", type=float,
                    help="reference step: use this scale, rounded to float32, as if the file had attn_scale")
    a = ap.parse_args()
    torch.set_default_dtype(torch.float64)
    if a.batch:
        if not a.weights:
            ap.error("--batch needs --weights")
        reference_step(a.weights, a.batch, a.out, a.lr, a.weight_decay, a.attn_scale)
    elif not a.compare:
        ap.error("give --weights and --batch (reference step) and/or --compare")
    if a.compare:
        kinds = set(a.keys.split(","))
        if not kinds <= {"loss", "grad", "after", "update"}:
            ap.error("--keys takes a comma-separated subset of loss,grad,after,update")
        return compare(a.out, a.compare, a.tol, a.update_tol, kinds, a.weights)
    return 0


if __name__ == "__main__":
    sys.exit(main())
