"""Exports a trained checkpoint for the browser: weights, model card and golden fixtures.

    /usr/bin/python3 training/export.py [--name brown-mtp] [--stages brown-mtp-joint,brown-mtp-distill] [--draft-vocab N]

writes
    public/models/<name>.safetensors   float32 tensors, config and training summary in __metadata__
    public/models/<name>.card.json     sizes, training run, losses, validation perplexity, MTP acceptance
    tests/fixtures/<name>.golden.json  token ids, main and MTP logits for a few held-out prompts

--stages lists the checkpoints of a run trained in stages (each --init-from the previous), oldest
first; the last one's weights are exported and the card describes every stage (totals summed).
Default: one stage, the checkpoint named --name. A first stage trained --init-from the shipped
model (public/models/<name>.safetensors, whose checkpoint may be gone) keeps the shipped card's
training as the stage before it.

--draft-vocab N (0: none): the MTP modules' head scores only the N most frequent tokens of the
training split (FR-Spec), stored ascending as the safetensors' "draft_vocab"; the main model scores
every token, so greedy output is unchanged. The card's acceptance is measured so, and also with the
whole vocabulary (draft_vocabulary.acceptance_whole_vocabulary); the goldens' MTP logits are masked
as the engines compute them.

The acceptance in the card is measured teacher-forced on the whole held-out split, in
consecutive windows of max_seq_len tokens (the protocol of `npm run eval`).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, MTPModel, grown_state  # noqa: E402
from train import HERE, checkpoint_corpus, draft_logits, evaluate, load_tokens  # noqa: E402

ROOT = os.path.dirname(HERE)


DESCRIPTIONS = {
    "brown-mtp": "the Brown corpus (1960s American English prose)",
    "python-mtp": "Python source code (the Python 3.11 standard library as Debian ships it)",
    "kjv-mtp": "English prose (the King James Bible as Debian ships it)",
}
# Parts of the card that `npm run card` writes (decoding settings, samples, acceptance during
# generation); a re-export keeps them.
CARD_KEYS_FROM_TOOLS = ("decoding", "samples", "generation")


def write_safetensors(path, tensors: dict, metadata: dict):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name in sorted(tensors):
        data = tensors[name].detach().cpu().contiguous().float().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # keep the data 8-byte aligned
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)
    os.replace(path + ".tmp", path)


def row(t):
    return [float(x) for x in t.tolist()]


def frequent_tokens(train: np.ndarray, vocab_size: int, n: int) -> torch.Tensor:
    """The n most frequent tokens of the training split (ties to the lower id), ascending."""
    counts = np.bincount(train, minlength=vocab_size)
    return torch.from_numpy(np.sort(np.argsort(-counts, kind="stable")[:n]).astype(np.int64))


@torch.no_grad()
def golden_cases(model: MTPModel, val: np.ndarray, draft_vocab=None):
    """A few held-out prompts: a document start, a mid-document span, a full context; the MTP
    logits as the engines score them (draft_logits)."""
    starts = np.flatnonzero(val == model.cfg.vocab_size - 1)
    spans = [("document_start", int(starts[3]), 12), ("mid_document", 5000, 48), ("full_context", 20000, model.cfg.max_seq_len)]
    cases = []
    for name, start, length in spans:
        ids = torch.from_numpy(val[start : start + length].astype(np.int64))[None]
        logits, mtp_logits = model(ids)
        n = ids.shape[1]
        main_rows = sorted({0, n // 2, n - 1})
        case = {
            "name": name,
            "ids": ids[0].tolist(),
            "main": {"argmax": logits[0].argmax(-1).tolist(), "logits": {str(p): row(logits[0, p]) for p in main_rows}},
            "mtp": [],
        }
        for k, ml in enumerate(mtp_logits, start=1):
            ml = draft_logits(ml, draft_vocab)
            rows = sorted({0, ml.shape[1] - 1})
            case["mtp"].append({"k": k, "argmax": ml[0].argmax(-1).tolist(), "logits": {str(p): row(ml[0, p]) for p in rows}})
        cases.append(case)
    return cases


def train_summary(log_path, tail=10):
    """Mean of the last `tail` logged training losses per phase, and the loss curves."""
    records = [json.loads(line) for line in open(log_path)]
    train = [r for r in records if "train_loss_main" in r]
    evals = [r for r in records if "eval" in r]
    last = train[-tail:]
    mean = lambda xs: round(sum(xs) / len(xs), 4)
    final = {"main": mean([r["train_loss_main"] for r in last])}
    for k in last[-1]["train_loss_mtp"]:
        final[f"mtp_{k}"] = mean([r["train_loss_mtp"][k] for r in last])
    curves = {
        "train": [{"step": r["step"], "phase": r["phase"], "main": r["train_loss_main"], **{f"mtp_{k}": v for k, v in r["train_loss_mtp"].items()}} for r in train[::5]],
        "validation": [{"step": r["step"], "main": round(r["eval"]["loss_main"], 4), **{f"mtp_{k}": round(v, 4) for k, v in r["eval"]["loss_mtp"].items()},
                        **{f"acceptance_{k}": round(v, 4) for k, v in r["eval"]["acceptance"].items()}} for r in evals],
    }
    return final, curves


def train_command(name, run_args):
    """The train.py command line that reproduces a stage (flags that do not change the result left out)."""
    skip = ("resume", "device", "threads", "eval_every", "checkpoint_minutes", "name")
    flags = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in sorted(run_args.items()) if k not in skip and v is not None)
    return f"/usr/bin/python3 training/train.py --name {name} {flags}"


def stage_summary(name):
    """One training stage: its checkpoint's state and arguments, and its log's losses and curves."""
    ck = torch.load(os.path.join(HERE, "checkpoints", f"{name}.pt"), map_location="cpu")
    state, run_args = ck["state"], ck["args"]
    final_train, curves = train_summary(os.path.join(HERE, "logs", f"{name}.jsonl"))
    summary = {
        "name": name,
        "command": train_command(name, run_args),
        "device": run_args.get("device", "cpu"),
        "seed": run_args["seed"],
        "phases": {"joint_steps": run_args["joint_steps"], "distill_steps": run_args["distill_steps"]},
        "batch": [run_args["batch"], run_args["seq"]],
        "steps": state["step"],
        "tokens_seen": state["tokens"],
        "wall_time_s": round(state["wall_s"], 1),
        "final_train_loss": final_train,
    }
    return ck, summary, curves


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--name", default="brown-mtp", help="the published name (public/models/<name>.*)")
    p.add_argument("--stages", default=None, help="comma-separated checkpoint names, oldest first (default: --name)")
    p.add_argument("--draft-vocab", type=int, default=0, help="the MTP modules score the N most frequent tokens (0: all)")
    args = p.parse_args()
    torch.set_num_threads(2)

    stage_names = args.stages.split(",") if args.stages else [args.name]
    stages = [stage_summary(n) for n in stage_names]
    ck = stages[-1][0]
    cfg = Config(**ck["config"])
    model = MTPModel(cfg)
    model.load_state_dict(grown_state(ck["model"], model))
    model.eval()

    corpus_name = checkpoint_corpus(stage_names[-1])
    corpus_dir = os.path.join(HERE, "data", corpus_name)
    val = load_tokens(corpus_name, "val")
    train_tokens = load_tokens(corpus_name, "train")
    if not 0 <= args.draft_vocab <= cfg.vocab_size or args.draft_vocab % 4:
        raise SystemExit(f"--draft-vocab must be a multiple of 4 in 0..{cfg.vocab_size}, got {args.draft_vocab}")
    draft_vocab = frequent_tokens(train_tokens, cfg.vocab_size, args.draft_vocab) if 0 < args.draft_vocab < cfg.vocab_size else None
    ev = evaluate(model, val, torch.device("cpu"), draft_vocab=draft_vocab)
    tokenizer = json.load(open(os.path.join(ROOT, "public", "models", f"{args.name}.tokenizer.json")))
    val_chars = len(open(os.path.join(corpus_dir, "val.txt"), encoding="utf-8").read())
    corpus_json = os.path.join(corpus_dir, "corpus.json")
    corpus = json.load(open(corpus_json)) if os.path.exists(corpus_json) else {}

    summaries = [s for _, s, _ in stages]
    card_path = os.path.join(ROOT, "public", "models", f"{args.name}.card.json")
    old = json.load(open(card_path)) if os.path.exists(card_path) else None
    init_from = stages[0][0]["args"].get("init_from") or ""
    if old and init_from.endswith(f"{args.name}.safetensors"):  # grown from the shipped model: its training comes first
        shipped = old["training"].get("stages") or [{"name": f"{args.name} (the shipped model it started from)", **old["training"]}]
        summaries = shipped + summaries
    if len(summaries) == 1:
        training = {k: v for k, v in summaries[0].items() if k != "name"}
        training["torch"] = torch.__version__
        curves = stages[0][2]
    else:
        training = {
            "command": " && ".join(s["command"] for s in summaries),
            "torch": torch.__version__,
            "steps": sum(s["steps"] for s in summaries),
            "tokens_seen": sum(s["tokens_seen"] for s in summaries),
            "wall_time_s": round(sum(s["wall_time_s"] for s in summaries), 1),
            "final_train_loss": summaries[-1]["final_train_loss"],
            "stages": summaries,
        }
        curves = {s["name"]: c for _, s, c in stages}
    card = {
        "name": args.name,
        "description": f"Tiny decoder-only transformer with DeepSeek-V3-style multi-token-prediction modules, trained on {DESCRIPTIONS.get(corpus_name, corpus_name)}.",
        "corpus": {**corpus, "train_tokens": int(len(train_tokens)), "validation_tokens": int(len(val))},
        "tokenizer": {"type": "byte-level BPE", "vocab_size": tokenizer["vocab_size"], "merges": len(tokenizer["merges"]),
                      "validation_chars_per_token": round(val_chars / len(val), 3)},
        "config": cfg.to_dict(),
        "parameters": model.param_counts(),
        "training": training,
        "validation": {
            "protocol": f"teacher-forced, consecutive windows of {cfg.max_seq_len} tokens, whole held-out split",
            "tokens": ev["tokens"],
            "loss": {"main": round(ev["loss_main"], 4), **{f"mtp_{k}": round(v, 4) for k, v in ev["loss_mtp"].items()}},
            "main_perplexity": round(ev["ppl_main"], 3),
            "acceptance": {k: round(v, 4) for k, v in ev["acceptance"].items()},
            "sampling_acceptance_t1": {k: round(v, 4) for k, v in ev["sampling_acceptance"].items()},
            "top_k_coverage": {k: [round(v, 4) for v in c] for k, c in ev["top_k_coverage"].items()},
            "acceptance_by_main_confidence": [
                {"main_top_p_below": b["main_top_p_below"],
                 "share": {k: round(v, 4) for k, v in b["share"].items()},
                 "acceptance": {k: round(v, 4) for k, v in b["acceptance"].items()}}
                for b in ev["by_confidence"]
            ],
        },
        "loss_curves": curves,
    }
    if draft_vocab is not None:
        whole = evaluate(model, val, torch.device("cpu"))
        card["draft_vocabulary"] = {
            "size": len(draft_vocab),
            "selection": "the most frequent tokens of the training split (FR-Spec); the main model scores every token",
            "training_token_share": round(float(np.isin(train_tokens, draft_vocab.numpy()).mean()), 4),
            "acceptance_whole_vocabulary": {k: round(v, 4) for k, v in whole["acceptance"].items()},
            "top_k_coverage_whole_vocabulary": {k: [round(v, 4) for v in c] for k, c in whole["top_k_coverage"].items()},
        }
    models = os.path.join(ROOT, "public", "models")
    attempts_path = os.path.join(HERE, "attempts", f"{args.name}.json")
    if os.path.exists(attempts_path):
        card["attempts"] = json.load(open(attempts_path))
    if old:  # written by `npm run card`, from the TypeScript engines
        card.update({k: old[k] for k in CARD_KEYS_FROM_TOOLS if k in old})

    metadata = {"config": json.dumps(cfg.to_dict()), "format": "pt",
                "training": json.dumps({k: card["training"][k] for k in ("command", "steps", "tokens_seen", "wall_time_s")})}
    if draft_vocab is not None:
        metadata["draft_vocab"] = json.dumps(draft_vocab.tolist())
    write_safetensors(os.path.join(models, f"{args.name}.safetensors"), model.state_dict(), metadata)
    with open(card_path, "w") as f:
        json.dump(card, f, indent=2)
    fixtures = {"model": args.name, "config": cfg.to_dict(), "cases": golden_cases(model, val, draft_vocab)}
    os.makedirs(os.path.join(ROOT, "tests", "fixtures"), exist_ok=True)
    with open(os.path.join(ROOT, "tests", "fixtures", f"{args.name}.golden.json"), "w") as f:
        json.dump(fixtures, f, separators=(",", ":"))
    print(json.dumps(card["validation"], indent=2))


if __name__ == "__main__":
    main()
