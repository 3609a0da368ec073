#!/usr/bin/python3
"""Times the prototype's training loop in PyTorch on the CPU: the baseline for our C++ trainer.

The recipe is EMERGENT-SPEC.md section 11.1 (Karpathy's gpt.py): vocabulary = sorted distinct
characters of the corpus, first 90% for training, n_layer 4, n_head 4, n_embd 128, block 64,
batch 16, dropout 0.1, AdamW(lr=1e-3) with PyTorch's other defaults, float32, gpt.py's init
(Linear/Embedding ~ N(0, 0.02), biases 0), attention scale n_embd**-0.5. The model is the real
per-head structure (one key/query/value Linear per head, as the prototype; heads not fused), taken
from scripts/torch_step_check.py so that the checked model and the timed one are the same code.

  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
      /usr/bin/python3 bench/train/torch_train.py --corpus FILE --steps N --threads K \\
      [--warmup W] [--json]

W warm-up steps (default 20) untimed, then N timed steps, each: get_batch, forward, loss,
zero_grad(set_to_none=True), backward, step. Prints tokens/s (N*16*64 / seconds), ms per step and
the last step's training loss; --json prints one object {"threads", "steps", "seconds",
"tokens_per_s", "ms_per_step", "loss", "torch_version", "blas_core", "blas_threads",
"omp_wait_policy"}.
torch.manual_seed(1337).

Threads. --threads K sets torch's intra-op (OpenMP) threads AND OpenBLAS's threads: Debian's torch
calls OpenBLAS's sgemm for the Linear layers, and torch.set_num_threads does not reach OpenBLAS's
own pthread pool, which would otherwise use every core even with --threads 1. The script also sets
OMP_WAIT_POLICY=PASSIVE unless the caller set it: with K = 2 on 2 cores, libgomp's threads
spin-wait after each torch parallel region and starve OpenBLAS's threads, and a step took 650 ms
instead of 90 ms (measured: OpenMP 2 + OpenBLAS 2 active 333 ms/step, passive 90; OpenMP 1 +
OpenBLAS 2: 87; OpenMP 2 + OpenBLAS 1: 101; 1 + 1: 111). PyTorch wheels from pip use MKL, which
shares OpenMP's pool and does not have this problem.

Run it under `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`. On some machines those two are set
in the environment (old OpenBLAS builds crash or compute wrong results on those CPUs); they pin
OpenBLAS's kernel choice and cache-size tuning, and the baseline should be what PyTorch does on a
normal machine. Unset them in this command only, never in tests or CI. The script reports the
kernel OpenBLAS picked ("blas_core"). Does it matter for torch? Yes, measurably. On the dev VM
(2-core AMD EPYC Zen 4 with AVX-512, where the variables are not set, so they were set by hand;
torch 1.13.1 from Debian (it reports 1.13.0a0), OpenBLAS 0.3.21, tinyshakespeare.txt,
--steps 50, runs counted only when other processes used < 0.15 core; tokens/s):
                                               --threads 1          --threads 2
  unset (native kernel "Cooperlake", AVX-512)  9500-10300           9100-11700
  OPENBLAS_CORETYPE=Haswell L2_SIZE=262144     9500-10200 (same)    7300-8100 (~25% slower)
  OPENBLAS_CORETYPE=Prescott (generic SSE3)    4400-5000 (2x slower; all runs had load)  7400
The loss after 70 steps is 2.671 in every run (the results do not depend on the kernel here).
"""
import argparse
import ctypes
import json
import os
import sys
import time

# Must precede the first import of torch (libgomp reads it when it is loaded); see the docstring.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from torch_step_check import GPT  # noqa: E402  (the prototype's model, checkpoint key names)

N_LAYER, N_HEAD, N_EMBD, BLOCK, BATCH, DROPOUT, LR = 4, 4, 128, 64, 16, 0.1, 1e-3


def openblas():
    """The OpenBLAS torch links (libblas.so.3 is Debian's thin wrapper around it), or None."""
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib
    except OSError:
        return None


def init_weights(module):
    """gpt.py's _init_weights."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--steps", type=int, required=True, help="timed steps")
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--warmup", type=int, default=20, help="untimed steps first (default 20)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    a = ap.parse_args()
    if a.steps < 1 or a.threads < 1 or a.warmup < 0:
        ap.error("--steps and --threads must be >= 1, --warmup >= 0")

    torch.manual_seed(1337)
    torch.set_num_threads(a.threads)
    blas = openblas()
    if blas is not None:
        blas.openblas_set_num_threads(a.threads)
    blas_core = blas.openblas_get_corename().decode() if blas is not None else "unknown"
    blas_threads = blas.openblas_get_num_threads() if blas is not None else None

    with open(a.corpus, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    train_data = data[:int(0.9 * len(data))]
    if len(train_data) <= BLOCK:
        sys.exit(f"{a.corpus}: too small for a {BLOCK + 1}-character window")

    def get_batch():
        ix = torch.randint(len(train_data) - BLOCK, (BATCH,))
        x = torch.stack([train_data[i:i + BLOCK] for i in ix])
        y = torch.stack([train_data[i + 1:i + BLOCK + 1] for i in ix])
        return x, y

    model = GPT(len(chars), N_LAYER, N_HEAD, N_EMBD, BLOCK, DROPOUT)  # float32
    model.apply(init_weights)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR)

    def step():
        x, y = get_batch()
        _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    seconds = time.perf_counter() - t0
    loss = loss.item()

    tokens_per_s = a.steps * BATCH * BLOCK / seconds
    ms_per_step = 1000 * seconds / a.steps
    if a.json:
        print(json.dumps({"threads": a.threads, "steps": a.steps, "seconds": round(seconds, 4),
                          "tokens_per_s": round(tokens_per_s, 1), "ms_per_step": round(ms_per_step, 3),
                          "loss": round(loss, 4), "torch_version": torch.__version__,
                          "blas_core": blas_core, "blas_threads": blas_threads,
                          "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY")}))
    else:
        n_params = sum(p.numel() for p in model.parameters())
        print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s) "
              f"(OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}), OpenBLAS {blas_core} "
              f"({blas_threads} thread(s)); model {n_params} parameters, vocab {len(chars)}")
        print(f"{a.steps} steps after {a.warmup} warm-up in {seconds:.3f} s: {tokens_per_s:.0f} tokens/s, "
              f"{ms_per_step:.2f} ms/step, final train loss {loss:.4f}")


if __name__ == "__main__":
    main()
