"""Evaluate saved checkpoints on the whole held-out split, teacher-forced: main perplexity, each MTP
module's loss, greedy acceptance and expected sampling acceptance per depth (see train.evaluate).
Used to compare training attempts (training/attempts.json) without exporting them.

    /usr/bin/python3 training/evaluate.py brown-mtp brown-mtp-sharp
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, MTPModel, grown_state  # noqa: E402
from train import HERE, evaluate, load_tokens, checkpoint_corpus  # noqa: E402


def main():
    torch.set_num_threads(2)
    for name in sys.argv[1:] or ["brown-mtp"]:
        val = load_tokens(checkpoint_corpus(name), "val")
        ck = torch.load(os.path.join(HERE, "checkpoints", f"{name}.pt"), map_location="cpu")
        model = MTPModel(Config(**ck["config"]))
        model.load_state_dict(grown_state(ck["model"], model))
        ev = evaluate(model, val, torch.device("cpu"))
        print(json.dumps({"name": name, **ev}), flush=True)


if __name__ == "__main__":
    main()
