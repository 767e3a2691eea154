"""Rebuild the shipped default model reproducibly.

Trains on ``sample_data/reports_handwritten.csv`` and ``sample_data/reports_generated.csv`` (made by
``scripts/generate_reports.py``), scores the model
on the hand-written held-out split ``sample_data/reports_test.csv`` (never seen in training or
threshold tuning), and writes ``models/default/`` with its model card.

Usage::

    python scripts/train_model.py            # writes models/default
    python scripts/train_model.py --out /tmp/m  # somewhere else
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from safetylens.evaluate import format_metrics
from safetylens.training import train_model

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261128


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "default")
    parser.add_argument(
        "--train",
        type=Path,
        nargs="+",
        default=[
            ROOT / "sample_data" / "reports_handwritten.csv",
            ROOT / "sample_data" / "reports_generated.csv",
        ],
    )
    parser.add_argument("--test", type=Path, default=ROOT / "sample_data" / "reports_test.csv")
    args = parser.parse_args()
    start = time.perf_counter()
    card = train_model(args.train, args.out, text_col="text", seed=SEED, cv=5, test=args.test)
    print(
        f"trained on {card['training_data']['n_reports']} reports in "
        f"{time.perf_counter() - start:.0f} s; wrote {args.out}"
    )
    print(f"held-out test split ({card['test_data']['n_reports']} hand-written reports):")
    print(format_metrics(card["test_metrics"]))
    size = (args.out / card["model_file"]).stat().st_size
    print(f"model file {size / 1e6:.2f} MB, sha256 {card['model_sha256']}")


if __name__ == "__main__":
    main()
