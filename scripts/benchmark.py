"""Benchmark safetylens: both models' throughput and memory, start-up time, ITS fitting time.

For each model (``fast`` and ``accurate``) and input size it builds a CSV by resampling the
labelled corpus (seeded), then measures:

* end-to-end ``safetylens classify`` throughput (CSV in, CSV out), single process and with
  ``--n-jobs 2``, each in a fresh process with its peak memory (RSS, workers included);
* the bare model on the same texts already in memory, and the ratio end-to-end / bare. For
  ``fast`` that is the fitted pipeline's ``predict_proba`` in 5,000-text chunks; for
  ``accurate`` it is a bare ONNX Runtime session over ``model.onnx`` with ``tokenizer.json``
  (each text tokenised, truncated to the model's window and run: the least work any caller
  could do);
* start-up time of ``safetylens --help`` (best of 7);
* time to fit the ITS (quasi-Poisson, Fourier seasonality) for 1,000 monthly series of five years.

Usage::

    python scripts/benchmark.py                          # both models, default sizes
    python scripts/benchmark.py --models accurate --sizes 2000 --skip-its
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 7

# Peak RSS of this process from the kernel's high-water mark. (ru_maxrss is no good for a
# child: Linux carries it over from the parent through fork and exec.)
_PEAK = """
def _peak_kb():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
"""

# Runs one classify in a fresh process; reports seconds, its own peak RSS and its workers'.
_CHILD = (
    _PEAK
    + """
import resource, sys, time
from safetylens.cli import app
start = time.perf_counter()
try:
    app(sys.argv[1:], prog_name="safetylens", standalone_mode=False)
finally:
    elapsed = time.perf_counter() - start
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"BENCH {elapsed:.3f} {_peak_kb()} {kids}", file=sys.stderr)
"""
)

# The bare fitted pipeline on the same texts, already in memory, in a fresh process.
_BARE_FAST = """
import sys, time
import pandas as pd
from safetylens._modelcard import load_model
model = load_model("fast")
texts = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)["description"].tolist()
start = time.perf_counter()
for i in range(0, len(texts), 5000):  # the chunk size classify uses: memory stays bounded
    model.pipeline_.predict_proba(texts[i : i + 5000])
print(f"BENCH {len(texts) / (time.perf_counter() - start):.1f}")
"""

# A bare ONNX Runtime session over the accurate model's files: tokenise, truncate, run.
_BARE_ACCURATE = """
import json, sys, time
import numpy as np, onnxruntime, pandas as pd
from tokenizers import Tokenizer
from safetylens._resources import models_dir
folder = models_dir() / "accurate"
window = json.loads((folder / "model_card.json").read_text())["params"]["max_length"]
session = onnxruntime.InferenceSession(str(folder / "model.onnx"))
tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
tokenizer.enable_truncation(window)
tokenizer.no_padding()
texts = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)["description"].tolist()
start = time.perf_counter()
for encoding in tokenizer.encode_batch(texts):
    ids = np.array([encoding.ids], dtype=np.int64)
    session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
print(f"BENCH {len(texts) / (time.perf_counter() - start):.1f}")
"""


def build_input(n: int, folder: Path) -> Path:
    """Write the input CSV in a child process, so this process stays small."""
    path = folder / f"reports_{n}.csv"
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'scripts')!r}); import benchmark; "
        f"benchmark._write_input({n}, {str(path)!r})"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    return path


def _write_input(n: int, path: str) -> None:
    import pandas as pd

    corpus = pd.concat(
        [
            pd.read_csv(ROOT / "sample_data" / name, dtype=str, keep_default_na=False)
            for name in ("reports_handwritten.csv", "reports_test.csv")
        ]
    )
    sample = corpus.sample(n=n, replace=True, random_state=SEED).reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "incident_id": [f"INC{i:08d}" for i in range(n)],
            "incident_date": "03/04/2021",
            "site": sample["setting"],
            "description": sample["text"],
        }
    )
    frame.to_csv(path, index=False)


def run_classify(path: Path, n_jobs: int, model: str) -> tuple[float, float]:
    """Seconds and peak RSS (MB, the larger of the main process and any worker; a worker's
    figure includes what it shared with the main process when it started)."""
    out = path.with_name(f"{path.stem}_out_{n_jobs}.csv")
    command = [
        sys.executable,
        "-c",
        _CHILD,
        "classify",
        str(path),
        "-o",
        str(out),
        "--n-jobs",
        str(n_jobs),
        "--model",
        model,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"classify failed: {done.stderr.strip().splitlines()[-1:]}")
    line = next(ln for ln in done.stderr.splitlines() if ln.startswith("BENCH "))
    _, seconds, own, kids = line.split()
    out.unlink()
    return float(seconds), max(int(own), int(kids)) / 1024


def bare_model(path: Path, model: str) -> float:
    """Reports per second of the bare model on in-memory texts."""
    code = _BARE_FAST if model == "fast" else _BARE_ACCURATE
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    return float(done.stdout.split("BENCH ")[1])


def startup_seconds() -> float:
    best = float("inf")
    for _ in range(7):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "safetylens", "--help"], capture_output=True, check=True
        )
        best = min(best, time.perf_counter() - start)
    return best


def its_seconds(n_series: int = 1000) -> float:
    import warnings

    import numpy as np

    from safetylens.its import PeriodSeries, SegmentedRegression

    rng = np.random.default_rng(SEED)
    t = np.arange(60)
    spec = SegmentedRegression(model="quasipoisson", seasonality="fourier", harmonics=2)
    rate = np.exp(3 + 0.005 * t - 0.2 * (t >= 30) + 0.1 * np.sin(2 * np.pi * t / 12))
    series = [
        PeriodSeries.from_arrays("2019-01", counts=rng.poisson(rate), denominators=[10_000] * 60)
        for _ in range(n_series)
    ]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # autocorrelation notes travel with each result
        for s in series:
            spec.fit(s, rollout="2021-07-01")
    return time.perf_counter() - start


SIZES = {"fast": [10_000, 100_000], "accurate": [2_000, 20_000]}


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark safetylens.")
    parser.add_argument("--models", nargs="+", default=["fast", "accurate"])
    parser.add_argument("--sizes", type=int, nargs="+", help="Input sizes (default per model).")
    parser.add_argument("--skip-its", action="store_true")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}"
    )
    print(f"start-up: `safetylens --help` {startup_seconds():.3f} s (best of 7)")
    print(
        f"{'model':>9} {'reports':>9} {'bare rep/s':>11} {'e2e rep/s':>10} {'ratio':>6} "
        f"{'2 jobs rep/s':>13} {'speed-up':>9} {'peak MB':>8} {'peak MB 2j':>10}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for model in args.models:
            for n in args.sizes or SIZES[model]:
                path = build_input(n, Path(folder))
                bare = bare_model(path, model)
                one, rss_one = run_classify(path, 1, model)
                two, rss_two = run_classify(path, 2, model)
                print(
                    f"{model:>9} {n:>9} {bare:>11.0f} {n / one:>10.0f} "
                    f"{bare and (n / one) / bare:>6.2f} {n / two:>13.0f} {one / two:>9.2f} "
                    f"{rss_one:>8.0f} {rss_two:>10.0f}",
                    flush=True,
                )
                path.unlink()
    if not args.skip_its:
        print(f"ITS: 1,000 monthly series of five years fitted in {its_seconds():.1f} s")


if __name__ == "__main__":
    main()
