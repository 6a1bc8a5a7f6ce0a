#!/usr/bin/python3
"""The PyTorch peer of `ulrseg bench`: the same default model, inference and joint training
step, timed the same way, so that bench/compare.sh can set the two engines side by side.

  /usr/bin/python3 bench/torch_peer.py [--threads N] [--json] [--train-steps K] [--frames F]

The networks are tools/reference/ulrnet_torch.py (layer for layer as models/networks.cpp) at
the default model configuration (models/config.h, configs/joint.json): 16x16 ULR -> G (SRNet)
-> 64x64 SR -> S (SegNet) -> 14 classes. CPU, float32, N intra-op threads, one inter-op thread.

  1. gemm peak: (n,n) float32 products at n = 512 and 1024, best of several runs, through
     torch.mm (the BLAS torch links) and through oneDNN (what torch's convolutions run on);
     the peak is the best of these. Debian's torch calls whatever libblas.so.3 the system
     selects: with only the reference BLAS installed torch.mm is many times slower than
     oneDNN, and a torch.mm peak alone would put the convolutions above 100% of it. torch
     1.13 runs a convolution on oneDNN unless its batch is 1 and its input has at most 20480
     elements (at batch 1: most of G, and S at 16x16 and 8x8): those, and the attention's
     products, run on that BLAS;
  2. inference: G+S forward + argmax, no autograd, batch 1 latency (median, p99) and batch 32
     frames/s;
  3. training: TrainState::step (stage 2, method joint) in train/trainer.cpp at batch 16 and
     32: G, S, cross-entropy, MSE, the frozen AFE teacher's feature loss, the SAD step
     (BCE, clip 5, Adam betas 0.5/0.999), the adversarial term through the SAD with its
     parameters frozen, clip 5 and AdamW on G+S (G at g_lr_scale of the learning rate);
  4. peak resident memory of each phase (VmHWM, reset through /proc/self/clear_refs).

FLOPs are counted the way the ulrseg trace counts them (models/layers.cpp), at one sample:
convolutions 2*Cout*Hout*Wout*Cin/groups*k*k, linears 2*out*in, attention 2*T*C*4C for the
projections plus 2*2*T*T*C for QK^T and AV, group norm 8 per element and G's pixel shuffles 1
per element. A training step costs 3x forward for G and S (forward, input and weight gradient),
1x for the teacher encoder on HR, 2x on SR (forward, input gradient), 2x for the SAD on the
real and on the fake pair (forward, weight gradient) and 2x on the generated pair (forward,
input gradient: the SAD is frozen there).

Weights are freshly initialised (speed does not depend on their values); inputs are random with
a fixed seed. Needs only Debian's python3-torch. Benchmarks print figures; they assert nothing,
except that the training step's loss is finite.
"""
import argparse
import contextlib
import ctypes
import gc
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "reference"))
import ulrnet_torch as U  # noqa: E402

# configs/joint.json and train/config.h: the hyper-parameters of the joint step.
HP = {"lr": 2e-3, "g_lr_scale": 0.1, "lr_d": 2e-4, "beta1": 0.9, "beta2": 0.999, "clip_norm": 5.0,
      "lambda_mse": 0.5, "lambda_fea": 0.01, "lambda_adv": 0.01, "alpha": 0.3}
BATCH = 32  # batched inference and the reported training figure
WARMUP_FRAMES, WARMUP_STEPS = 20, 3


def say(quiet, what):
    if not quiet:
        print(f"torch_peer: {what}...", file=sys.stderr, flush=True)


# ---- memory -------------------------------------------------------------------------------

def reset_peak_rss():
    """Returns freed memory to the system and resets the kernel's peak-RSS mark (VmHWM), so that
    the next status_mib("VmHWM") is the peak of what follows (as ulrseg bench does)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with contextlib.suppress(OSError):  # without it VmHWM is the process's lifetime peak
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")


def status_mib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0  # kB
    return 0.0


# ---- FLOPs --------------------------------------------------------------------------------

@contextlib.contextmanager
def count_flops(modules, shuffled=()):
    """Counts the forward FLOPs of what runs inside the block, per the ulrseg trace.
    modules: the networks whose layers are counted; shuffled: the convolutions whose output
    goes through a pixel shuffle (1 FLOP per element, as the trace counts it).
    Yields a dict {"matmul": conv, linear and attention FLOPs, "other": norms and shuffles}."""
    counts = {"matmul": 0, "other": 0}
    shuffled = set(id(m) for m in shuffled)

    def hook(m, inputs, out):
        if isinstance(m, U.SpatialAttention):
            n, c, h, w = inputs[0].shape
            t = h * w
            counts["matmul"] += 2 * n * t * c * 4 * c + 2 * 2 * n * t * t * c
        elif isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1]
            counts["matmul"] += 2 * out.numel() * (m.in_channels // m.groups) * k
            if id(m) in shuffled:
                counts["other"] += out.numel()
        elif isinstance(m, nn.Linear):  # MultiheadAttention's out_proj is not called as a module
            counts["matmul"] += 2 * out.numel() * m.in_features
        elif isinstance(m, nn.GroupNorm):
            counts["other"] += 8 * out.numel()

    handles = [m.register_forward_hook(hook) for net in modules for m in net.modules()]
    try:
        with torch.no_grad():
            yield counts
    finally:
        for h in handles:
            h.remove()


def model_flops(cfg, G, S, D):
    """Forward FLOPs at one sample: G+S, the teacher's encoder (an S) and the SAD."""
    ulr = torch.rand(1, 3, cfg["in_h"], cfg["in_w"])
    hr = torch.rand(1, 3, cfg["in_h"] * cfg["scale"], cfg["in_w"] * cfg["scale"])
    probs = torch.softmax(torch.rand(1, cfg["num_classes"], *hr.shape[2:]), 1)
    was_training = D.training
    D.eval()  # no power iteration: the count must not move the SAD's u and v
    with count_flops([G, S], shuffled=G.up) as gs:
        S(G(ulr))
    with count_flops([S]) as enc:
        S.encode(hr)
    with count_flops([D]) as sad:
        D(hr, probs)
    D.train(was_training)
    f = {"gs": gs["matmul"] + gs["other"], "gs_matmul": gs["matmul"], "gs_other": gs["other"],
         "afe": enc["matmul"] + enc["other"], "sad": sad["matmul"] + sad["other"]}
    f["train"] = 3 * f["gs"] + (1 + 2) * f["afe"] + 2 * 2 * f["sad"] + 2 * f["sad"]
    return f


# ---- the joint training step ----------------------------------------------------------------

class JointStep:
    """G, S, the frozen teacher T (an 'hr' S) and the SAD D with their optimizers; one call is
    one TrainState::step(stage 2) of method joint and returns its loss terms."""

    def __init__(self, cfg, hp):
        self.cfg, self.hp = cfg, hp
        self.G, self.S = U.SRNet(cfg), U.SegNet(cfg)
        self.T, self.D = U.SegNet(cfg), U.SegAwareDiscriminator(cfg)
        self.T.eval()
        for p in self.T.parameters():
            p.requires_grad_(False)
        self.G.train(), self.S.train(), self.D.train()  # D: a power iteration per forward
        self.net_params = list(self.G.parameters()) + list(self.S.parameters())
        self.d_params = list(self.D.parameters())
        betas = (hp["beta1"], hp["beta2"])
        groups = [{"params": list(self.G.parameters()), "lr": hp["lr"] * hp["g_lr_scale"]},
                  {"params": list(self.S.parameters()), "lr": hp["lr"]}]
        self.opt_net = torch.optim.AdamW(groups, lr=hp["lr"], betas=betas, eps=1e-8, weight_decay=0)
        self.opt_d = torch.optim.Adam(self.d_params, lr=hp["lr_d"], betas=(0.5, hp["beta2"]), eps=1e-8)

    def __call__(self, ulr, hr, labels):
        hp, K = self.hp, self.cfg["num_classes"]
        self.opt_net.zero_grad()
        sr = self.G(ulr)                                           # (B,3,H,W)
        logits, _ = self.S(sr)                                     # (B,K,H,W)
        ce = F.cross_entropy(logits, labels, ignore_index=255)
        mse = F.mse_loss(sr, hr)
        with torch.no_grad():
            target = U.agglomerated_features(self.T.encode(hr))
        fea = U.feature_loss(target, U.agglomerated_features(self.T.encode(sr)))
        probs = torch.softmax(logits, 1)
        # Discriminator step: real = (HR, one-hot GT), fake = (SR, softmax(S(SR))), detached.
        self.opt_d.zero_grad()
        one_hot = (F.one_hot(labels.clamp(max=K - 1), K).permute(0, 3, 1, 2).float()
                   * (labels != 255).unsqueeze(1))
        real = self.D(hr, one_hot)
        fake = self.D(sr.detach(), probs.detach())
        d_loss = (F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) +
                  F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
        d_loss.backward()
        nn.utils.clip_grad_norm_(self.d_params, hp["clip_norm"])
        self.opt_d.step()
        # Adversarial term for G and S: the pair should look real to the updated D. It needs
        # D's input gradient only, so D's parameters are frozen until the backward is done.
        for p in self.d_params:
            p.requires_grad_(False)
        judged = self.D(sr, probs)
        adv = F.binary_cross_entropy_with_logits(judged, torch.ones_like(judged))
        a = hp["alpha"]
        loss = (1 - a) * (hp["lambda_mse"] * mse + hp["lambda_fea"] * fea + hp["lambda_adv"] * adv) + a * ce
        loss.backward()
        for p in self.d_params:
            p.requires_grad_(True)
        nn.utils.clip_grad_norm_(self.net_params, hp["clip_norm"])
        self.opt_net.step()
        terms = {"loss": loss, "ce": ce, "mse": mse, "fea": fea, "d": d_loss, "adv": adv}
        return {k: v.item() for k, v in terms.items()}


# ---- measurements ---------------------------------------------------------------------------

def best_seconds(fn, reps=10, min_seconds=0.25):
    """Fastest of at least `reps` timed calls (more for short ones), after two untimed calls."""
    for _ in range(2):
        fn()
    best, total, i = math.inf, 0.0, 0
    while i < reps or (total < min_seconds and i < 50 * reps):
        t0 = time.perf_counter()
        fn()
        t = time.perf_counter() - t0
        best, total, i = min(best, t), total + t, i + 1
    return best


def gemm_gflops(n):
    """GFLOP/s (2n^3 per product) of (n,n) float32 products through torch.mm (the BLAS torch
    links) and, where torch has it, through oneDNN (the library torch's convolutions run on).
    Returns {"torch.mm": rate, "onednn": rate or None}."""
    gen = torch.Generator().manual_seed(n)
    a, b = torch.rand(n, n, generator=gen), torch.rand(n, n, generator=gen)
    c = torch.empty(n, n)
    rates = {"torch.mm": 2.0 * n ** 3 / best_seconds(lambda: torch.mm(a, b, out=c)) * 1e-9, "onednn": None}
    if torch.backends.mkldnn.is_available():
        am, bm = a.to_mkldnn(), b.to_mkldnn()  # linear(x, w) = x w^T: the same 2n^3
        rates["onednn"] = 2.0 * n ** 3 / best_seconds(lambda: torch._C._nn.mkldnn_linear(am, bm, None)) * 1e-9
    return rates


def blas_library():
    """The BLAS library torch.mm runs on in this process (a path), or "unknown"."""
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "blas" in line.lower() or "libmkl" in line.lower()}
    paths = sorted(os.path.realpath(p) for p in paths if p.startswith("/"))
    return ", ".join(paths) if paths else "unknown"


def random_batch(cfg, B, gen):
    H, W = cfg["in_h"] * cfg["scale"], cfg["in_w"] * cfg["scale"]
    ulr = torch.rand(B, 3, cfg["in_h"], cfg["in_w"], generator=gen)
    hr = torch.rand(B, 3, H, W, generator=gen)
    labels = torch.randint(0, cfg["num_classes"], (B, H, W), generator=gen)
    return ulr, hr, labels


def bench_infer(cfg, frames, batch, batches):
    """G+S forward + argmax over the classes, without autograd."""
    reset_peak_rss()
    torch.manual_seed(1)
    G, S = U.SRNet(cfg).eval(), U.SegNet(cfg).eval()
    gen = torch.Generator().manual_seed(9)
    inputs = [torch.rand(1, 3, cfg["in_h"], cfg["in_w"], generator=gen) for _ in range(16)]
    xb = torch.rand(batch, 3, cfg["in_h"], cfg["in_w"], generator=gen)

    def run(x):
        return S(G(x))[0].argmax(1)  # (N,H,W) class per pixel

    with torch.inference_mode():
        for i in range(WARMUP_FRAMES):
            run(inputs[i % len(inputs)])
        ms = []
        for i in range(frames):
            t0 = time.perf_counter()
            run(inputs[i % len(inputs)])
            ms.append((time.perf_counter() - t0) * 1e3)
        run(xb)
        t0 = time.perf_counter()
        for _ in range(batches):
            run(xb)
        frames_per_s = batch * batches / (time.perf_counter() - t0)
    ms.sort()  # median and p99 by the same index rule as ulrseg bench
    return {"b1_ms_median": ms[len(ms) // 2], "b1_ms_p99": ms[min(len(ms) - 1, int(len(ms) * 0.99))],
            "batch_frames_per_s": frames_per_s, "peak_rss_mib": status_mib("VmHWM")}


def bench_train(cfg, B, steps):
    """samples/s of the joint step at batch B, its peak RSS and the last step's loss terms."""
    reset_peak_rss()
    torch.manual_seed(1)
    step = JointStep(cfg, HP)
    ulr, hr, labels = random_batch(cfg, B, torch.Generator().manual_seed(11))
    for _ in range(WARMUP_STEPS):
        step(ulr, hr, labels)
    t0 = time.perf_counter()
    for _ in range(steps):
        terms = step(ulr, hr, labels)
    samples_per_s = B * steps / (time.perf_counter() - t0)
    bad = [k for k, v in terms.items() if not math.isfinite(v)]
    if bad:
        raise SystemExit(f"torch_peer: batch {B}: loss terms {', '.join(bad)} are not finite: {terms}")
    return {"samples_per_s": samples_per_s, "peak_rss_mib": status_mib("VmHWM"), "terms": terms}


# ---- report -------------------------------------------------------------------------------

def print_table(r, gemm, f, inf, t16, t32, rss_start):
    peak = r["gemm_peak_gflops"]
    print(f"{r['engine']} peer of ulrseg bench: {r['threads']} threads (1 inter-op), float32, CPU\n")
    print("gemm, best of runs, GFLOP/s (the peak is the best of all four):")
    for lib in ("torch.mm", "onednn"):
        if gemm[512][lib] is not None:
            print(f"  {lib:<9} n=512 {gemm[512][lib]:6.1f}   n=1024 {gemm[1024][lib]:6.1f}")
    print(f"  peak {peak:.1f}")
    print(f"  torch.mm runs on {blas_library()};\n  convolutions run on oneDNN where torch chooses it "
          f"(batch > 1 or large inputs), else on im2col + that BLAS\n")
    print("FLOPs at one sample, counted as the ulrseg trace counts them:")
    print(f"  G+S forward      {f['gs'] / 1e6:8.2f} MFLOP/frame  (conv, linear, attention {f['gs_matmul'] / 1e6:.2f};"
          f" group norm, pixel shuffle {f['gs_other'] / 1e6:.2f})")
    print(f"  AFE encoder      {f['afe'] / 1e6:8.2f} MFLOP")
    print(f"  SAD              {f['sad'] / 1e6:8.2f} MFLOP")
    print(f"  training step    {f['train'] / 1e9:8.3f} GFLOP/sample  (3 G+S + 3 AFE + 6 SAD)\n")
    rows = [("inference b1, median", f"{inf['b1_ms_median']:.2f} ms", f["gs"] / inf["b1_ms_median"] * 1e-6),
            ("inference b1, p99", f"{inf['b1_ms_p99']:.2f} ms", None),
            (f"inference b{BATCH}", f"{inf['batch_frames_per_s']:.1f} frames/s",
             f["gs"] * inf["batch_frames_per_s"] * 1e-9),
            ("training b16", f"{t16['samples_per_s']:.2f} samples/s", f["train"] * t16["samples_per_s"] * 1e-9),
            (f"training b{BATCH}", f"{t32['samples_per_s']:.2f} samples/s", f["train"] * t32["samples_per_s"] * 1e-9)]
    print(f"  {'figure':<24} {'value':>20} {'GFLOP/s':>9} {'% of peak':>10}")
    for name, value, gflops in rows:
        rate = f"{gflops:9.1f} {100 * gflops / peak:9.0f}%" if gflops is not None else ""
        print(f"  {name:<24} {value:>20} {rate}")
    print(f"\npeak resident memory: inference {inf['peak_rss_mib']:.0f} MiB, training b16 "
          f"{t16['peak_rss_mib']:.0f} MiB, b{BATCH} {t32['peak_rss_mib']:.0f} MiB "
          f"(python with torch loaded: {rss_start:.0f} MiB)")
    terms = ", ".join(f"{k} {v:.4f}" for k, v in t32["terms"].items())
    print(f"last training step (b{BATCH}): {terms}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2, help="intra-op threads (default 2)")
    ap.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    ap.add_argument("--train-steps", type=int, default=20, help="timed training steps per batch size (default 20)")
    ap.add_argument("--frames", type=int, default=200, help="timed batch-1 frames (default 200)")
    args = ap.parse_args()
    if args.threads < 1 or args.train_steps < 1 or args.frames < 1:
        ap.error("--threads, --train-steps and --frames must be at least 1")
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.set_default_dtype(torch.float32)
    quiet = args.json
    cfg = U.default_config()
    rss_start = status_mib("VmRSS")

    say(quiet, "gemm peak")
    gemm = {n: gemm_gflops(n) for n in (512, 1024)}
    peak = max(rate for rates in gemm.values() for rate in rates.values() if rate is not None)
    torch.manual_seed(1)
    f = model_flops(cfg, U.SRNet(cfg), U.SegNet(cfg), U.SegAwareDiscriminator(cfg))
    say(quiet, "inference")
    batches = max(3, math.ceil(args.frames / BATCH))
    inf = bench_infer(cfg, args.frames, BATCH, batches)
    say(quiet, "training step, batch 16")
    t16 = bench_train(cfg, 16, args.train_steps)
    say(quiet, f"training step, batch {BATCH}")
    t32 = bench_train(cfg, BATCH, args.train_steps)

    r = {"engine": f"pytorch {torch.__version__}", "threads": args.threads,
         "gemm_peak_gflops": peak,
         "train_batch": BATCH, "train_samples_per_s": t32["samples_per_s"],
         "train_samples_per_s_b16": t16["samples_per_s"], "train_gflop_per_sample": f["train"] * 1e-9,
         "infer_b1_ms_median": inf["b1_ms_median"], "infer_b1_ms_p99": inf["b1_ms_p99"],
         "infer_batch": BATCH, "infer_batch_frames_per_s": inf["batch_frames_per_s"],
         "infer_gflop_per_frame": f["gs"] * 1e-9,
         "train_peak_rss_mib": t32["peak_rss_mib"], "infer_peak_rss_mib": inf["peak_rss_mib"]}
    if args.json:
        print(json.dumps(r))
    else:
        print_table(r, gemm, f, inf, t16, t32, rss_start)


if __name__ == "__main__":
    main()
