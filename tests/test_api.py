"""The public API: every name in ``__all__`` works, twice, in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

import safetylens

# One call per public name, with real arguments; each line runs twice in the same interpreter,
# so a name that a submodule import shadows (the bug this guards against) fails the second time.
CALLS = {
    "LABELS": "assert safetylens.LABELS[-1] == 'it_system'",
    "DataValidationError": "assert issubclass(safetylens.DataValidationError, ValueError)",
    "EncoderClassifier": "assert safetylens.EncoderClassifier().get_params()['epochs'] == 3",
    "FitError": "assert issubclass(safetylens.FitError, safetylens.SafetylensError)",
    "ITSResult": "assert safetylens.ITSResult.__name__ == 'ITSResult'",
    "IncidentClassifier": "assert safetylens.IncidentClassifier(C=2).C == 2",
    "InputFormatError": "assert issubclass(safetylens.InputFormatError, ValueError)",
    "ModelIntegrityError": "assert issubclass(safetylens.ModelIntegrityError, Exception)",
    "SafetylensError": "assert issubclass(safetylens.SafetylensError, Exception)",
    "SafetylensWarning": "assert issubclass(safetylens.SafetylensWarning, UserWarning)",
    "SegmentedRegression": "assert safetylens.SegmentedRegression.__name__",
    "classify_file": (
        "out = pathlib.Path(tmp) / f'o{i}.csv';"
        "s = safetylens.classify_file(src, out, model='fast');"
        "assert s.rows_read == s.rows_written == 2"
    ),
    "classify_frame": (
        "f = safetylens.classify_frame(pd.DataFrame({'description': ['EPR down']}), 'fast');"
        "assert f['labels'][0] == 'it_system'"
    ),
    "classify_texts": (
        "assert safetylens.classify_texts(['wrong wristband on pt'], 'fast')['labels'][0] "
        "== 'patient_identification'"
    ),
    "evaluate": "assert safetylens.evaluate(test, 'fast')['n_reports'] == 10",
    "load_model": "assert type(safetylens.load_model('fast')).__name__ == 'IncidentClassifier'",
    "read_table": "assert len(safetylens.read_table(src)) == 2",
    "redact": "assert safetylens.redact('NHS 943 476 5919') == 'NHS [NHS_NUMBER]'",
    "train": "pass  # fitting is covered by test_model.py; the name must resolve to a function",
}


def test_every_public_name_has_a_call():
    assert sorted(CALLS) == sorted(safetylens.__all__)
    assert "annotations" not in dir(safetylens)


def test_every_public_name_works_twice_in_a_fresh_interpreter(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id,description\n1,EPR down\n2,pt fell\n", encoding="utf-8")
    test = tmp_path / "test.csv"
    rows = ["EPR down all night,it_system"] * 5 + ["wrong wristband,patient_identification"] * 5
    test.write_text("description,labels\n" + "\n".join(rows) + "\n", encoding="utf-8")
    body = (
        "\n".join(f"for i in range(2):\n    {line}" for line in CALLS.values())
        + "\nassert callable(safetylens.train) and callable(safetylens.evaluate)\nprint('ok')\n"
    )
    code = (
        "import pathlib, pandas as pd, safetylens\n"
        f"src, test, tmp = {str(src)!r}, {str(test)!r}, {str(tmp_path)!r}\n" + body
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_private_modules_do_not_shadow_public_names():
    import safetylens._metrics  # noqa: F401
    import safetylens._redact  # noqa: F401
    import safetylens._training  # noqa: F401

    assert callable(safetylens.redact) and callable(safetylens.evaluate)
