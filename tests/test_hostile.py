"""Issue 11: hostile inputs that lost incidents, leaked identifiers or failed the wrong way.

Each test reproduces one reported case from an input generated here, and fails without its fix.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, default_signals
from typer.testing import CliRunner

from safetylens.cli import app

runner = CliRunner()
MARK = "ZQXMARK"


def run(*args, catch=True):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=catch)


def classify(*args):
    return run("classify", *args, "--model", "fast")


def one_error_line(result, code=2):
    assert result.exit_code == code, result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return errors[0]


def read_out(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


REPORTS = [
    "Pt fell on ward 7, notes not available at handover",
    "Wrong patient wristband on the blood sample",
    "EPR down for two hours, allergies could not be checked",
    "Discharge letter missing the medication changes",
    "Result of the CT scan not followed up by the team",
]


# 1. Hidden first sheet -------------------------------------------------------------------------


def _workbook(path, sheets, hidden=()):
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
        if name in hidden:
            ws.sheet_state = "hidden"
    book.save(path)
    return path


def _incident_rows():
    return [["ref", "description"], *[[str(i + 1), t] for i, t in enumerate(REPORTS)]]


def test_hidden_first_sheet_is_skipped(tmp_path):
    book = _workbook(
        tmp_path / "in.xlsx",
        {"lookup": [["code", "meaning"], ["A", "alpha"]], "incidents": _incident_rows()},
        hidden={"lookup"},
    )
    result = classify(book, "-o", tmp_path / "o.csv")
    assert result.exit_code == 0, result.stderr
    assert "rows read 5, rows written 5," in result.stderr
    assert read_out(tmp_path / "o.csv")["ref"].tolist() == ["1", "2", "3", "4", "5"]


def test_sheet_option_and_warning_for_several_visible_sheets(tmp_path):
    book = _workbook(
        tmp_path / "in.xlsx",
        {"incidents": _incident_rows(), "more": [["ref", "description"], ["9", REPORTS[0]]]},
    )
    result = classify(book, "-o", tmp_path / "o.csv")
    assert result.exit_code == 0, result.stderr
    assert "rows read 5," in result.stderr
    warning = [line for line in result.stderr.splitlines() if "safetylens: warning:" in line]
    assert len(warning) == 1
    assert "'incidents' (5 rows)" in warning[0] and "'more' (1 row)" in warning[0]
    assert "--sheet" in warning[0]
    for choice in ("more", "1"):
        result = classify(book, "-o", tmp_path / "o.csv", "--sheet", choice)
        assert result.exit_code == 0, result.stderr
        assert read_out(tmp_path / "o.csv")["ref"].tolist() == ["9"]


# 2. Headerless exports -------------------------------------------------------------------------


def _headerless(tmp_path):
    source = tmp_path / "in.csv"
    lines = [
        f'1,12/03/2021,"{MARK} Pt fell, NHS no 943 476 5919, found on floor by the bed at night"',
        "2,13/03/2021,Wrong patient wristband on the blood sample taken in the morning",
        "3,14/03/2021,EPR down for two hours so allergies could not be checked at all",
    ]
    source.write_text("\n".join(lines) + "\n")
    return source


def test_headerless_export_is_refused_without_quoting_it(tmp_path):
    source = _headerless(tmp_path)
    for extra in ([], ["--text-col", "description"], ["--redact"]):
        result = classify(source, "-o", tmp_path / "o.csv", *extra)
        line = one_error_line(result)
        assert "--no-header" in line
        assert MARK not in result.stderr and "943" not in result.stderr
        assert not (tmp_path / "o.csv").exists()


def test_no_header_keeps_every_row(tmp_path):
    source = _headerless(tmp_path)
    result = classify(source, "-o", tmp_path / "o.csv", "--no-header", "--redact")
    assert result.exit_code == 0, result.stderr
    assert "rows read 3, rows written 3," in result.stderr
    out = read_out(tmp_path / "o.csv")
    assert out.columns[:3].tolist() == ["column_1", "column_2", "column_3"]
    assert out["column_3"][0].startswith(MARK)
    assert "[NHS_NUMBER]" in out["column_3"][0]
    assert "text column 'column_3'" in result.stderr
    assert MARK not in result.stderr


def test_header_cells_are_redacted(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("ref,description,Dr Zelda Jones notes\n1,Pt fell on the ward,x\n")
    result = classify(source, "-o", tmp_path / "o.csv", "--redact")
    assert result.exit_code == 0, result.stderr
    header = (tmp_path / "o.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "Zelda" not in header and "Dr [NAME] notes" in header


# 4. Devices and FIFOs --------------------------------------------------------------------------


def _small_csv(tmp_path):
    source = tmp_path / "in.csv"
    pd.DataFrame({"description": REPORTS}).to_csv(source, index=False)
    return source


def test_output_to_dev_null_keeps_the_device(tmp_path):
    before = os.stat("/dev/null")
    result = classify(_small_csv(tmp_path), "-o", "/dev/null")
    assert result.exit_code == 0, result.stderr
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_mode, after.st_rdev) == (before.st_mode, before.st_rdev)


def test_output_to_a_fifo_writes_into_it(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = {}

    def reader():
        with open(fifo, "rb") as fh:
            got["data"] = fh.read()

    thread = threading.Thread(target=reader)
    thread.start()
    result = classify(_small_csv(tmp_path), "-o", fifo)
    thread.join(30)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got["data"].count(b"\r\n") == 6
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_dash_means_stdout(tmp_path):
    result = classify(_small_csv(tmp_path), "-o", "-")
    assert result.exit_code == 0, result.stderr
    assert not (Path.cwd() / "-").exists()
    assert len(read_out(pd.io.common.StringIO(result.stdout))) == 5


# 5. Signals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("signame", "suffix"), [("SIGTERM", "csv"), ("SIGHUP", "parquet")])
def test_termination_signals_leave_no_partial_file(tmp_path, signame, suffix):
    import signal

    source = tmp_path / "in.csv"
    pd.DataFrame({"description": [f"{t} {i}" for i, t in enumerate(REPORTS * 6000)]}).to_csv(
        source, index=False
    )
    out = tmp_path / f"out.{suffix}"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "safetylens",
            "classify",
            str(source),
            "-o",
            str(out),
            "--model",
            "fast",
            "--chunk-size",
            "200",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
        preexec_fn=default_signals,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not any(p.suffix == ".part" for p in tmp_path.iterdir()):
        time.sleep(0.05)
    time.sleep(0.5)
    assert proc.poll() is None, "finished before the signal"
    proc.send_signal(getattr(signal, signame))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + getattr(signal, signame)
    assert err.decode().count("error") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_stale_part_files_of_ours_are_removed(tmp_path):
    old = tmp_path / ".o.csv.abc12345.part"
    young = tmp_path / ".o.csv.zzz99999.part"
    other = tmp_path / "notes.part"
    for p in (old, young, other):
        p.write_text("report text")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    os.utime(other, (two_days_ago, two_days_ago))
    result = classify(_small_csv(tmp_path), "-o", tmp_path / "o.csv")
    assert result.exit_code == 0, result.stderr
    assert not old.exists() and young.exists() and other.exists()


# ITS: items 7, 8, 10 and the its parts of item 3 ------------------------------------------------


def _events(tmp_path, extra_dates=(), name="events.csv"):
    import numpy as np

    rng = np.random.default_rng(0)
    dates = []
    for month in pd.period_range("2019-01", "2022-12", freq="M"):
        for _ in range(int(rng.poisson(20))):
            dates.append(f"{rng.integers(1, 28):02d}/{month.month:02d}/{month.year}")
    dates.extend(extra_dates)
    frame = pd.DataFrame(
        {
            "date": dates,
            "site": ["A"] * len(dates),
            "description": [f"{MARK} Pt fell, Mr Zelda Jones 943 476 5919"] * len(dates),
        }
    )
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path, len(frame)


def test_its_refuses_an_isolated_far_out_date(tmp_path):
    source, n = _events(tmp_path, ["14/03/2026"])
    result = run("its", source, "--rollout", "01/01/2021", "--json")
    line = one_error_line(result)
    assert f"data row(s) {n}" in line and "--from/--to" in line
    result = run("its", source, "--rollout", "01/01/2021", "--json", "--to", "31/12/2022")
    assert result.exit_code == 0, result.stderr
    assert "left out 1 row(s)" in result.stderr
    clean, _ = _events(tmp_path, name="clean.csv")
    expected = json.loads(run("its", clean, "--rollout", "01/01/2021", "--json").stdout)
    assert (
        json.loads(result.stdout)["analyses"][0]["rate_ratios"]
        == (expected["analyses"][0]["rate_ratios"])
    )


def test_its_output_dir_does_not_overwrite_its_input(tmp_path):
    source, _ = _events(tmp_path, name="its_results.csv")
    before = source.read_bytes()
    result = run("its", source, "--rollout", "01/01/2021", "--output-dir", tmp_path)
    assert "overwrite the input" in one_error_line(result)
    assert source.read_bytes() == before


def test_its_covariate_name_with_a_formula_is_neutralised(tmp_path):
    months = pd.period_range("2019-01", "2022-12", freq="M").astype(str)
    formula = '=HYPERLINK("http://evil","x")'
    frame = pd.DataFrame(
        {
            "month": months,
            "count": [20 + i % 5 for i in range(48)],
            formula: [(i * i) % 7 for i in range(48)],
        }
    )
    frame.to_csv(tmp_path / "agg.csv", index=False)
    result = run(
        "its",
        tmp_path / "agg.csv",
        "--date-col",
        "month",
        "--count-col",
        "count",
        "--covariate",
        formula,
        "--rollout",
        "01/01/2021",
        "--output-dir",
        tmp_path / "out",
    )
    assert result.exit_code == 0, result.stderr
    terms = read_out(tmp_path / "out" / "its_results.csv")["term"].tolist()
    assert "'" + formula in terms and formula not in terms


def test_its_group_col_on_a_text_column_does_not_print_it(tmp_path):
    source, _ = _events(tmp_path)
    result = run("its", source, "--rollout", "01/01/2021", "--group-col", "description")
    assert "look like report text" in one_error_line(result)
    assert MARK not in result.stderr and "Zelda" not in result.stderr


def test_excel_date_serials_are_dates(tmp_path):
    from safetylens._dates import parse_dates

    assert parse_dates(["43831", 43832], column="d").strftime("%Y-%m-%d").tolist() == [
        "2020-01-01",
        "2020-01-02",
    ]


# 9. Malformed CSV ------------------------------------------------------------------------------


def test_stray_quote_swallowing_records_is_refused_at_its_row(tmp_path):
    source = tmp_path / "q.csv"
    source.write_text(
        "ref,date,description\n"
        "1,01/01/2021,Pt fell on the ward\n"
        '2,02/01/2021,"EPR down for an hour\n'
        "3,03/01/2021,Result not followed up\n"
        '4,04/01/2021,notes missing" at handover\n'
        "5,05/01/2021,Wrong wristband on sample\n"
    )
    line = one_error_line(classify(source, "-o", tmp_path / "o.csv"))
    assert "data row 2" in line and "stray quote" in line
    assert not (tmp_path / "o.csv").exists()


def test_text_spanning_lines_is_not_mistaken_for_a_stray_quote(tmp_path):
    source = tmp_path / "q.csv"
    source.write_text(
        'ref,description\n1,"Obs:\nBP 120/80, HR 90\n2 nurses present"\n2,"EPR down"\n'
    )
    result = classify(source, "-o", tmp_path / "o.csv")
    assert result.exit_code == 0, result.stderr
    assert "rows read 2, rows written 2," in result.stderr


def test_binary_data_after_the_first_64_kb_is_refused(tmp_path):
    import random

    rng = random.Random(0)
    rows = [f"{i},Pt fell on the ward and was seen by the doctor" for i in range(2000)]
    data = ("ref,description\r\n" + "\r\n".join(rows) + "\r\n").encode()
    assert len(data) > 64 * 1024
    junk = bytes(b for b in rng.randbytes(40_000) if b not in b',"')
    source = tmp_path / "b.csv"
    source.write_bytes(data + junk)
    line = one_error_line(classify(source, "-o", tmp_path / "o.csv"))
    assert "binary data" in line
    assert not (tmp_path / "o.csv").exists()


def test_final_ctrl_z_is_not_a_row(tmp_path):
    source = tmp_path / "z.csv"
    source.write_bytes(b"ref,description\r\n1,Pt fell on the ward\r\n2,EPR down\r\n\x1a")
    result = classify(source, "-o", tmp_path / "o.csv")
    assert result.exit_code == 0, result.stderr
    assert "rows read 2, rows written 2," in result.stderr
    assert read_out(tmp_path / "o.csv")["ref"].tolist() == ["1", "2"]


# 3. No report text in any command's error messages ---------------------------------------------

SECRET = f"{MARK} Mr Zelda Jones, NHS 943 476 5919, SW1A 1AA, zelda@example.com, fell"


def _marked_files(tmp_path):
    """Files with a marker in every cell, and (headerless) in every header cell."""
    files = {}
    cells = pd.DataFrame({"ref": [SECRET] * 4, "notes": [SECRET] * 4, "when": [SECRET] * 4})
    cells.to_csv(tmp_path / "cells.csv", index=False)
    files["cells"] = tmp_path / "cells.csv"
    (tmp_path / "headerless.csv").write_text(
        "\n".join(",".join(f'"{SECRET} {i}{j}"' for j in range(3)) for i in range(4)) + "\n"
    )
    files["headerless"] = tmp_path / "headerless.csv"
    files["blank_names"] = _workbook(
        tmp_path / "blank.xlsx",
        {
            "export": [
                [SECRET],
                ["ref", None, None, None, "site"],
                *[[SECRET] * 5 for _ in range(4)],
            ]
        },
    )
    return files


ERROR_PATHS = [
    ("classify", "cells", []),
    ("classify", "cells", ["--text-col", "description"]),
    ("classify", "cells", ["--text-col", "notes", "--id-col", "nhs"]),
    ("classify", "headerless", []),
    ("classify", "headerless", ["--text-col", "description"]),
    ("classify", "headerless", ["--redact"]),
    ("classify", "blank_names", []),
    ("train", "cells", ["--text-col", "notes"]),
    ("train", "headerless", []),
    ("evaluate", "cells", ["--text-col", "notes"]),
    ("evaluate", "headerless", []),
    ("its", "cells", ["--rollout", "01/01/2021"]),
    ("its", "cells", ["--rollout", "01/01/2021", "--date-col", "when"]),
    ("its", "cells", ["--rollout", "01/01/2021", "--date-col", "when", "--group-col", "notes"]),
    ("its", "cells", ["--rollout", "01/01/2021", "--group-col", "notes", "--date-col", "x"]),
    ("its", "cells", ["--rollout", "01/01/2021", "--information-linked", "--date-col", "when"]),
    ("its", "headerless", ["--rollout", "01/01/2021"]),
    ("its", "blank_names", ["--rollout", "01/01/2021"]),
]


@pytest.mark.parametrize(("command", "which", "extra"), ERROR_PATHS)
def test_no_marker_in_any_error_message(tmp_path, command, which, extra):
    source = _marked_files(tmp_path)[which]
    args = [command, source, *extra]
    if command == "train":
        args += ["-o", tmp_path / "m"]
    if command in ("classify", "evaluate"):
        args += ["--model", "fast"]
    if command == "classify":
        args += ["-o", tmp_path / "o.csv"]
    result = run(*args)
    one_error_line(result)
    for secret in (MARK, "Zelda", "943", "SW1A", "example.com"):
        assert secret not in result.stderr + result.stdout


# 7. A formula in a column name ------------------------------------------------------------------


def test_formula_in_a_column_name_is_guarded(tmp_path):
    source = tmp_path / "f.csv"
    source.write_text('ref,description,"=HYPERLINK(""http://evil"",""x"")"\n1,Pt fell,a\n')
    result = classify(source, "-o", tmp_path / "o.csv")
    assert result.exit_code == 0, result.stderr
    header = (tmp_path / "o.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("ref,description,\"'=HYPERLINK(")
    result = classify(source, "-o", tmp_path / "o.xlsx")
    from openpyxl import load_workbook

    cell = load_workbook(tmp_path / "o.xlsx").active.cell(1, 3)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


# 11. Oversized cells and workbooks ----------------------------------------------------------------


def test_oversized_cell_is_kept_whole_and_flagged(tmp_path):
    from safetylens._classify import MAX_FEATURE_CHARS

    huge = "EPR down so allergies could not be checked. " * (MAX_FEATURE_CHARS // 20)
    source = tmp_path / "big.csv"
    pd.DataFrame({"description": [huge, REPORTS[1]]}).to_csv(source, index=False)
    result = classify(source, "-o", tmp_path / "o.csv")
    assert result.exit_code == 0, result.stderr
    out = read_out(tmp_path / "o.csv")
    assert out["description"][0] == huge
    assert out["needs_review"][0] == "true"
    assert "it_system" in out["labels"][0]


def test_label_texts_uses_only_the_first_characters(shipped_model, monkeypatch):
    import safetylens._classify as classify_module

    seen = []
    real = shipped_model.predict_proba_readable
    monkeypatch.setattr(
        shipped_model,
        "predict_proba_readable",
        lambda texts: seen.extend(len(t) for t in texts) or real(texts),
    )
    monkeypatch.setattr(classify_module, "MAX_FEATURE_CHARS", 50)
    out = classify_module.label_texts(["x" * 49 + " EPR down", "EPR down"], shipped_model)
    assert seen == [50, 8]
    assert out["needs_review"].tolist()[0]


def test_workbook_expanding_past_the_limit_is_refused(tmp_path, monkeypatch):
    import safetylens._readers as readers

    book = _workbook(tmp_path / "bomb.xlsx", {"s": [["description"]] + [["x" * 30_000]] * 20})
    assert book.stat().st_size < 20_000
    monkeypatch.setattr(readers, "XLSX_MAX_UNCOMPRESSED", 100_000)
    line = one_error_line(classify(book, "-o", tmp_path / "o.csv"))
    assert "expands to" in line and "export it as CSV" in line


# 12. Bad input is exit 2 with a reason, not "unexpected" ---------------------------------------


def test_binary_parquet_column_is_read_as_text(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "description": pa.array([b"Caf\xe9 fall on ward", b"EPR down"], type=pa.binary()),
            "ref": ["1", "2"],
        }
    )
    pq.write_table(table, tmp_path / "b.parquet")
    result = classify(tmp_path / "b.parquet", "-o", tmp_path / "o.csv")
    assert result.exit_code == 0, result.stderr
    assert read_out(tmp_path / "o.csv")["description"].tolist() == ["Café fall on ward", "EPR down"]


def test_json_with_a_huge_integer_keeps_it(tmp_path):
    digits = "7" * 5000
    source = tmp_path / "i.jsonl"
    source.write_text(f'{{"ref": {digits}, "description": "Pt fell"}}\n')
    result = classify(source, "-o", tmp_path / "o.csv")
    assert result.exit_code == 0, result.stderr
    assert read_out(tmp_path / "o.csv")["ref"][0] == digits


def test_json_nested_too_deeply_is_exit_2(tmp_path):
    source = tmp_path / "d.jsonl"
    source.write_text('{"description": "Pt fell", "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    line = one_error_line(classify(source, "-o", tmp_path / "o.csv"))
    assert "line 1 is nested too deeply" in line


def test_card_threshold_not_a_number_is_exit_2(tmp_path):
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(ROOT / "models" / "fast", folder)
    card = json.loads((folder / "model_card.json").read_text())
    card["thresholds"][next(iter(card["thresholds"]))] = "abc"
    (folder / "model_card.json").write_text(json.dumps(card))
    result = run("classify", _small_csv(tmp_path), "--model", folder, "--trust-model")
    assert "not a number" in one_error_line(result)


# 13. Smaller -------------------------------------------------------------------------------------


def test_model_info_strips_terminal_escapes(tmp_path):
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(ROOT / "models" / "fast", folder)
    card = json.loads((folder / "model_card.json").read_text())
    card["name"] = "\x1b[31mred\x1b[0m\x1b]0;title\x07"
    (folder / "model_card.json").write_text(json.dumps(card))
    result = run("model", "info", folder)
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


def test_usage_error_is_one_line_and_help_is_unchanged():
    result = run("classify", "--nope")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "No such option: --nope" in result.stderr
    assert "Usage:" in run("classify", "--help").stdout


def test_formula_cells_without_a_saved_value_are_counted(tmp_path):
    book = _workbook(
        tmp_path / "f.xlsx",
        {
            "s": [
                ["ref", "description", "total"],
                ["1", REPORTS[0], "=1+1"],
                ["2", REPORTS[1], "=2+2"],
            ]
        },
    )
    result = classify(book, "-o", tmp_path / "o.csv")
    assert result.exit_code == 0, result.stderr
    warning = [line for line in result.stderr.splitlines() if "safetylens: warning:" in line]
    assert len(warning) == 1 and "2 formula cell(s) have no saved value" in warning[0]
    assert read_out(tmp_path / "o.csv")["total"].tolist() == ["", ""]


def test_a_sheet_of_exactly_excel_rows_is_warned_about(tmp_path, monkeypatch):
    import safetylens._readers as readers

    book = _workbook(tmp_path / "full.xlsx", {"s": _incident_rows()})
    monkeypatch.setattr(readers, "EXCEL_SHEET_ROWS", 6)
    result = classify(book, "-o", tmp_path / "o.csv")
    assert result.exit_code == 0, result.stderr
    assert "probably cut short" in result.stderr


def test_excel_date_serials_in_its(tmp_path):
    months = pd.period_range("2019-01", "2022-12", freq="M")
    rows = [["date", "site"]]
    for month in months:
        serial = (month.to_timestamp() - pd.Timestamp("1899-12-30")).days
        rows += [[serial, "A"]] * (15 + month.month % 4)
    book = _workbook(tmp_path / "s.xlsx", {"s": rows})
    result = run("its", book, "--rollout", "01/01/2021", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["analyses"][0]["n_pre"] == 24


def test_long_question_headers_are_headers():
    from safetylens._readers import header_looks_like_data

    assert not header_looks_like_data(
        [
            "What was the impact of this incident on the patient's physical health?",
            "F001 - Describe what happened",
            "Date of incident (dd/mm/yyyy)",
            "PD09 - Patient age at incident (years)",
        ]
    )
    assert header_looks_like_data(["1", "Pt fell", "943 476 5919"])


def test_its_no_header(tmp_path):
    source, _ = _events(tmp_path)
    lines = source.read_text().splitlines()[1:]
    (tmp_path / "nohead.csv").write_text("\n".join(lines) + "\n")
    result = run("its", tmp_path / "nohead.csv", "--rollout", "01/01/2021", "--json")
    assert "--no-header" in one_error_line(result)
    result = run(
        "its",
        tmp_path / "nohead.csv",
        "--rollout",
        "01/01/2021",
        "--json",
        "--no-header",
        "--date-col",
        "column_1",
    )
    assert result.exit_code == 0, result.stderr
    assert MARK not in result.stderr
