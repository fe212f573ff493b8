"""The tiny MTP language model, in PyTorch, for training and for the golden fixtures.

DeepSeek-V3 shape, shrunk: pre-norm decoder blocks (RMSNorm -> causal attention with
RoPE -> residual; RMSNorm -> SwiGLU -> residual), a final RMSNorm and an output head tied
to the embedding. D sequential multi-token-prediction (MTP) modules (DeepSeek-V3 report,
section 2.2): module k combines the previous depth's hidden state at position i with the
embedding of token i+k,

    h'_i = M_k [RMSNorm(h_i^(k-1)) ; RMSNorm(Emb(t_(i+k)))]
    h_i^k = TRM_k(h'_i)
    P^k_(i+k+1) = OutHead(RMSNorm_k(h_i^k))

with its own transformer block (and KV cache at inference) and the shared embedding and
head. Parameter names here are the tensor names in the exported safetensors file, and the
TypeScript reference (src/model/reference.ts) follows this file line by line.

Written for torch 1.13 (Debian's python3-torch) and newer: no scaled_dot_product_attention.
"""
import math
import re
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab_size: int = 1024
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    ffn_hidden: int = 384
    max_seq_len: int = 256
    mtp_depth: int = 2
    mtp_layers: int = 1  # transformer blocks per MTP module (DeepSeek-V3: one)
    mtp_ffn_hidden: int = 384  # SwiGLU width of the MTP modules' blocks
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    def to_dict(self) -> dict:
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(cfg: Config, device=None):
    """cos/sin for positions 0..max_seq_len-1; pairs are (j, j + head_dim/2) ("rotate half")."""
    half = cfg.head_dim // 2
    inv_freq = cfg.rope_theta ** (-torch.arange(half, dtype=torch.float64) * 2 / cfg.head_dim)
    angles = torch.arange(cfg.max_seq_len, dtype=torch.float64)[:, None] * inv_freq[None, :]
    return angles.cos().float().to(device), angles.sin().float().to(device)


def apply_rope(x, cos, sin):
    """x: (B, H, T, hd); cos/sin: (T, hd/2)."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.n_heads, self.head_dim = cfg.n_heads, cfg.head_dim
        d = cfg.d_model
        self.wq = nn.Linear(d, d, bias=False)
        self.wk = nn.Linear(d, d, bias=False)
        self.wv = nn.Linear(d, d, bias=False)
        self.wo = nn.Linear(d, d, bias=False)

    def forward(self, x, cos, sin):
        B, T, d = x.shape
        split = lambda t: t.view(B, T, self.n_heads, self.head_dim).transpose(1, 2)
        q, k, v = split(self.wq(x)), split(self.wk(x)), split(self.wv(x))
        q, k = apply_rope(q, cos[:T], sin[:T]), apply_rope(k, cos[:T], sin[:T])
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.head_dim)
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
        scores = scores.masked_fill(mask, float("-inf"))
        out = scores.softmax(-1) @ v
        return self.wo(out.transpose(1, 2).reshape(B, T, d))


class FeedForward(nn.Module):
    """SwiGLU: w2(silu(w1 x) * w3 x)."""

    def __init__(self, d: int, hidden: int):
        super().__init__()
        self.w1 = nn.Linear(d, hidden, bias=False)
        self.w3 = nn.Linear(d, hidden, bias=False)
        self.w2 = nn.Linear(hidden, d, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    def __init__(self, cfg: Config, ffn_hidden: int):
        super().__init__()
        self.attn_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.attn = Attention(cfg)
        self.ffn_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.ffn = FeedForward(cfg.d_model, ffn_hidden)

    def forward(self, x, cos, sin):
        x = x + self.attn(self.attn_norm(x), cos, sin)
        return x + self.ffn(self.ffn_norm(x))


class MTPModule(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.hnorm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.enorm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.proj = nn.Linear(2 * cfg.d_model, cfg.d_model, bias=False)
        self.blocks = nn.ModuleList(Block(cfg, cfg.mtp_ffn_hidden) for _ in range(cfg.mtp_layers))
        self.norm = RMSNorm(cfg.d_model, cfg.norm_eps)

    def forward(self, h_prev, emb_next, cos, sin):
        """h_prev: depth k-1 hidden at positions i; emb_next: Emb(t_(i+k)). Returns h^k."""
        x = self.proj(torch.cat([self.hnorm(h_prev), self.enorm(emb_next)], dim=-1))
        for block in self.blocks:
            x = block(x, cos, sin)
        return x


class MTPModel(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.layers = nn.ModuleList(Block(cfg, cfg.ffn_hidden) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.mtp = nn.ModuleList(MTPModule(cfg) for _ in range(cfg.mtp_depth))
        cos, sin = rope_tables(cfg)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.apply(self._init)
        # Residual-branch outputs start small so deep sums stay at unit scale (GPT-2).
        for name, p in self.named_parameters():
            if name.endswith("wo.weight") or name.endswith("w2.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * (cfg.n_layers + cfg.mtp_depth * cfg.mtp_layers)))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def head(self, h):
        return h @ self.tok_emb.weight.t()

    def forward(self, ids):
        """ids: (B, L). Returns main logits (B, L, V) and a list of MTP logits, module k
        (1-based) of shape (B, L - k, V): row i predicts token i + k + 1 from tokens <= i + k."""
        cos, sin = self.rope_cos, self.rope_sin
        emb = self.tok_emb(ids)
        h = emb
        for layer in self.layers:
            h = layer(h, cos, sin)
        logits = self.head(self.norm(h))
        mtp_logits = []
        L = ids.shape[1]
        for k, module in enumerate(self.mtp, start=1):
            h = module(h[:, : L - k], emb[:, k:], cos, sin)
            mtp_logits.append(self.head(module.norm(h)))
        return logits, mtp_logits

    def param_counts(self) -> dict:
        count = lambda mod: sum(p.numel() for p in mod.parameters())
        main = count(self) - sum(count(m) for m in self.mtp)
        return {"main": main, **{f"mtp_{k}": count(m) for k, m in enumerate(self.mtp, 1)}, "total": count(self)}


def ffn_unit_order(old: dict, prefix: str) -> torch.Tensor:
    """The hidden units of the SwiGLU at `prefix`, most important first. A unit adds
    silu(w1_j x) (w3_j x) w2[:, j] to the stream, so |w1_j| |w3_j| |w2[:, j]| bounds its size for
    a normalised x: narrowing a block keeps the units that move the stream most."""
    w1, w3, w2 = (old[f"{prefix}.{w}.weight"] for w in ("w1", "w3", "w2"))
    size = w1.norm(dim=1) * w3.norm(dim=1) * w2.norm(dim=0)
    return size.argsort(descending=True)


def grown_state(old: dict, model: MTPModel) -> dict:
    """The state of `model` (a config with wider, narrower or more MTP blocks than `old`'s)
    closest to what `old` computes. Wider or more: exactly the same function (old tensors fill
    the leading slices, the new FFN units get zero output columns (w2) and new blocks zero
    residual outputs (wo, w2), so they add nothing until training moves them). Narrower: the
    FFN keeps its most important units (ffn_unit_order), for distillation to recover the rest.
    Also reads checkpoints from before MTP modules had `blocks`."""
    old = {re.sub(r"^(mtp\.\d+)\.block\.", r"\1.blocks.0.", n): t for n, t in old.items()}
    state = model.state_dict()
    for name, new in state.items():
        if name not in old:
            if name.endswith("wo.weight") or name.endswith("w2.weight"):
                new.zero_()  # a new block: identity on the residual stream
            continue
        t = old[name]
        if t.shape == new.shape:
            new.copy_(t)
            continue
        ffn = re.match(r"^(.*\.ffn)\.(w1|w2|w3)\.weight$", name)
        hidden_axis = 1 if name.endswith("w2.weight") else 0
        if ffn and t.shape[hidden_axis] > new.shape[hidden_axis]:
            keep = ffn_unit_order(old, ffn.group(1))[: new.shape[hidden_axis]].sort().values
            new.copy_(t.index_select(hidden_axis, keep))
        elif name.endswith("w2.weight"):  # (d, hidden): new hidden units contribute nothing yet
            new.zero_()
            new[:, : t.shape[1]] = t
        else:  # w1 / w3 (hidden, d): the old units first, the new ones keep their random init
            new[: t.shape[0]] = t
    return state
