"""Adapting the fast model to one trust's reports, through the review loop a safety team uses.

``sample_data/reports_local_trust.csv`` holds 400 hand-written reports in the house style of one
fictional trust (its own template, system names and abbreviations, none of which the training
corpus has), split in alternate rows into 200 for review and 200 held out. The script does what
a team would do, with the reviewer played by the known labels:

1. ``classify`` the 200 review reports with the shipped fast model;
2. ``review sample`` all 200 into a workbook, and fill it in with openpyxl from the known labels;
3. ``train`` on the workbook with ``--include-shipped-corpus --local-weight W``;
4. ``evaluate`` the shipped model and the retrained one on the 200 held-out reports.

Usage::

    python scripts/local_adaptation.py                  # fast model, weight 3
    python scripts/local_adaptation.py --local-weight 1
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd

from safetylens.taxonomy import LABELS

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261204


def safetylens(*args) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "safetylens", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"safetylens {args[0]} failed: {done.stderr.strip()}")
    return done.stdout


def fill(workbook: Path, truth: pd.DataFrame, out: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    ws = book["Review"]
    header = [c.value for c in ws[1]]
    for cells in ws.iter_rows(min_row=2):
        labels = truth["true_labels"][cells[0].value - 1].split(";")
        for label in LABELS:
            cells[header.index(label)].value = "yes" if label in labels else None
        cells[header.index("reviewed")].value = "yes"
    book.save(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local-weight", type=float, default=3.0)
    args = parser.parse_args()
    reports = pd.read_csv(
        ROOT / "sample_data" / "reports_local_trust.csv", dtype=str, keep_default_na=False
    )
    review = reports[reports["split"] == "train"].rename(columns={"labels": "true_labels"})
    held_out = reports[reports["split"] == "test"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        review.to_csv(tmp / "export.csv", index=False)
        held_out.to_csv(tmp / "held_out.csv", index=False)
        safetylens("classify", tmp / "export.csv", "-o", tmp / "classified.csv", "--model", "fast")
        classified = pd.read_csv(tmp / "classified.csv", dtype=str, keep_default_na=False)
        safetylens(
            "review",
            "sample",
            tmp / "classified.csv",
            "-o",
            tmp / "review.xlsx",
            "--n",
            len(review),
            "--seed",
            SEED,
            "--model",
            "fast",
            "--id-col",
            "report_id",
        )
        fill(tmp / "review.xlsx", classified, tmp / "reviewed.xlsx")
        safetylens(
            "train",
            tmp / "reviewed.xlsx",
            "--include-shipped-corpus",
            "--local-weight",
            args.local_weight,
            "--seed",
            SEED,
            "-o",
            tmp / "adapted",
        )
        before = json.loads(
            safetylens("evaluate", tmp / "held_out.csv", "--model", "fast", "--json")
        )
        after = json.loads(
            safetylens("evaluate", tmp / "held_out.csv", "--model", tmp / "adapted", "--json")
        )
        card = json.loads((tmp / "adapted" / "model_card.json").read_text())
    print(
        f"{len(review)} reviewed local reports, weight {args.local_weight:g}; "
        f"{len(held_out)} held-out local reports"
    )
    print(f"{'':<26} {'shipped fast':>13} {'adapted':>9}")
    print(f"{'macro F1':<26} {before['macro_f1']:>13.3f} {after['macro_f1']:>9.3f}")
    b, a = before["any_information_linked"]["f1"], after["any_information_linked"]["f1"]
    print(f"{'any information-linked F1':<26} {b:>13.3f} {a:>9.3f}")
    for label in LABELS:
        b, a = before["per_label"][label]["f1"], after["per_label"][label]["f1"]
        print(f"{label:<26} {b:>13.3f} {a:>9.3f}")
    local = card["local_reports"]
    print(
        f"card: local macro F1 before {local['before']['macro_f1']:.3f}, "
        f"after (out-of-fold) {local['after']['macro_f1']:.3f}"
    )


if __name__ == "__main__":
    main()
