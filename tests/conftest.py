"""Shared fixtures: paths to the shipped data, a private trust list, a small trained model."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (fixed seed, no example database), so a
# failure in CI can be replayed exactly.
settings.register_profile("safetylens", derandomize=True, database=None)
settings.load_profile("safetylens")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory, monkeypatch):
    """Keep each test's trust list out of the user's home folder."""
    monkeypatch.setenv("SAFETYLENS_HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture(scope="session")
def shipped_model():
    from safetylens._modelcard import load_model

    return load_model("fast")


@pytest.fixture(scope="session")
def small_corpus():
    """400 hand-written training reports: enough for every label, quick to fit."""
    import pandas as pd

    frame = pd.read_csv(SAMPLE / "reports_handwritten.csv", dtype=str, keep_default_na=False)
    return frame.sample(n=400, random_state=1).reset_index(drop=True)


@pytest.fixture(scope="session")
def small_model(small_corpus):
    from safetylens._model import IncidentClassifier

    model = IncidentClassifier(threshold_cv=3, calibration_cv=2, char_ngrams=None)
    return model.fit(small_corpus["text"], small_corpus["labels"])


def default_signals():
    """For ``subprocess.Popen(preexec_fn=...)``: give the child the default handling of SIGINT,
    SIGTERM and SIGHUP, whatever the test runner inherited (a shell runs background jobs with
    SIGINT ignored, and a child would inherit that)."""
    import signal

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
