"""The command line: help, classify/train/evaluate/model info, bad inputs, a real subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, SAMPLE, default_signals
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from safetylens.cli import app

BAD = Path(__file__).parent / "data" / "bad_inputs"
runner = CliRunner()


def run(*args, catch=True):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=catch)


@pytest.mark.parametrize(
    "command",
    [[], ["classify"], ["train"], ["evaluate"], ["model"], ["model", "info"], ["its"], ["demo"]],
)
def test_help_for_every_command(command):
    result = run(*command, "--help", catch=False)
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    if command and command != ["model"]:
        assert "Example:" in result.stdout


def test_help_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from safetylens.cli import app\n"
        "try:\n    app(['--help'], prog_name='safetylens')\nexcept SystemExit:\n    pass\n"
        "heavy = ['sklearn', 'pandas', 'statsmodels', 'matplotlib', 'nltk', 'numpy', 'scipy',"
        " 'onnxruntime', 'tokenizers', 'torch', 'openpyxl']\n"
        "print('HEAVY:' + ','.join(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_classify_to_stdout_with_summary(tmp_path):
    source = tmp_path / "in.csv"
    pd.DataFrame({"ref": ["1", "2"], "description": ["EPR down all night", ""]}).to_csv(
        source, index=False
    )
    result = run("classify", source, catch=False)
    assert result.exit_code == 0
    out = pd.read_csv(pd.io.common.StringIO(result.stdout), dtype=str, keep_default_na=False)
    assert out["ref"].tolist() == ["1", "2"]
    assert out["needs_review"].tolist()[1] == "true"
    assert "text column 'description'" in result.stderr
    assert "rows read 2, rows written 2" in result.stderr
    assert "no text 1" in result.stderr


def test_classify_explain_and_formats(tmp_path):
    source = tmp_path / "in.csv"
    pd.DataFrame({"Describe what happened": ["Wrong patient label on the blood sample"]}).to_csv(
        source, index=False
    )
    assert (
        run("classify", source, "-o", tmp_path / "o.jsonl", "--explain", catch=False).exit_code == 0
    )
    record = json.loads((tmp_path / "o.jsonl").read_text())
    assert record["evidence"].startswith(record["labels"].split(";")[0])
    assert isinstance(record["information_linked"], bool)
    assert run("classify", source, "-o", tmp_path / "o.data", "--format", "parquet").exit_code == 0
    assert pd.read_parquet(tmp_path / "o.data").shape == (1, 11)


# Each bad input: command-line arguments after the file, exit code, part of the one-line message.
BAD_CASES = [
    ("missing.csv", [], 2, "missing.csv: no such file"),
    ("empty.csv", [], 2, "the file is empty"),
    ("header_only.csv", [], 2, "no data rows"),
    ("blank_lines_only.csv", [], 2, "no data rows"),
    ("report.pdf", [], 2, "unknown file type '.pdf'"),
    ("no_text_column.csv", [], 2, "pass --text-col. Columns are: 'ref', 'date', 'site'"),
    ("no_text_column.csv", ["--text-col", "narrative"], 2, "no column named 'narrative'"),
    ("extra_fields.csv", [], 2, "line 3 has 5 fields but the header has 3"),
    ("unclosed_quote.csv", [], 2, "quoted field"),
    ("binary.csv", [], 2, "looks like binary data"),
    ("excel_named_csv.csv", [], 2, "looks like an Excel or zip file"),
    ("corrupt.xlsx", [], 2, "cannot read the Excel file"),
    ("bad_line.jsonl", [], 2, "line 2 is not valid JSON"),
    ("not_objects.jsonl", [], 2, "line 1 is not a JSON object"),
    ("semicolon.csv", ["--format", "xml"], 2, "'xml' is not one of"),
    ("semicolon.csv", ["--model", "no_such_model"], 2, "no such model folder"),
]


@pytest.mark.parametrize(("name", "extra", "code", "message"), BAD_CASES)
def test_bad_inputs_give_one_line_and_exit_code(tmp_path, name, extra, code, message):
    result = run("classify", BAD / name, "-o", tmp_path / "out.csv", *extra)
    assert result.exit_code == code
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "out.csv").exists()


GOOD_CASES = [
    ("empty_descriptions.csv", 3, 2),
    ("long_text_1mb.csv", 2, 0),
    ("nul_bytes.csv", 2, 0),
    ("mixed_line_endings.csv", 3, 3),
    ("bom_utf8.csv", 1, 0),
    ("utf16.csv", 1, 0),
    ("emoji_non_latin.csv", 2, 0),
    ("html_fragments.csv", 1, 0),
    ("quoted_newlines.csv", 2, 0),
    ("duplicate_columns.csv", 2, 0),
    ("cp1252_in_utf8.csv", 2, 0),
    ("windows_1252.csv", 1, 0),
    ("formula_injection.csv", 4, 1),
    ("ragged_short_rows.csv", 3, 2),
    ("semicolon.csv", 1, 0),
    ("merged_header.xlsx", 1, 0),
]


@pytest.mark.parametrize(("name", "rows", "no_text"), GOOD_CASES)
def test_messy_inputs_keep_every_row(tmp_path, name, rows, no_text):
    result = run("classify", BAD / name, "-o", tmp_path / "out.csv", catch=False)
    assert result.exit_code == 0, result.stderr
    assert f"rows read {rows}, rows written {rows}," in result.stderr
    assert f"no text {no_text};" in result.stderr
    assert len(pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)) == rows


def test_duplicate_header_names_are_kept(tmp_path):
    run("classify", BAD / "duplicate_columns.csv", "-o", tmp_path / "o.csv", catch=False)
    header = (tmp_path / "o.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("id,description,description,labels,")


def test_formulas_are_neutralised(tmp_path):
    run("classify", BAD / "formula_injection.csv", "-o", tmp_path / "o.csv", catch=False)
    out = pd.read_csv(tmp_path / "o.csv", dtype=str, keep_default_na=False)
    assert out["description"].tolist() == [
        '\'=HYPERLINK("http://evil","x")',
        "'+cmd|calc",
        "-1",
        "'@SUM(A1)",
    ]


def test_output_over_input_is_refused(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("description\nnotes missing\n")
    result = run("classify", source, "-o", source)
    assert result.exit_code == 2
    assert "overwrite the input" in result.stderr
    assert source.read_text() == "description\nnotes missing\n"


def test_train_evaluate_and_model_info(tmp_path, small_corpus):
    data = tmp_path / "train.csv"
    small_corpus.to_csv(data, index=False)
    result = run("train", data, "-o", tmp_path / "m", "--cv", "3", "--seed", "1", catch=False)
    assert result.exit_code == 0, result.stderr
    card = json.loads((tmp_path / "m" / "model_card.json").read_text())
    assert card["training_data"]["n_reports"] == 400
    assert card["seed"] == 1
    result = run(
        "evaluate", SAMPLE / "reports_test.csv", "--model", tmp_path / "m", "--json", catch=False
    )
    metrics = json.loads(result.stdout)
    assert set(metrics) == {
        "n_reports",
        "per_label",
        "micro_f1",
        "macro_f1",
        "any_information_linked",
    }
    assert 0 < metrics["macro_f1"] <= 1
    text = run(
        "evaluate", SAMPLE / "reports_test.csv", "--model", tmp_path / "m", catch=False
    ).stdout
    assert "macro F1" in text and "any information-linked" in text
    info = run("model", "info", tmp_path / "m", catch=False).stdout
    assert "thresholds:" in info and "records_unavailable" in info


def test_untrusted_model_is_refused_at_the_cli(tmp_path, small_model, monkeypatch):
    from safetylens._modelcard import save_model

    save_model(small_model, tmp_path / "m")
    monkeypatch.setenv("SAFETYLENS_HOME", str(tmp_path / "elsewhere"))
    source = tmp_path / "in.csv"
    source.write_text("description\nnotes missing\n")
    result = run("classify", source, "--model", tmp_path / "m")
    assert result.exit_code == 2 and "--trust-model" in result.stderr
    assert run("classify", source, "--model", tmp_path / "m", "--trust-model").exit_code == 0


def test_model_info_of_the_shipped_models():
    for args, backend in ((["--json"], "onnx-encoder"), (["--model", "fast", "--json"], "tfidf")):
        card = json.loads(run("model", "info", *args, catch=False).stdout)
        assert card["backend"] == backend
        assert [d["name"] for d in card["test_data"]] == [
            "reports_test.csv",
            "reports_test_registers.csv",
        ]
    text = run("model", "info", catch=False).stdout
    assert "base encoder: all-MiniLM-L6-v2 (licence Apache-2.0)" in text
    assert "held-out reports_test_registers.csv:" in text


SECRET = "Mrs Zelda Quux NHS 943 476 5919"


def test_no_patient_text_in_errors(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(f'id,description\n1,"{SECRET}",extra,fields\n', encoding="utf-8")
    for extra in ([], ["--verbose"]):
        result = run("classify", source, "-o", tmp_path / "o.csv", *extra)
        assert result.exit_code == 2
        assert "Zelda" not in result.stderr + result.stdout


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8")))
def test_random_csv_content_succeeds_or_fails_cleanly(tmp_path, content):
    source = tmp_path / "random.csv"
    source.write_bytes(b"id,description\n" + content)
    out = tmp_path / "o.csv"
    out.unlink(missing_ok=True)  # tmp_path is shared by the examples
    result = run("classify", source, "-o", out)
    assert "Traceback" not in result.stderr
    if result.exit_code == 0:
        read = int(result.stderr.split("rows read ")[1].split(",")[0])
        written = int(result.stderr.split("rows written ")[1].split(",")[0])
        assert read == written == len(pd.read_csv(out, dtype=str, keep_default_na=False))
    else:
        assert result.exit_code == 2, result.stderr
        assert len([ln for ln in result.stderr.splitlines() if "error" in ln]) == 1
        assert not out.exists()


REPORT_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t\r,;\"'"),
    max_size=200,
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.lists(REPORT_TEXT, min_size=1, max_size=8))
def test_random_report_text_keeps_every_row(tmp_path, texts):
    source = tmp_path / "t.csv"
    frame = pd.DataFrame({"n": range(len(texts)), "description": texts})
    frame.to_csv(source, index=False, lineterminator="\r\n")  # quotes a bare CR in a cell
    result = run("classify", source, "-o", tmp_path / "o.csv", "--explain", "--redact")
    assert result.exit_code == 0, result.stderr
    out = pd.read_csv(tmp_path / "o.csv", dtype=str, keep_default_na=False)
    assert out["n"].tolist() == [str(i) for i in range(len(texts))]


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_real_subprocess_from_another_folder(tmp_path):
    source = tmp_path / "in.csv"
    pd.DataFrame({"IN07": ["Drug chart missing when pt transferred", "pt fell"]}).to_csv(
        source, index=False
    )
    done = subprocess.run(
        [sys.executable, "-m", "safetylens", "classify", str(source), "-o", "out.csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "text column 'IN07'" in done.stderr
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert out["IN07"].tolist() == ["Drug chart missing when pt transferred", "pt fell"]


def test_interrupted_classify_leaves_no_output(tmp_path):
    corpus = pd.read_csv(SAMPLE / "reports_handwritten.csv", dtype=str, keep_default_na=False)
    big = pd.DataFrame(
        {"description": corpus["text"].sample(n=40_000, replace=True, random_state=0)}
    )
    source = tmp_path / "big.csv"
    big.to_csv(source, index=False)
    target = tmp_path / "out.csv"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "safetylens",
            "classify",
            str(source),
            "-o",
            str(target),
            "--chunk-size",
            "500",
            "--verbose",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        preexec_fn=default_signals,
    )
    # Wait until some chunks have been written to the temporary file, then press Ctrl-C.
    for line in process.stderr:
        if "rows written" in line:
            break
    process.send_signal(signal.SIGINT)
    rest = process.stderr.read()
    assert process.wait(timeout=60) == 130
    assert "interrupted" in rest and "Traceback" not in rest
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["big.csv"]


def test_headerless_file_does_not_print_its_first_report(tmp_path):
    source = tmp_path / "headerless.csv"
    source.write_text(f"1,{SECRET} fell in the bay and was found by the night staff\n2,EPR down\n")
    result = run("classify", source)
    assert result.exit_code == 2
    assert "looks like report text, not a header" in result.stderr
    assert "Zelda" not in result.stderr and "943" not in result.stderr


def test_wrong_labels_column_does_not_print_report_text(tmp_path):
    source = tmp_path / "lab.csv"
    pd.DataFrame({"text": [SECRET] * 3, "notes": [SECRET] * 3}).to_csv(source, index=False)
    for command in ("evaluate", "train"):
        extra = ["-o", tmp_path / "m"] if command == "train" else []
        result = run(command, source, "--labels-col", "notes", *extra)
        assert result.exit_code == 2
        assert "column 'notes', data row 1: not a list of label names" in result.stderr
        assert "Zelda" not in result.stderr


@pytest.mark.parametrize(
    ("content", "rows", "no_text"),
    [
        # A comma inside a header name does not make the file comma-delimited.
        (
            "Ref;Description (what, where, when)\n1;Pt fell, no injury\n2;EPR down, notes lost\n",
            2,
            0,
        ),
        # In a one-column file an empty line is an empty report.
        ("description\nEPR down\n\nnotes missing\n\nwrong wristband\n", 5, 2),
        # Rows with only symbols, emoji, another script or a placeholder have no text.
        ("id,description\n1,---\n2,😡😡\n3,患者\n4,N/A\n5,EPR down\n", 5, 4),
    ],
)
def test_delimiters_blank_reports_and_unreadable_text(tmp_path, content, rows, no_text):
    source = tmp_path / "in.csv"
    source.write_text(content, encoding="utf-8")
    result = run("classify", source, "-o", tmp_path / "o.csv", catch=False)
    assert f"rows read {rows}, rows written {rows}," in result.stderr
    assert f"no text {no_text};" in result.stderr
    out = pd.read_csv(tmp_path / "o.csv", dtype=str, keep_default_na=False)
    assert len(out) == rows


def test_redact_covers_every_text_column_but_the_id(tmp_path):
    source = tmp_path / "in.csv"
    pd.DataFrame(
        {
            "ref": ["9434765919"],
            "description": ["Results for NHS 943 476 5919 filed in the wrong record"],
            "action_taken": ["Rang daughter on 07700 900123, emailed j.smith@nhs.net"],
        }
    ).to_csv(source, index=False)
    run("classify", source, "-o", tmp_path / "o.csv", "--redact", "--id-col", "ref", catch=False)
    out = pd.read_csv(tmp_path / "o.csv", dtype=str, keep_default_na=False)
    assert out["ref"][0] == "9434765919"
    assert out["description"][0] == "Results for NHS [NHS_NUMBER] filed in the wrong record"
    assert out["action_taken"][0] == "Rang daughter on [PHONE], emailed [EMAIL]"


def test_broken_pipe_is_quiet(tmp_path):
    source = tmp_path / "in.csv"
    pd.DataFrame({"description": ["EPR down"] * 20_000}).to_csv(source, index=False)
    done = subprocess.run(
        f"'{sys.executable}' -m safetylens classify '{source}' | head -n 2",
        shell=True,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert len(done.stdout.splitlines()) == 2
    assert "error" not in done.stderr and "Traceback" not in done.stderr


def test_installed_layout_is_found(tmp_path, monkeypatch):
    """Installed, models/ and sample_data/ sit inside the package folder."""
    from safetylens import _resources

    (tmp_path / "safetylens" / "models").mkdir(parents=True)
    (tmp_path / "safetylens" / "sample_data").mkdir()
    monkeypatch.setattr(_resources, "_PACKAGE", tmp_path / "safetylens")
    assert _resources.models_dir() == tmp_path / "safetylens" / "models"
    assert _resources.sample_data_dir() == tmp_path / "safetylens" / "sample_data"
    monkeypatch.setattr(_resources, "_PACKAGE", ROOT / "safetylens")
    assert _resources.models_dir() == ROOT / "models"


def test_wheel_ships_the_model_and_sample_data(tmp_path):
    """A non-editable install must find the default model and the demo data from any folder."""
    import shutil
    import zipfile

    source = tmp_path / "src"  # setuptools builds in the source folder: keep the checkout clean
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("safetylens", "models", "sample_data"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("safetylens-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "safetylens/models/fast/model.joblib",
        "safetylens/models/fast/model_card.json",
        "safetylens/models/accurate/model.onnx",
        "safetylens/models/accurate/tokenizer.json",
        "safetylens/models/accurate/model_card.json",
        "safetylens/data/taxonomy.md",
        "safetylens/sample_data/demo_incidents.csv",
        "safetylens/sample_data/demo_bed_days.csv",
        "safetylens/sample_data/demo_rollouts.csv",
        "safetylens/data/abbreviations.tsv",
        "safetylens/data/negation_cues.tsv",
    ):
        assert required in names, required


def test_usage_errors_are_one_line_and_help_has_no_type_tags():
    result = run("classify", "x.csv", "--nope")
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("safetylens: error: No such option: --nope")
    assert line.endswith("(see 'safetylens classify --help')")
    help_text = run("classify", "--help", catch=False).stdout
    assert "<bool>" not in help_text and "<list[str]>" not in help_text
    assert "--explain " in help_text


def test_small_inputs_use_one_process_and_say_so(tmp_path):
    source = tmp_path / "in.csv"
    pd.DataFrame({"description": ["EPR down", "pt fell"] * 5}).to_csv(source, index=False)
    result = run(
        "classify",
        source,
        "-o",
        tmp_path / "o.csv",
        "--model",
        "fast",
        "--n-jobs",
        "2",
        "-v",
        catch=False,
    )
    assert result.exit_code == 0
    assert "one process is faster than 2 below about 20,000, so --n-jobs is not used" in (
        result.stderr
    )
    assert "rows read 10, rows written 10" in result.stderr


def test_dash_writes_to_stdout_and_sheet_picks_a_sheet(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "lookup"
    book.active.append(["code", "meaning"])
    book.active.append(["A", "acute"])
    data = book.create_sheet("incidents")
    data.append(["ref", "description"])
    data.append(["1", "EPR down all night"])
    data.append(["2", "wrong wristband"])
    book.save(tmp_path / "in.xlsx")
    result = run(
        "classify",
        tmp_path / "in.xlsx",
        "--sheet",
        "incidents",
        "--model",
        "fast",
        "-o",
        "-",
        catch=False,
    )
    out = pd.read_csv(pd.io.common.StringIO(result.stdout), dtype=str, keep_default_na=False)
    assert out["ref"].tolist() == ["1", "2"]
    assert out["labels"][0] == "it_system" and "patient_identification" in out["labels"][1]
    by_index = run("classify", tmp_path / "in.xlsx", "--sheet", "1", "--model", "fast", catch=False)
    assert by_index.stdout == result.stdout
