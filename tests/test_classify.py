"""Bulk classification: every row once, in order, columns unchanged; same labels from any file."""

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE

from safetylens._classify import OUTPUT_COLUMNS, classify_file, classify_frame, label_texts
from safetylens._formula import neutralise_formula
from safetylens._readers import read_table
from safetylens.exceptions import DataValidationError


@pytest.fixture(scope="module")
def reports():
    frame = pd.read_csv(SAMPLE / "reports_test.csv", dtype=str, keep_default_na=False)
    frame = frame.iloc[:60][["report_id", "text"]].rename(columns={"text": "description"})
    frame.loc[5, "description"] = ""
    frame.loc[9, "description"] = "   "
    return frame.reset_index(drop=True)


def test_added_columns_and_blank_rows(shipped_model, reports):
    out = classify_frame(reports, shipped_model)
    assert out.columns.tolist() == ["report_id", "description", *OUTPUT_COLUMNS]
    assert out["report_id"].tolist() == reports["report_id"].tolist()
    for i in (5, 9):
        assert out.loc[i, "labels"] == ""
        assert not out.loc[i, "information_linked"]
        assert out.loc[i, "needs_review"]
        assert np.isnan(out.loc[i, "p_it_system"])
    labelled = out["labels"] != ""
    assert (out["information_linked"] == labelled).all()


def test_labels_are_in_taxonomy_order_and_match_thresholds(shipped_model, reports):
    out = label_texts(reports["description"], shipped_model)
    thresholds = dict(zip(shipped_model.classes_, shipped_model.thresholds_, strict=True))
    for _, row in out.iterrows():
        expected = [
            label
            for label in thresholds
            if not np.isnan(row[f"p_{label}"]) and row[f"p_{label}"] >= round(thresholds[label], 4)
        ]
        assert row["labels"] == ";".join(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Wrong patient's sample label - bloods taken from bed 4 labelled with bed 5 details",
            {"patient_identification", "test_results"},
        ),
        (
            "Patient fell in the bay, no injury. Falls risk assessment completed and documented.",
            set(),
        ),
    ],
)
def test_clear_cases(shipped_model, text, expected):
    assert set(filter(None, label_texts([text], shipped_model)["labels"][0].split(";"))) == expected


def _write_variants(frame, folder):
    """The same reports as a clean UTF-8 CSV, a renamed column, Windows-1252 and Excel."""
    clean = folder / "clean.csv"
    frame.to_csv(clean, index=False, encoding="utf-8")
    renamed = folder / "renamed.csv"
    frame.rename(columns={"description": "Describe what happened"}).to_csv(renamed, index=False)
    cp1252 = folder / "win.csv"
    frame.to_csv(cp1252, index=False, encoding="cp1252", errors="replace")
    excel = folder / "export.xlsx"
    frame.to_excel(excel, index=False)
    return clean, [renamed, cp1252, excel]


def test_same_labels_whatever_the_file(shipped_model, reports, tmp_path):
    frame = reports.copy()
    frame.loc[0, "description"] = "Pt’s allergy (penicillin) not on the drug chart – café"
    clean, variants = _write_variants(frame, tmp_path)
    classify_file(clean, tmp_path / "clean_out.csv")
    expected = read_table(tmp_path / "clean_out.csv")
    for variant in variants:
        out = tmp_path / f"{variant.stem}_out.csv"
        classify_file(variant, out)
        got = read_table(out)
        assert got["labels"].tolist() == expected["labels"].tolist(), variant.name
        assert got["p_it_system"].tolist() == expected["p_it_system"].tolist(), variant.name


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_every_row_written_once_in_order(tmp_path, reports, fmt):
    source = tmp_path / "in.csv"
    reports.to_csv(source, index=False)
    out = tmp_path / f"out.{fmt}"
    summary = classify_file(source, out, chunk_size=7)
    assert summary.rows_read == summary.rows_written == len(reports)
    assert summary.no_text == 2
    got = read_table(out)
    assert got["report_id"].tolist() == reports["report_id"].tolist()
    texts = reports["description"].tolist()
    if fmt == "csv":  # one report starts "-----Original Message": guarded against Excel formulas
        texts = [neutralise_formula(t) for t in texts]
        assert sum(t.startswith("'") for t in texts) == 1
    assert got["description"].tolist() == texts


def test_parallel_workers_keep_the_order(tmp_path, reports):
    source = tmp_path / "in.csv"
    reports.to_csv(source, index=False)
    classify_file(source, tmp_path / "one.csv", chunk_size=9)
    classify_file(source, tmp_path / "two.csv", chunk_size=9, n_jobs=2)
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()


def test_explain_names_evidence_for_labelled_rows(shipped_model, reports):
    out = classify_frame(reports, shipped_model, explain=True)
    for labels, evidence in zip(out["labels"], out["evidence"], strict=True):
        if labels:
            assert [part.split(":")[0] for part in evidence.split("; ")] == labels.split(";")
        else:
            assert evidence == ""


def test_redaction_changes_text_not_labels(shipped_model):
    frame = pd.DataFrame(
        {
            "description": [
                "Results for pt NHS no 943 476 5919 filed in the wrong record, call 07700 900123",
                "EPR down, could not see allergies for patient born 01/02/1950",
            ]
        }
    )
    plain = classify_frame(frame, shipped_model)
    redacted = classify_frame(frame, shipped_model, redact=True, explain=True)
    assert redacted["labels"].tolist() == plain["labels"].tolist()
    assert "943 476 5919" not in redacted["description"][0]
    assert "[NHS_NUMBER]" in redacted["description"][0]


def test_existing_output_columns_are_refused_and_a_prefix_avoids_them(shipped_model):
    frame = pd.DataFrame({"text": ["EPR down all night"], "labels": ["it_system"]})
    with pytest.raises(DataValidationError, match="pass --prefix"):
        classify_frame(frame, shipped_model)
    out = classify_frame(frame, shipped_model, prefix="sl_")
    assert out.columns.tolist()[:4] == ["text", "labels", "sl_labels", "sl_information_linked"]
    assert out["labels"][0] == "it_system" and out["sl_labels"][0] == "it_system"


def test_classify_file_counts_rows_in_the_reader_and_the_writer(tmp_path, shipped_model):
    source = tmp_path / "in.csv"
    pd.DataFrame({"description": ["EPR down", "", "pt fell", "notes lost"]}).to_csv(
        source, index=False
    )
    summary = classify_file(source, tmp_path / "out.csv", model="fast", chunk_size=3)
    assert (summary.rows_read, summary.rows_written, summary.no_text) == (4, 4, 1)


def test_excel_output_is_a_real_workbook_with_text_cells(tmp_path):
    from openpyxl import load_workbook

    source = tmp_path / "in.csv"
    pd.DataFrame({"description": ['=HYPERLINK("http://x")', "EPR down"]}).to_csv(
        source, index=False
    )
    classify_file(source, tmp_path / "out.xlsx", model="fast")
    sheet = load_workbook(tmp_path / "out.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("description", "labels", "information_linked")
    assert rows[1][0] == '=HYPERLINK("http://x")'  # stored as text, not a formula
    assert sheet.cell(2, 1).data_type == "s"
    assert rows[2][1] == "it_system" and rows[2][2] is True


def test_unknown_output_suffixes_are_refused(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("description\nEPR down\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="cannot write a '.json' file"):
        classify_file(source, tmp_path / "out.json", model="fast")
    assert not (tmp_path / "out.json").exists()


def test_missing_output_folders_are_created(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("description\nEPR down\n", encoding="utf-8")
    classify_file(source, tmp_path / "new" / "dir" / "out.csv", model="fast")
    assert (tmp_path / "new" / "dir" / "out.csv").exists()
