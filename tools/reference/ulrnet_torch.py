"""The ulrseg networks in PyTorch, layer for layer and name for name as models/networks.cpp,
so that a state_dict is a ulrseg weights file and back. Used by make_fixtures.py (parity of
G, S, SAD and one joint training step) and by bench/torch_peer.py (the side-by-side benchmark).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

LEAKY = 0.2


def default_config():
    return {"in_h": 16, "in_w": 16, "scale": 4, "num_classes": 14,
            "g_channels": 48, "g_blocks": 2, "g_heads": 4, "g_up_channels": [24, 16, 16],
            "s_channels": [16, 32, 64, 96], "s_heads": 4, "s_groups": 4, "d_channels": [16, 32, 64]}


def up_stages(cfg):
    n, s = 0, cfg["scale"]
    while s > 1:
        s //= 2
        n += 1
    return n


class SpatialAttention(nn.Module):
    """x + MHA(LayerNorm(tokens(x))), tokens = the H*W positions."""

    def __init__(self, channels, heads):
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.attn = nn.MultiheadAttention(channels, heads, batch_first=True)

    def forward(self, x):
        n, c, h, w = x.shape
        t = x.permute(0, 2, 3, 1).reshape(n, h * w, c)
        a, _ = self.attn(*(self.norm(t),) * 3, need_weights=False)
        return x + a.reshape(n, h, w, c).permute(0, 3, 1, 2)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)


class SRNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C = cfg["g_channels"]
        self.cfg = cfg
        self.stem = nn.Conv2d(3, C, 3, padding=1)
        self.blocks = nn.ModuleList([Block(C) for _ in range(cfg["g_blocks"])])
        self.attention = SpatialAttention(C, cfg["g_heads"])
        self.body_end = nn.Conv2d(C, C, 3, padding=1)
        ups, c_in = [], C
        for s in range(up_stages(cfg)):
            c_out = cfg["g_up_channels"][s]
            ups.append(nn.Conv2d(c_in, 4 * c_out, 3, padding=1))
            c_in = c_out
        self.up = nn.ModuleList(ups)
        self.out = nn.Conv2d(c_in, 3, 3, padding=1)

    def forward(self, x):
        stem = self.stem(x)
        f = stem
        for b in self.blocks:
            f = f + b.conv2(F.leaky_relu(b.conv1(f), LEAKY))
        f = self.attention(f)
        f = self.body_end(f) + stem
        for up in self.up:
            f = F.leaky_relu(F.pixel_shuffle(up(f), 2), LEAKY)
        size = (self.cfg["in_h"] * self.cfg["scale"], self.cfg["in_w"] * self.cfg["scale"])
        return self.out(f) + F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class Res3(nn.Module):
    def __init__(self, c, g):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.norm1 = nn.GroupNorm(g, c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        self.norm2 = nn.GroupNorm(g, c)


class SegNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c, g = cfg["s_channels"], cfg["s_groups"]
        self.stem, self.stem_norm = nn.Conv2d(3, c[0], 3, padding=1), nn.GroupNorm(g, c[0])
        self.down1, self.down1_norm = nn.Conv2d(c[0], c[1], 3, 2, 1), nn.GroupNorm(g, c[1])
        self.conv2, self.conv2_norm = nn.Conv2d(c[1], c[1], 3, padding=1), nn.GroupNorm(g, c[1])
        self.down2, self.down2_norm = nn.Conv2d(c[1], c[2], 3, 2, 1), nn.GroupNorm(g, c[2])
        self.res3 = Res3(c[2], g)
        self.down3, self.down3_norm = nn.Conv2d(c[2], c[3], 3, 2, 1), nn.GroupNorm(g, c[3])
        self.attention = SpatialAttention(c[3], cfg["s_heads"])
        self.up3 = nn.Conv2d(c[3], 4 * c[2], 1)
        self.fuse3, self.fuse3_norm = nn.Conv2d(c[2], c[2], 3, padding=1), nn.GroupNorm(g, c[2])
        self.up2 = nn.Conv2d(c[2], 4 * c[1], 1)
        self.fuse2, self.fuse2_norm = nn.Conv2d(c[1], c[1], 3, padding=1), nn.GroupNorm(g, c[1])
        self.up1 = nn.Conv2d(c[1], 4 * c[0], 1)
        self.fuse1, self.fuse1_norm = nn.Conv2d(c[0], c[0], 3, padding=1), nn.GroupNorm(g, c[0])
        self.head = nn.Conv2d(c[0], cfg["num_classes"], 1)

    def encode(self, x):
        e1 = F.relu(self.stem_norm(self.stem(x)))
        e2 = F.relu(self.down1_norm(self.down1(e1)))
        e2 = e2 + F.relu(self.conv2_norm(self.conv2(e2)))
        e3 = F.relu(self.down2_norm(self.down2(e2)))
        r = F.relu(self.res3.norm1(self.res3.conv1(e3)))
        e3 = F.relu(e3 + self.res3.norm2(self.res3.conv2(r)))
        e4 = F.relu(self.down3_norm(self.down3(e3)))
        return [e1, e2, e3, self.attention(e4)]

    def forward(self, x):
        e = self.encode(x)
        d = F.pixel_shuffle(self.up3(e[3]), 2) + e[2]
        d = F.relu(self.fuse3_norm(self.fuse3(d)))
        d = F.pixel_shuffle(self.up2(d), 2) + e[1]
        d = F.relu(self.fuse2_norm(self.fuse2(d)))
        d = F.pixel_shuffle(self.up1(d), 2) + e[0]
        d = F.relu(self.fuse1_norm(self.fuse1(d)))
        return self.head(d), e


def agglomerated_features(features):
    h = features[-1].shape[2]
    parts = []
    for f in features:
        factor = f.shape[2] // h
        p = F.avg_pool2d(f, factor) if factor > 1 else f
        parts.append(F.normalize(p, dim=1, eps=1e-12))
    a = torch.cat(parts, 1)
    n, d = a.shape[0], a.shape[1]
    return a.permute(0, 2, 3, 1).reshape(-1, d)


def feature_loss(target, pred):
    a, b = F.normalize(target, dim=1), F.normalize(pred, dim=1)
    return (a - b).abs().mean() + (1 - F.cosine_similarity(a, b, dim=1)).mean()


class SADBlock(nn.Module):
    def __init__(self, cin, c):
        super().__init__()
        self.conv1 = nn.utils.spectral_norm(nn.Conv2d(cin, c, 3, padding=1))
        self.conv2 = nn.utils.spectral_norm(nn.Conv2d(c, c, 3, 2, 1))


class SegAwareDiscriminator(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        blocks, cin = [], 3 + cfg["num_classes"]
        for c in cfg["d_channels"]:
            blocks.append(SADBlock(cin, c))
            cin = c
        self.blocks = nn.ModuleList(blocks)
        self.fc = nn.utils.spectral_norm(nn.Linear(cin, 1))

    def forward(self, image, probs):
        f = torch.cat([image, probs], 1)
        for b in self.blocks:
            f = F.leaky_relu(b.conv1(f), LEAKY)
            f = F.leaky_relu(b.conv2(f), LEAKY)
        return self.fc(f.mean((2, 3)))
