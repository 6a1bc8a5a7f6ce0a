#!/usr/bin/python3
"""PyTorch reference for ulrseg's parity tests.

Writes safetensors fixtures that the C++ tests (tests/test_parity.cpp) must match:
  ops.safetensors    for every op case: inputs, output, a random output weighting r and the
                     gradients of <out, r> with respect to every differentiable input.
  optim.safetensors  a small two-layer conv net: initial parameters, the batch, the loss and
                     parameters after each of 5 Adam and 5 AdamW steps.
  models.safetensors G (SRNet), S (SegNet) and the SAD of tools/reference/ulrnet_torch.py at a
                     small width: parameters, input, output and every gradient; and one joint
                     training step (D step, then G+S on the paper's loss with the AFE teacher):
                     loss terms, gradients and parameters after the step.
Each case's parameters live in __metadata__ as JSON under the case name.

  /usr/bin/python3 tools/reference/make_fixtures.py --seed 1 --out tests/fixtures

Needs only Debian's python3-torch and python3-numpy; the safetensors file is written by hand
(the format is small) so no other package is needed.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils.spectral_norm import SpectralNorm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ulrnet_torch as U  # noqa: E402

DTYPES = {np.dtype("float32"): "F32", np.dtype("uint8"): "U8", np.dtype("int64"): "I64"}


def write_safetensors(path, tensors, metadata):
    """tensors: name -> numpy array. Sorted by name, packed, header padded to 8 bytes."""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": DTYPES[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


class Cases:
    def __init__(self, gen):
        self.gen = gen
        self.tensors = {}
        self.meta = {}

    def rand(self, *shape, lo=-1.0, hi=1.0):
        return torch.rand(*shape, generator=self.gen, dtype=torch.float64).mul(hi - lo).add(lo).float()

    def add(self, name, op, inputs, fn, params=None, grad=None, extra_out=None):
        """inputs: ordered dict name -> tensor (float: differentiable unless listed in grad=False
        names; uint8: labels). fn(**tensors) -> output tensor."""
        params = dict(params or {})
        grad = grad if grad is not None else [k for k, v in inputs.items() if v.dtype == torch.float32]
        leaves = {}
        for k, v in inputs.items():
            t = v.clone()
            if k in grad:
                t.requires_grad_(True)
            leaves[k] = t
        out = fn(*leaves.values())
        r = self.rand(*out.shape)
        (out * r).sum().backward()
        for k, v in inputs.items():
            self.tensors[f"{name}/{k}"] = v.numpy()
        self.tensors[f"{name}/out"] = out.detach().numpy()
        self.tensors[f"{name}/r"] = r.numpy()
        for k in grad:
            self.tensors[f"{name}/grad/{k}"] = leaves[k].grad.numpy()
        for k, v in (extra_out or {}).items():
            self.tensors[f"{name}/{k}"] = v().detach().numpy()
        params["op"] = op
        params["inputs"] = list(inputs.keys())
        params["grads"] = grad
        self.meta[name] = json.dumps(params)


def make_ops(seed):
    g = torch.Generator().manual_seed(seed)
    c = Cases(g)
    R = c.rand

    # elementwise
    c.add("add_broadcast", "add", {"a": R(2, 3, 4, 5), "b": R(3, 1, 1)}, lambda a, b: a + b)
    c.add("sub_broadcast", "sub", {"a": R(4, 1), "b": R(1, 5)}, lambda a, b: a - b)
    c.add("mul_same", "mul", {"a": R(2, 3, 4), "b": R(2, 3, 4)}, lambda a, b: a * b)
    c.add("mul_broadcast", "mul", {"a": R(2, 6, 3, 3), "b": R(1, 6, 1, 1)}, lambda a, b: a * b)
    c.add("scale", "scale", {"x": R(3, 7)}, lambda x: x * -1.5, {"s": -1.5})
    c.add("add_scalar", "add_scalar", {"x": R(3, 7)}, lambda x: x + 0.25, {"s": 0.25})
    c.add("sum", "sum", {"x": R(4, 5, 6)}, lambda x: x.sum().reshape(1))
    c.add("mean", "mean", {"x": R(4, 5, 6)}, lambda x: x.mean().reshape(1))

    # activations
    x = R(2, 4, 5, 5, lo=-3, hi=3)
    c.add("relu", "relu", {"x": x}, F.relu)
    c.add("leaky_relu", "leaky_relu", {"x": x}, lambda x: F.leaky_relu(x, 0.2), {"slope": 0.2})
    c.add("gelu", "gelu", {"x": x}, F.gelu)
    c.add("sigmoid", "sigmoid", {"x": x}, torch.sigmoid)
    c.add("tanh", "tanh", {"x": x}, torch.tanh)
    c.add("clamp", "clamp", {"x": x}, lambda x: x.clamp(-0.5, 0.7), {"lo": -0.5, "hi": 0.7})

    # softmax
    c.add("softmax_channels", "softmax", {"x": R(2, 5, 3, 4, lo=-4, hi=4)},
          lambda x: F.softmax(x, 1), {"dim": 1})
    c.add("softmax_last", "softmax", {"x": R(3, 4, 9, lo=-4, hi=4)}, lambda x: F.softmax(x, -1), {"dim": -1})
    c.add("log_softmax_channels", "log_softmax", {"x": R(2, 6, 3, 3, lo=-4, hi=4)},
          lambda x: F.log_softmax(x, 1), {"dim": 1})
    c.add("log_softmax_last", "log_softmax", {"x": R(5, 11, lo=-4, hi=4)},
          lambda x: F.log_softmax(x, -1), {"dim": -1})

    # matmul / linear
    c.add("matmul_batched", "matmul", {"a": R(2, 3, 4, 5), "b": R(2, 3, 5, 6)}, torch.matmul)
    c.add("matmul_shared", "matmul", {"a": R(3, 4, 5), "b": R(5, 2)}, torch.matmul)
    c.add("linear", "linear", {"x": R(2, 7, 8), "w": R(5, 8), "b": R(5)}, F.linear)
    c.add("linear_nobias", "linear", {"x": R(6, 8), "w": R(3, 8)}, lambda x, w: F.linear(x, w))

    # conv2d
    def conv_case(name, n, cin, h, w, cout, k, stride, pad, dil, groups, bias=True):
        inputs = {"x": R(n, cin, h, w), "w": R(cout, cin // groups, k, k, lo=-0.5, hi=0.5)}
        if bias:
            inputs["b"] = R(cout)
        p = {"stride": stride, "pad": pad, "dilation": dil, "groups": groups}
        c.add(name, "conv2d", inputs,
              lambda x, w, b=None: F.conv2d(x, w, b, stride, pad, dil, groups), p)

    conv_case("conv2d_3x3", 2, 4, 8, 8, 6, 3, 1, 1, 1, 1)
    conv_case("conv2d_stride2", 2, 3, 9, 7, 5, 3, 2, 1, 1, 1)
    conv_case("conv2d_dilation2", 1, 3, 10, 10, 4, 3, 1, 2, 2, 1)
    conv_case("conv2d_groups2", 2, 4, 6, 6, 6, 3, 1, 1, 1, 2)
    conv_case("conv2d_depthwise", 2, 5, 7, 7, 5, 3, 1, 1, 1, 5)
    conv_case("conv2d_1x1_nobias", 3, 8, 5, 5, 4, 1, 1, 0, 1, 1, bias=False)
    conv_case("conv2d_5x5_pad2", 1, 2, 8, 8, 3, 5, 1, 2, 1, 1)

    # pixel shuffle
    c.add("pixel_shuffle", "pixel_shuffle", {"x": R(2, 12, 3, 4)}, lambda x: F.pixel_shuffle(x, 2), {"r": 2})
    c.add("pixel_unshuffle", "pixel_unshuffle", {"x": R(2, 3, 6, 4)}, lambda x: F.pixel_unshuffle(x, 2), {"r": 2})

    # resize
    for mode in ("bilinear", "bicubic"):
        for tag, (oh, ow) in (("up", (11, 9)), ("down", (3, 5)), ("x4", (20, 24))):
            src = R(2, 3, 5, 6) if tag != "down" else R(2, 3, 8, 11)
            c.add(f"resize_{mode}_{tag}", f"resize_{mode}", {"x": src},
                  lambda x, oh=oh, ow=ow, mode=mode: F.interpolate(x, size=(oh, ow), mode=mode, align_corners=False),
                  {"out_h": oh, "out_w": ow})
    c.add("area_downsample", "area_downsample", {"x": R(2, 3, 16, 12)},
          lambda x: F.avg_pool2d(x, 4), {"factor": 4})

    # pooling
    c.add("avg_pool2d", "avg_pool2d", {"x": R(2, 3, 9, 8)},
          lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=True), {"kernel": 3, "stride": 2, "pad": 1})
    c.add("max_pool2d", "max_pool2d", {"x": R(2, 3, 9, 8)},
          lambda x: F.max_pool2d(x, 3, 2, 1), {"kernel": 3, "stride": 2, "pad": 1})
    c.add("global_avg_pool", "global_avg_pool", {"x": R(3, 4, 5, 6)}, lambda x: x.mean((2, 3)))

    # shape
    c.add("reshape", "reshape", {"x": R(2, 3, 4)}, lambda x: x.reshape(4, -1), {"shape": [4, -1]})
    c.add("permute", "permute", {"x": R(2, 3, 4, 5)}, lambda x: x.permute(0, 2, 3, 1).contiguous(),
          {"dims": [0, 2, 3, 1]})
    c.add("concat", "concat", {"a": R(2, 3, 4), "b": R(2, 5, 4)}, lambda a, b: torch.cat([a, b], 1), {"dim": 1})
    c.add("slice", "slice", {"x": R(3, 8, 5)}, lambda x: x[:, 2:7].contiguous(), {"dim": 1, "start": 2, "end": 7})

    # norms
    c.add("group_norm", "group_norm", {"x": R(2, 6, 4, 5, lo=-2, hi=3), "gamma": R(6), "beta": R(6)},
          lambda x, gamma, beta: F.group_norm(x, 3, gamma, beta, 1e-5), {"groups": 3, "eps": 1e-5})
    c.add("layer_norm", "layer_norm", {"x": R(3, 4, 8, lo=-2, hi=3), "gamma": R(8), "beta": R(8)},
          lambda x, gamma, beta: F.layer_norm(x, (8,), gamma, beta, 1e-5), {"eps": 1e-5})
    rm, rv = R(4), R(4, lo=0.5, hi=1.5)
    run_m, run_v = rm.clone(), rv.clone()
    c.add("batch_norm_train", "batch_norm",
          {"x": R(3, 4, 5, 5, lo=-2, hi=3), "gamma": R(4), "beta": R(4), "running_mean": rm, "running_var": rv},
          lambda x, gamma, beta, running_mean, running_var:
              F.batch_norm(x, run_m, run_v, gamma, beta, True, 0.1, 1e-5),
          {"training": True, "momentum": 0.1, "eps": 1e-5}, grad=["x", "gamma", "beta"],
          extra_out={"running_mean_after": lambda: run_m, "running_var_after": lambda: run_v})
    c.add("batch_norm_eval", "batch_norm",
          {"x": R(3, 4, 5, 5, lo=-2, hi=3), "gamma": R(4), "beta": R(4), "running_mean": rm, "running_var": rv},
          lambda x, gamma, beta, running_mean, running_var:
              F.batch_norm(x, running_mean, running_var, gamma, beta, False, 0.1, 1e-5),
          {"training": False, "momentum": 0.1, "eps": 1e-5}, grad=["x", "gamma", "beta"])

    # attention
    c.add("scaled_dot_product_attention", "scaled_dot_product_attention",
          {"q": R(2, 3, 5, 4), "k": R(2, 3, 5, 4), "v": R(2, 3, 5, 4)},
          lambda q, k, v: torch.softmax(q @ k.transpose(-1, -2) / 2.0, -1) @ v)
    C, heads = 8, 2
    def mha(x, in_w, in_b, out_w, out_b):
        out, _ = F.multi_head_attention_forward(
            x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1), C, heads, in_w, in_b,
            None, None, False, 0.0, out_w, out_b, training=False, need_weights=False)
        return out.transpose(0, 1)
    c.add("multi_head_attention", "multi_head_attention",
          {"x": R(2, 6, C), "in_w": R(3 * C, C, lo=-0.5, hi=0.5), "in_b": R(3 * C),
           "out_w": R(C, C, lo=-0.5, hi=0.5), "out_b": R(C)}, mha, {"heads": heads})

    # spectral norm: torch's own SpectralNorm hook, one training-mode power iteration
    sn = torch.nn.utils.spectral_norm(torch.nn.Conv2d(4, 6, 3, bias=False))
    hook = next(h for h in sn._forward_pre_hooks.values()
                if isinstance(h, SpectralNorm))
    w0 = R(6, 4, 3, 3)
    u0 = F.normalize(R(6), dim=0, eps=1e-12)
    v0 = F.normalize(R(36), dim=0, eps=1e-12)
    with torch.no_grad():
        sn.weight_orig.copy_(w0)
        sn.weight_u.copy_(u0)
        sn.weight_v.copy_(v0)
    sn.train()
    out = hook.compute_weight(sn, do_power_iteration=True)
    r = R(*out.shape)
    (out * r).sum().backward()
    name = "spectral_norm_train"
    c.tensors.update({f"{name}/w": w0.numpy(), f"{name}/u": u0.numpy(), f"{name}/v": v0.numpy(),
                      f"{name}/out": out.detach().numpy(), f"{name}/r": r.numpy(),
                      f"{name}/grad/w": sn.weight_orig.grad.numpy(),
                      f"{name}/u_after": sn.weight_u.detach().clone().numpy(),
                      f"{name}/v_after": sn.weight_v.detach().clone().numpy()})
    c.meta[name] = json.dumps({"op": "spectral_norm", "inputs": ["w", "u", "v"], "grads": ["w"],
                               "training": True})

    # losses
    K = 5
    logits = R(2, K, 4, 3, lo=-3, hi=3)
    target = torch.randint(0, K, (2, 4, 3), generator=g).to(torch.uint8)
    target[0, 0, 0] = 255
    target[1, 2, 1] = 255
    weights = R(K, lo=0.2, hi=2.0)
    c.add("cross_entropy", "cross_entropy", {"logits": logits, "target": target, "weights": weights},
          lambda logits, target, weights: F.cross_entropy(logits, target.long(), weight=weights,
                                                          ignore_index=255).reshape(1),
          grad=["logits"])
    t2 = torch.randint(0, K, (6,), generator=g).to(torch.uint8)
    c.add("cross_entropy_2d", "cross_entropy", {"logits": R(6, K, lo=-3, hi=3), "target": t2},
          lambda logits, target: F.cross_entropy(logits, target.long(), ignore_index=255).reshape(1),
          grad=["logits"])
    c.add("mse_loss", "mse_loss", {"pred": R(2, 3, 4), "target": R(2, 3, 4)},
          lambda pred, target: F.mse_loss(pred, target).reshape(1))
    c.add("l1_loss", "l1_loss", {"pred": R(2, 3, 4), "target": R(2, 3, 4)},
          lambda pred, target: F.l1_loss(pred, target).reshape(1))
    c.add("bce_with_logits", "bce_with_logits", {"logits": R(3, 7, lo=-4, hi=4), "target": R(3, 7, lo=0, hi=1)},
          lambda logits, target: F.binary_cross_entropy_with_logits(logits, target).reshape(1))
    c.add("l2_normalize", "l2_normalize", {"x": R(3, 6, 2)}, lambda x: F.normalize(x, dim=1, eps=1e-12),
          {"dim": 1})
    c.add("cosine_similarity", "cosine_similarity", {"a": R(4, 7), "b": R(4, 7)},
          lambda a, b: F.cosine_similarity(a, b, dim=1, eps=1e-8), {"dim": 1})

    def feature_loss(ft, fp):
        a, b = F.normalize(ft, dim=1), F.normalize(fp, dim=1)
        return ((a - b).abs().mean() + (1 - F.cosine_similarity(a, b, dim=1)).mean()).reshape(1)
    c.add("feature_loss", "feature_loss", {"f_target": R(4, 10), "f_pred": R(4, 10)}, feature_loss)
    return c.tensors, c.meta


def make_optim(seed):
    g = torch.Generator().manual_seed(seed + 1000)
    def R(*s, scale=1.0):
        return (torch.rand(*s, generator=g, dtype=torch.float64) * 2 - 1).float() * scale
    x, target = R(4, 3, 8, 8), R(4, 4, 8, 8)
    init = {"w1": R(8, 3, 3, 3, scale=0.3), "b1": R(8, scale=0.1), "w2": R(4, 8, 3, 3, scale=0.2),
            "b2": R(4, scale=0.1)}
    tensors = {"x": x.numpy(), "target": target.numpy()}
    for k, v in init.items():
        tensors[f"init/{k}"] = v.numpy()
    meta = {}
    configs = {"adam": (torch.optim.Adam, {"lr": 1e-2, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.05}),
               "adamw": (torch.optim.AdamW, {"lr": 1e-2, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.1})}
    for name, (cls, kw) in configs.items():
        params = {k: torch.nn.Parameter(v.clone()) for k, v in init.items()}
        opt = cls([params[k] for k in ("w1", "b1", "w2", "b2")], **kw)
        losses = []
        for step in range(5):
            opt.zero_grad()
            h = F.relu(F.conv2d(x, params["w1"], params["b1"], padding=1))
            y = F.conv2d(h, params["w2"], params["b2"], padding=1)
            loss = F.mse_loss(y, target)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        tensors[f"{name}/losses"] = np.array(losses, dtype=np.float32)
        for k, v in params.items():
            tensors[f"{name}/final/{k}"] = v.detach().numpy()
        meta[name] = json.dumps({"lr": kw["lr"], "beta1": kw["betas"][0], "beta2": kw["betas"][1],
                                 "eps": kw["eps"], "weight_decay": kw["weight_decay"], "steps": 5})
    return tensors, meta


def small_config():
    cfg = U.default_config()
    cfg.update({"g_channels": 8, "g_blocks": 1, "g_heads": 2, "g_up_channels": [8, 8, 8],
                "s_channels": [8, 8, 8, 8], "s_heads": 2, "s_groups": 4, "d_channels": [8, 8]})
    return cfg


def init_module(module, gen, prefix, tensors):
    """Fills every parameter and buffer with seeded values and records them under prefix."""
    with torch.no_grad():
        for name, t in list(module.named_parameters()) + list(module.named_buffers()):
            v = (torch.rand(t.shape, generator=gen, dtype=torch.float64) * 2 - 1).float() * 0.3
            if name.endswith("weight_u") or name.endswith("weight_v"):
                v = F.normalize(v, dim=0, eps=1e-12)
            elif name.endswith("norm.weight") or name.endswith("_norm.weight") or ".norm" in name and name.endswith("weight"):
                v = 1 + v
            t.copy_(v)
            tensors[f"{prefix}{name}"] = v.numpy().copy()


def grads_of(module, prefix, tensors, tag):
    for name, t in module.named_parameters():
        tensors[f"{tag}/grad/{prefix}{name}"] = t.grad.detach().numpy().copy()


def make_models(seed):
    g = torch.Generator().manual_seed(seed + 2000)
    cfg = small_config()
    tensors, meta = {}, {"model": json.dumps(cfg)}
    def R(*s, lo=0.0, hi=1.0):
        return (torch.rand(*s, generator=g, dtype=torch.float64) * (hi - lo) + lo).float()

    G, S, D, T = U.SRNet(cfg), U.SegNet(cfg), U.SegAwareDiscriminator(cfg), U.SegNet(cfg)
    init_module(G, g, "g.", tensors)
    init_module(S, g, "s.", tensors)
    init_module(D, g, "d.", tensors)
    teacher = {}
    init_module(T, g, "s.", teacher)
    tensors.update({f"teacher/{k}": v for k, v in teacher.items()})
    D.train()

    # Forward and backward of each network on its own: <out, r>.
    ulr = R(2, 3, 16, 16)
    tensors["g/input"] = ulr.numpy()
    sr = G(ulr)
    r = R(*sr.shape, lo=-1)
    (sr * r).sum().backward()
    tensors.update({"g/out": sr.detach().numpy(), "g/r": r.numpy()})
    grads_of(G, "g.", tensors, "g")
    G.zero_grad()

    img = R(2, 3, 64, 64)
    tensors["s/input"] = img.numpy()
    logits, _ = S(img)
    r = R(*logits.shape, lo=-1)
    (logits * r).sum().backward()
    tensors.update({"s/out": logits.detach().numpy(), "s/r": r.numpy()})
    grads_of(S, "s.", tensors, "s")
    S.zero_grad()

    probs = torch.softmax(R(2, 14, 64, 64, lo=-2, hi=2), 1)
    tensors.update({"d/image": img.numpy(), "d/probs": probs.numpy()})
    out = D(img, probs)
    r = R(*out.shape, lo=-1)
    (out * r).sum().backward()
    tensors.update({"d/out": out.detach().numpy(), "d/r": r.numpy()})
    grads_of(D, "d.", tensors, "d")
    for name, b in D.named_buffers():
        tensors[f"d/after/d.{name}"] = b.detach().numpy().copy()
    D.zero_grad()

    # One joint step, exactly as TrainState::step (stage 2, method joint).
    with torch.no_grad():  # back to the recorded state (the forward above moved u and v)
        for name, b in D.named_buffers():
            b.copy_(torch.from_numpy(tensors[f"d.{name}"]))
    hp = {"lr": 1e-3, "lr_d": 2e-4, "lambda_mse": 0.5, "lambda_fea": 0.01, "lambda_adv": 0.01,
          "alpha": 0.3, "clip_norm": 0.0}
    meta["joint_step"] = json.dumps(hp)
    hr = R(2, 3, 64, 64)
    ulr = F.avg_pool2d(hr, 4)
    labels = torch.randint(0, 14, (2, 64, 64), generator=g)
    labels[0, :4, :4] = 255
    tensors.update({"joint/hr": hr.numpy(), "joint/ulr": ulr.numpy(),
                    "joint/labels": labels.to(torch.uint8).numpy()})
    net_params = list(G.parameters()) + list(S.parameters())
    opt_net = torch.optim.AdamW(net_params, lr=hp["lr"], betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
    opt_d = torch.optim.AdamW(D.parameters(), lr=hp["lr_d"], betas=(0.5, 0.999), eps=1e-8, weight_decay=0)
    for p in T.parameters():
        p.requires_grad_(False)
    opt_net.zero_grad()
    sr = G(ulr)
    logits, _ = S(sr)
    ce = F.cross_entropy(logits, labels, ignore_index=255)
    mse = F.mse_loss(sr, hr)
    with torch.no_grad():
        target = U.agglomerated_features(T.encode(hr))
    fea = U.feature_loss(target, U.agglomerated_features(T.encode(sr)))
    probs = torch.softmax(logits, 1)
    opt_d.zero_grad()
    onehot = F.one_hot(labels.clamp(max=13), 14).permute(0, 3, 1, 2).float() * (labels != 255).unsqueeze(1)
    real = D(hr, onehot)
    fake = D(sr.detach(), probs.detach())
    d_loss = (F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) +
              F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
    d_loss.backward()
    opt_d.step()
    judged = D(sr, probs)
    adv = F.binary_cross_entropy_with_logits(judged, torch.ones_like(judged))
    a = hp["alpha"]
    loss = (1 - a) * (hp["lambda_mse"] * mse + hp["lambda_fea"] * fea + hp["lambda_adv"] * adv) + a * ce
    loss.backward()
    opt_net.step()
    terms = {"loss": loss, "ce": ce, "mse": mse, "fea": fea, "d": d_loss, "adv": adv}
    for k, v in terms.items():
        tensors[f"joint/terms/{k}"] = np.array([v.item()], dtype=np.float32)
    grads_of(G, "g.", tensors, "joint")
    grads_of(S, "s.", tensors, "joint")
    for prefix, m in (("g.", G), ("s.", S), ("d.", D)):
        for name, t in list(m.named_parameters()) + list(m.named_buffers()):
            tensors[f"joint/after/{prefix}{name}"] = t.detach().numpy().copy()
    return tensors, meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="tests/fixtures")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    common = {"format": "ulrseg-fixtures", "version": "1", "seed": str(args.seed),
              "torch": torch.__version__}
    tensors, meta = make_ops(args.seed)
    write_safetensors(os.path.join(args.out, "ops.safetensors"), tensors, {**common, **meta})
    tensors, meta = make_optim(args.seed)
    write_safetensors(os.path.join(args.out, "optim.safetensors"), tensors, {**common, **meta})
    tensors, meta = make_models(args.seed)
    write_safetensors(os.path.join(args.out, "models.safetensors"), tensors, {**common, **meta})
    print(f"wrote {args.out}/ops.safetensors, optim.safetensors and models.safetensors (seed {args.seed})")


if __name__ == "__main__":
    main()
