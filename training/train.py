"""Trains a tiny MTP model on a corpus's token ids (training/data/<corpus>/*.bin).

Two phases, both from one command, with a fixed seed:

1. joint (DeepSeek-V3): L = L_main + (lambda / D) * sum_k L_mtp_k, where each module's loss
   is cross-entropy to the true token plus `--distill` times cross-entropy to the main
   model's own (detached) distribution for that same future token.
2. distill (EAGLE / Medusa-2 style): the main model and the shared embedding are frozen;
   each MTP module is trained only towards the main model's distribution, which is what
   the drafts must agree with for speculative decoding to accept them.

Checkpoints every few minutes to training/checkpoints/ (resumable with --resume) and logs
loss curves as JSON lines to training/logs/<name>.jsonl.

    /usr/bin/python3 training/train.py --joint-steps 2000 --distill-steps 800

Runs on CPU (OpenBLAS; 2 threads here) or CUDA when present (--device cuda).
"""
import argparse
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F

from model import Config, MTPModel, grown_state

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--name", default="brown-mtp")
    p.add_argument("--corpus", default=None, help="training/data/<corpus>/ (default: the --init-from checkpoint's corpus, else --name)")
    p.add_argument("--joint-steps", type=int, default=2000)
    p.add_argument("--distill-steps", type=int, default=800)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seq", type=int, default=256, help="positions per training window")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--distill-lr", type=float, default=2e-3)
    p.add_argument("--mtp-lambda", type=float, default=0.3)
    p.add_argument("--distill", type=float, default=1.0, help="weight of the soft target in phase 1")
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--checkpoint-minutes", type=float, default=5.0)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--init-from", default=None, help="start from the weights of checkpoints/<name>.pt, or of a shipped "
                   "model's .safetensors file (a follow-up run, on a machine without the checkpoint: give --corpus); "
                   "wider or more MTP blocks than it had start as no-ops, see model.grown_state")
    p.add_argument("--teacher-temperature", type=float, default=1.0, help="sharpen (<1) the main model's distribution used as the distillation target")
    p.add_argument("--hard-weight", type=float, default=0.0, help="phase 2: weight of cross-entropy to the main model's argmax")
    for field, default in Config().to_dict().items():
        p.add_argument("--" + field.replace("_", "-"), type=type(default), default=default)
    return p.parse_args()


def load_tokens(corpus: str, split: str) -> np.ndarray:
    """Token ids of training/data/<corpus>/<split>.bin (npm run train-tokenizer -- <corpus>)."""
    path = os.path.join(HERE, "data", corpus, f"{split}.bin")
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: run npm run prepare-corpus -- {corpus} && npm run train-tokenizer -- {corpus}")
    return np.fromfile(path, dtype="<u2").astype(np.int64)


def safetensors_state(path: str) -> dict:
    """The tensors of a .safetensors file (export.py writes float32 ones) as a state dict."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    state = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if t["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {t['dtype']}, expected F32")
        start, end = t["data_offsets"]
        state[name] = torch.from_numpy(np.frombuffer(data[start:end], dtype="<f4").copy()).reshape(t["shape"])
    return state


def initial_state(init_from: str, device) -> dict:
    """--init-from's weights: a shipped .safetensors file, or checkpoints/<name>.pt."""
    if init_from.endswith(".safetensors"):
        return safetensors_state(init_from)
    return torch.load(os.path.join(HERE, "checkpoints", f"{init_from}.pt"), map_location=device)["model"]


def checkpoint_corpus(name: str) -> str:
    """The corpus a checkpoint was trained on. Checkpoints from before --corpus: the run's own name
    where training/data/ has a corpus of that name, else brown-mtp (the only corpus then)."""
    args = torch.load(os.path.join(HERE, "checkpoints", f"{name}.pt"), map_location="cpu")["args"]
    if args.get("corpus"):
        return args["corpus"]
    return args["name"] if os.path.isdir(os.path.join(HERE, "data", args["name"])) else "brown-mtp"


def soft_ce(student_logits, teacher_logits, temperature=1.0):
    """Cross-entropy of the student against the teacher's (detached) softmax at `temperature`."""
    teacher = (teacher_logits.detach().float() / temperature).softmax(-1)
    return -(teacher * student_logits.float().log_softmax(-1)).sum(-1).mean()


def ce(logits, targets):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1))


def window_batches(tokens: np.ndarray, window: int, batch: int):
    """Consecutive non-overlapping windows of `window` tokens (the eval protocol of
    scripts/eval.ts: each window is evaluated from an empty context)."""
    n = len(tokens) // window
    rows = tokens[: n * window].reshape(n, window)
    for start in range(0, n, batch):
        yield torch.from_numpy(rows[start : start + batch])


# top_k_coverage: the main model's argmax is among module k's top 1..TOP_K (the headroom of draft trees).
TOP_K = 4
# Upper edges of the main model's top probability, for acceptance by the main model's confidence.
CONFIDENCE_EDGES = (0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0)


# The logit of a token outside the draft vocabulary (src/model/ops.ts EXCLUDED_LOGIT): the lowest finite float32.
EXCLUDED_LOGIT = torch.finfo(torch.float32).min


def draft_logits(mtp_logits: torch.Tensor, draft_vocab) -> torch.Tensor:
    """An MTP module's logits as the engines score them: with a draft vocabulary (ascending token
    ids), EXCLUDED_LOGIT outside it; without one, unchanged."""
    if draft_vocab is None:
        return mtp_logits
    keep = torch.zeros(mtp_logits.shape[-1], dtype=torch.bool, device=mtp_logits.device)
    keep[draft_vocab] = True
    return mtp_logits.masked_fill(~keep, EXCLUDED_LOGIT)


@torch.no_grad()
def evaluate(model: MTPModel, tokens: np.ndarray, device, max_windows=None, draft_vocab=None):
    """Teacher-forced: main loss, each module's loss, and acceptance per depth (module k's
    argmax at row i equals the main model's argmax at row i + k, the same future token).
    sampling_acceptance is the expected acceptance of speculative sampling at temperature 1,
    sum_x min(p(x), q(x)) with p the main model's and q module k's distribution for that token.
    top_k_coverage[k][j] is the share of rows where the main model's argmax is among module k's
    top j + 1 tokens (j = 0 is the acceptance).
    by_confidence splits the positions by the main model's top probability there (bucket edges
    CONFIDENCE_EDGES): the share of positions in each bucket and each depth's acceptance in it.
    Where the main model's top choices are near ties its argmax is hard to predict, so this shows
    how much of the shortfall comes from the main model's own uncertainty.
    With `draft_vocab` (a tensor of token ids) the modules score only those tokens (draft_logits) in
    the acceptance, sampling acceptance and coverage; their losses stay over the whole vocabulary."""
    model.eval()
    D = model.cfg.mtp_depth
    window = model.cfg.max_seq_len
    nll_main, n_main = 0.0, 0
    nll_mtp, agree, n_mtp, overlap = [0.0] * D, [0] * D, [0] * D, [0.0] * D
    covered = [[0] * TOP_K for _ in range(D)]
    edges = torch.tensor(CONFIDENCE_EDGES[:-1], device=device)
    bucket_rows = [torch.zeros(len(CONFIDENCE_EDGES), device=device) for _ in range(D)]
    bucket_agree = [torch.zeros(len(CONFIDENCE_EDGES), device=device) for _ in range(D)]
    used = 0
    for ids in window_batches(tokens, window, 16):
        if max_windows is not None and used >= max_windows:
            break
        used += ids.shape[0]
        ids = ids.to(device)
        logits, mtp_logits = model(ids)
        nll_main += F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="sum").item()
        n_main += ids[:, 1:].numel()
        main_argmax = logits.argmax(-1)
        for k, ml in enumerate(mtp_logits, start=1):
            L = ml.shape[1]
            # row i predicts token i + k + 1; the last row's target lies outside the window
            tgt = ids[:, k + 1 :]
            nll_mtp[k - 1] += F.cross_entropy(ml[:, : L - 1].reshape(-1, ml.shape[-1]), tgt.reshape(-1), reduction="sum").item()
            n_mtp[k - 1] += tgt.numel()
            mq = draft_logits(ml, draft_vocab)
            same = mq.argmax(-1) == main_argmax[:, k:]
            agree[k - 1] += same.sum().item()
            bucket = torch.bucketize(F.softmax(logits[:, k:], -1).amax(-1).flatten(), edges, right=True)
            bucket_rows[k - 1] += torch.bincount(bucket, minlength=len(CONFIDENCE_EDGES)).float()
            bucket_agree[k - 1] += torch.bincount(bucket, weights=same.flatten().float(), minlength=len(CONFIDENCE_EDGES))
            overlap[k - 1] += torch.minimum(F.softmax(logits[:, k:], -1), F.softmax(mq, -1)).sum().item()
            ranked = mq.topk(TOP_K, -1).indices == main_argmax[:, k:, None]
            for j in range(TOP_K):
                covered[k - 1][j] += ranked[..., : j + 1].any(-1).sum().item()
    model.train()
    rows = lambda k: used * (window - k)
    return {
        "tokens": used * window,
        "loss_main": nll_main / n_main,
        "ppl_main": math.exp(nll_main / n_main),
        "loss_mtp": {str(k): nll_mtp[k - 1] / n_mtp[k - 1] for k in range(1, D + 1)},
        "acceptance": {str(k): agree[k - 1] / rows(k) for k in range(1, D + 1)},
        "sampling_acceptance": {str(k): overlap[k - 1] / rows(k) for k in range(1, D + 1)},
        "top_k_coverage": {str(k): [covered[k - 1][j] / rows(k) for j in range(TOP_K)] for k in range(1, D + 1)},
        "by_confidence": [
            {"main_top_p_below": edge,
             "share": {str(k): (bucket_rows[k - 1][b] / rows(k)).item() for k in range(1, D + 1)},
             "acceptance": {str(k): (bucket_agree[k - 1][b] / bucket_rows[k - 1][b].clamp(min=1)).item() for k in range(1, D + 1)}}
            for b, edge in enumerate(CONFIDENCE_EDGES)
        ],
    }


def lr_at(step, total, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def main():
    args = parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    cfg = Config(**{f: getattr(args, f) for f in Config().to_dict()})
    device = torch.device(args.device)
    model = MTPModel(cfg).to(device)
    print("parameters:", model.param_counts(), flush=True)

    if args.corpus is None:
        if args.init_from and args.init_from.endswith(".safetensors"):
            raise SystemExit("--init-from FILE.safetensors needs --corpus (a shipped model does not say what it was trained on)")
        args.corpus = checkpoint_corpus(args.init_from) if args.init_from else args.name
    train_tokens, val_tokens = load_tokens(args.corpus, "train"), load_tokens(args.corpus, "val")
    D = cfg.mtp_depth
    L = args.seq  # main positions per row; MTP module k has L - k rows (DeepSeek truncation)
    assert L <= cfg.max_seq_len, "--seq must not exceed --max-seq-len (RoPE table length)"

    def sample_batch():
        starts = rng.integers(0, len(train_tokens) - L - 1, size=args.batch)
        return torch.from_numpy(np.stack([train_tokens[s : s + L + 1] for s in starts])).to(device)

    main_params = [p for n, p in model.named_parameters() if not n.startswith("mtp.")]
    mtp_params = [p for n, p in model.named_parameters() if n.startswith("mtp.")]

    def make_opt(params, lr):
        decay = [p for p in params if p.dim() >= 2]
        no_decay = [p for p in params if p.dim() < 2]
        return torch.optim.AdamW(
            [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
            lr=lr, betas=(0.9, 0.95),
        )

    ckpt_dir = os.path.join(HERE, "checkpoints")
    log_dir = os.path.join(HERE, "logs")
    os.makedirs(ckpt_dir, exist_ok=True)
    os.makedirs(log_dir, exist_ok=True)
    ckpt_path = os.path.join(ckpt_dir, f"{args.name}.pt")
    log_path = os.path.join(log_dir, f"{args.name}.jsonl")

    state = {"step": 0, "tokens": 0, "wall_s": 0.0, "history": []}
    opt_joint = make_opt(main_params + mtp_params, args.lr)
    opt_distill = make_opt(mtp_params, args.distill_lr)
    if args.resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=device)
        model.load_state_dict(ck["model"])
        opt_joint.load_state_dict(ck["opt_joint"])
        opt_distill.load_state_dict(ck["opt_distill"])
        state = ck["state"]
        rng = np.random.default_rng([args.seed, state["step"]])
        print(f"resumed at step {state['step']}", flush=True)
    else:
        if os.path.exists(log_path):
            os.remove(log_path)
        if args.init_from:
            model.load_state_dict(grown_state(initial_state(args.init_from, device), model))
            print(f"initialised from {args.init_from}", flush=True)

    def save():
        torch.save({"model": model.state_dict(), "opt_joint": opt_joint.state_dict(),
                    "opt_distill": opt_distill.state_dict(), "state": state,
                    "config": cfg.to_dict(), "args": vars(args)}, ckpt_path + ".tmp")
        os.replace(ckpt_path + ".tmp", ckpt_path)

    def log(record):
        with open(log_path, "a") as f:
            f.write(json.dumps(record) + "\n")

    total_steps = args.joint_steps + args.distill_steps
    last_ckpt = time.time()
    t_start = time.time() - state["wall_s"]
    while state["step"] < total_steps:
        step = state["step"]
        joint = step < args.joint_steps
        if step == args.joint_steps:
            print("phase 2: distilling the MTP modules towards the frozen main model", flush=True)
        opt = opt_joint if joint else opt_distill
        lr = lr_at(step, args.joint_steps, args.lr, args.warmup) if joint else \
            lr_at(step - args.joint_steps, args.distill_steps, args.distill_lr, args.warmup // 2)
        for g in opt.param_groups:
            g["lr"] = lr

        batch = sample_batch()
        ids, targets = batch[:, :-1], batch[:, 1:]
        if joint:
            logits, mtp_logits = model(ids)
            loss_main = ce(logits, targets)
            mtp_terms = []
            for k, ml in enumerate(mtp_logits, start=1):
                term = ce(ml, targets[:, k:])
                if args.distill > 0:
                    term = term + args.distill * soft_ce(ml, logits[:, k:])
                mtp_terms.append(term)
            loss = loss_main + args.mtp_lambda / D * sum(mtp_terms)
            # Report plain cross-entropy per head (comparable between phases).
            mtp_ce = [ce(ml, targets[:, k:]).item() for k, ml in enumerate(mtp_logits, 1)]
        else:
            with torch.no_grad():
                emb = model.tok_emb(ids)
                h = emb
                for layer in model.layers:
                    h = layer(h, model.rope_cos, model.rope_sin)
                logits = model.head(model.norm(h))
            loss_main = ce(logits, targets)
            terms, mtp_ce = [], []
            for k, module in enumerate(model.mtp, start=1):
                h = module(h[:, : L - k], emb[:, k:], model.rope_cos, model.rope_sin)
                ml = model.head(module.norm(h))
                term = soft_ce(ml, logits[:, k:], args.teacher_temperature)
                if args.hard_weight > 0:
                    term = term + args.hard_weight * ce(ml, logits[:, k:].argmax(-1))
                terms.append(term)
                mtp_ce.append(ce(ml, targets[:, k:]).item())
            loss = sum(terms) / D

        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(main_params + mtp_params if joint else mtp_params, 1.0)
        opt.step()
        state["step"] += 1
        state["tokens"] += ids.numel()
        state["wall_s"] = time.time() - t_start

        if state["step"] % 20 == 0:
            rec = {"step": state["step"], "phase": "joint" if joint else "distill", "lr": lr,
                   "tokens": state["tokens"], "wall_s": round(state["wall_s"], 1),
                   "train_loss_main": round(loss_main.item(), 4),
                   "train_loss_mtp": {str(k): round(v, 4) for k, v in enumerate(mtp_ce, 1)}}
            log(rec)
            print(json.dumps(rec), flush=True)
        if state["step"] % args.eval_every == 0 or state["step"] == total_steps:
            ev = evaluate(model, val_tokens, device, max_windows=None if state["step"] == total_steps else 128)
            rec = {"step": state["step"], "eval": ev, "wall_s": round(state["wall_s"], 1)}
            state["history"].append(rec)
            log(rec)
            print(json.dumps(rec), flush=True)
        if time.time() - last_ckpt > args.checkpoint_minutes * 60 or state["step"] == total_steps:
            save()
            last_ckpt = time.time()
    print("done", flush=True)


if __name__ == "__main__":
    main()
