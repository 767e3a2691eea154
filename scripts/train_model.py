"""Rebuild both shipped models reproducibly: ``models/fast`` and ``models/accurate``.

Training data: ``sample_data/reports_handwritten.csv``, ``reports_generated.csv`` (made by
``scripts/generate_reports.py``) and ``reports_registers.csv`` (hand-written reports in the
registers of investigations, coroners, complaints, safeguarding reviews, GP significant events,
device and IT faults, pharmacy interventions and terse one-liners).

Held-out test splits, never trained on and never used to choose a setting:
``reports_test.csv`` (incident-report style) and ``reports_test_registers.csv`` (the registers
above, written separately).

Steps:

1. ``fast``: the TF-IDF model on all training reports, thresholds from 5-fold out-of-fold F1.
2. The encoder (all-MiniLM-L6-v2) fine-tuned on 85% of the training reports; its thresholds are
   tuned on the other 15% (the validation reports).
3. The combination: a TF-IDF model fitted on the same 85% scores the validation reports; the
   encoder's weight in the average of the two models' probabilities, and the thresholds of the
   average, are chosen on the validation reports. The shipped ``accurate`` model averages the
   encoder with ``fast`` when that beats the encoder alone on the validation reports.
4. int8 against fp32: both graphs are scored on the test splits (reported, and int8 is kept
   unless it loses more than 0.01 macro F1).

Usage::

    python scripts/train_model.py              # writes models/fast and models/accurate
    python scripts/train_model.py --out /tmp/m # somewhere else
    python scripts/train_model.py --only fast  # one of them
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from safetylens._encoder import EncoderClassifier, _validation_split
from safetylens._metrics import format_metrics, score
from safetylens._model import IncidentClassifier, labels_to_indicator, tune_thresholds
from safetylens._modelcard import save_model, sha256_file
from safetylens._training import data_hash
from safetylens.taxonomy import LABELS

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
SEED = 20261204
TRAIN = ["reports_handwritten.csv", "reports_generated.csv", "reports_registers.csv"]
TESTS = ["reports_test.csv", "reports_test_registers.csv"]
WEIGHTS = np.round(np.arange(0.0, 1.0001, 0.1), 2)


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLE / name, dtype=str, keep_default_na=False)


def breakdown(frame: pd.DataFrame, Y: np.ndarray, P: np.ndarray) -> dict:
    """Metrics of the whole split and by register (or setting, where there is no register)."""
    out = {"all": score(Y, P)}
    column = "register" if "register" in frame.columns else "setting"
    out["by"] = column
    out["groups"] = {}
    for value in sorted(frame[column].unique()):
        rows = np.flatnonzero(frame[column].to_numpy() == value)
        m = score(Y[rows], P[rows])
        out["groups"][value] = {
            "n": len(rows),
            "macro_f1": m["macro_f1"],
            "any_f1": m["any_information_linked"]["f1"],
        }
    return out


def summary_line(name, result) -> str:
    m = result["all"]
    return f"{name}: macro F1 {m['macro_f1']:.3f}, any F1 {m['any_information_linked']['f1']:.3f}"


def progress_bar(start):
    def progress(step, total, epoch, loss):
        if step == 1 or step % 25 == 0 or step == total:
            rate = (time.perf_counter() - start) / step
            print(
                f"  encoder step {step}/{total} (epoch {epoch}), loss {loss:.3f}, "
                f"{rate:.2f} s/step, {rate * (total - step) / 60:.0f} min left",
                flush=True,
            )

    return progress


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "models")
    parser.add_argument("--only", choices=("fast", "accurate"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--sample", type=int, help="Train on a random sample of this many reports (a smoke test)."
    )
    parser.add_argument(
        "--encoder-from",
        type=Path,
        help="Skip fine-tuning: take the fine-tuned fp32 encoder (model.onnx, tokenizer.json, "
        "model_card.json) from this folder, as a previous run with the same data and seed wrote "
        "it, and redo quantisation, thresholds and the combination.",
    )
    args = parser.parse_args()
    train = pd.concat([read(n) for n in TRAIN], ignore_index=True)
    if args.sample:
        train = train.sample(n=args.sample, random_state=SEED).reset_index(drop=True)
    texts, Y = train["text"].tolist(), labels_to_indicator(train["labels"].tolist())
    tests = {name: read(name) for name in TESTS}
    test_Y = {name: labels_to_indicator(t["labels"].tolist()) for name, t in tests.items()}
    training_data = {
        "name": ", ".join(TRAIN),
        "n_reports": len(texts),
        "sha256": data_hash(texts, Y),
        "label_counts": {label: int(n) for label, n in zip(LABELS, Y.sum(axis=0), strict=True)},
    }
    test_data = [
        {"name": name, "n_reports": len(t), "sha256": data_hash(t["text"].tolist(), test_Y[name])}
        for name, t in tests.items()
    ]
    print(
        f"training reports: {len(texts)}; test splits: "
        + ", ".join(f"{n} ({len(t)})" for n, t in tests.items()),
        flush=True,
    )
    fast_dir, accurate_dir = args.out / "fast", args.out / "accurate"
    report = {}

    # 1. The fast model.
    if args.only in (None, "fast"):
        start = time.perf_counter()
        fast = IncidentClassifier(random_state=SEED).fit(
            texts, Y, progress=lambda d, t: print(f"  fast model fold {d}/{t}", flush=True)
        )
        results = {
            n: breakdown(t, test_Y[n], fast.predict(t["text"].tolist())) for n, t in tests.items()
        }
        card = save_model(
            fast,
            fast_dir,
            card={
                "training_data": training_data,
                "seed": SEED,
                "test_data": test_data,
                "test_metrics": {n: r["all"] for n, r in results.items()},
                "test_breakdown": {
                    n: {"by": r["by"], "groups": r["groups"]} for n, r in results.items()
                },
            },
        )
        report["fast"] = {n: summary_line(n, r) for n, r in results.items()}
        print(
            f"fast model: {time.perf_counter() - start:.0f} s; "
            f"{(fast_dir / card['model_file']).stat().st_size / 1e6:.1f} MB",
            flush=True,
        )
        for line in report["fast"].values():
            print("  " + line, flush=True)
    if args.only == "fast":
        return

    # 2. The encoder, fine-tuned on 85% of the reports.
    start = time.perf_counter()
    encoder = EncoderClassifier(random_state=SEED, epochs=args.epochs, quantize=False)
    if args.encoder_from is None:
        encoder.fit(texts, Y, progress=progress_bar(start))
        print(f"encoder fine-tuned in {(time.perf_counter() - start) / 60:.1f} min", flush=True)
    else:
        previous = json.loads((args.encoder_from / "model_card.json").read_text())
        if (
            previous["training_data"]["sha256"] != training_data["sha256"]
            or previous["seed"] != SEED
        ):
            raise SystemExit("--encoder-from: that encoder was trained on other data or seed")
        encoder.onnx_model_ = (args.encoder_from / "model.onnx").read_bytes()
        encoder.tokenizer_json_ = (args.encoder_from / "tokenizer.json").read_text("utf-8")
        encoder.classes_ = np.array(LABELS)
        encoder.base_model_info_ = previous["base_model"]
        _, encoder.validation_indices_ = _validation_split(Y, encoder.validation_fraction, SEED)
    train_idx, valid_idx = _validation_split(Y, encoder.validation_fraction, SEED)
    assert np.array_equal(valid_idx, encoder.validation_indices_)
    valid_texts = [texts[i] for i in valid_idx]

    # 4. int8 against fp32, on the validation reports and the test splits.
    from safetylens._finetune import quantize_onnx, shipped_tokenizer

    encoder.tokenizer_json_ = shipped_tokenizer(encoder.tokenizer_json_, encoder.max_length)
    fp32_bytes = encoder.onnx_model_
    variants = {}
    for precision in ("fp32", "int8"):
        model = EncoderClassifier(**encoder.get_params())
        model.onnx_model_ = fp32_bytes if precision == "fp32" else quantize_onnx(fp32_bytes)
        model.tokenizer_json_ = encoder.tokenizer_json_
        model.classes_ = encoder.classes_
        model.base_model_info_ = encoder.base_model_info_
        valid_p = model.predict_proba(valid_texts)
        model.thresholds_, f1s = tune_thresholds(Y[valid_idx], valid_p)
        model.cv_scores_ = {
            str(c): round(float(f), 4) for c, f in zip(model.classes_, f1s, strict=True)
        }
        test_p = {n: model.predict_proba(t["text"].tolist()) for n, t in tests.items()}
        macro = {n: score(test_Y[n], model.decide(p))["macro_f1"] for n, p in test_p.items()}
        variants[precision] = (model, valid_p, test_p, macro)
        print(
            f"encoder {precision}: test macro F1 "
            + ", ".join(f"{n} {m:.3f}" for n, m in macro.items()),
            flush=True,
        )
    loss = max(variants["fp32"][3][n] - variants["int8"][3][n] for n in tests)
    precision = "int8" if loss <= 0.01 else "fp32"
    encoder, valid_p, test_p, _ = variants[precision]
    encoder.quantize = precision == "int8"
    print(
        f"kept {precision} (int8 loses at most {loss:+.3f} macro F1 on the test splits)", flush=True
    )

    # 3. The combination with a TF-IDF model that did not see the validation reports.
    tfidf_85 = IncidentClassifier(random_state=SEED, threshold_cv=2).fit(
        [texts[i] for i in train_idx], Y[train_idx]
    )
    tfidf_valid = tfidf_85.predict_proba(valid_texts)
    choices = []
    for w in WEIGHTS:
        mean = w * valid_p + (1 - w) * tfidf_valid
        thresholds, f1s = tune_thresholds(Y[valid_idx], mean)
        choices.append((float(np.mean(f1s)), float(w), thresholds))
        print(f"  weight {w:.1f}: validation macro F1 {np.mean(f1s):.4f}", flush=True)
    encoder_alone = next(c for c in choices if c[1] == 1.0)
    best = max(choices, key=lambda c: (round(c[0], 4), c[1]))
    combine = best[1] < 1.0 and best[0] > encoder_alone[0] + 0.002
    print(
        f"encoder weight {best[1]:.1f}: validation macro F1 {best[0]:.4f} "
        f"(encoder alone {encoder_alone[0]:.4f}); combine: {combine}",
        flush=True,
    )

    from safetylens._modelcard import load_model

    results_encoder = {
        n: breakdown(t, test_Y[n], encoder.decide(test_p[n])) for n, t in tests.items()
    }
    card_extra = {
        "training_data": training_data,
        "seed": SEED,
        "precision": precision,
        "validation": {
            "n_reports": len(valid_idx),
            "macro_f1_by_encoder_weight": {f"{c[1]:.1f}": round(c[0], 4) for c in choices},
        },
        "test_data": test_data,
        "encoder_alone_test_metrics": {n: r["all"] for n, r in results_encoder.items()},
    }
    if combine:
        fast_model = load_model(fast_dir)
        weight, thresholds = best[1], best[2]
        combined_p = {
            n: weight * test_p[n] + (1 - weight) * fast_model.predict_proba(t["text"].tolist())
            for n, t in tests.items()
        }
        final = {
            n: breakdown(t, test_Y[n], (combined_p[n] >= thresholds).astype(int))
            for n, t in tests.items()
        }
        card_extra["companion"] = {
            "folder": "fast",
            "model_sha256": sha256_file(fast_dir / "model.joblib"),
            "weight": weight,
            "thresholds": {label: float(t) for label, t in zip(LABELS, thresholds, strict=True)},
        }
    else:
        final = results_encoder
    card_extra["test_metrics"] = {n: r["all"] for n, r in final.items()}
    card_extra["test_breakdown"] = {
        n: {"by": r["by"], "groups": r["groups"]} for n, r in final.items()
    }
    save_model(encoder, accurate_dir, card=card_extra)
    report["encoder alone"] = {n: summary_line(n, r) for n, r in results_encoder.items()}
    report["accurate"] = {n: summary_line(n, r) for n, r in final.items()}
    for name, lines in report.items():
        print(f"{name}:")
        for line in lines.values():
            print("  " + line)
    for n, r in final.items():
        print(f"accurate, {n}:")
        print(format_metrics(r["all"]))
        for group, g in r["groups"].items():
            print(
                f"  {r['by']} {group:<20} n={g['n']:<4} macro {g['macro_f1']:.3f} "
                f"any {g['any_f1']:.3f}"
            )
    size = sum((accurate_dir / f).stat().st_size for f in ("model.onnx", "tokenizer.json"))
    print(f"accurate folder {size / 1e6:.1f} MB")


if __name__ == "__main__":
    os.environ.setdefault("SAFETYLENS_THREADS", str(os.cpu_count() or 1))
    sys.exit(main())
