"""Review workbooks: sample, fill in with openpyxl from known labels, score, compare.

The classified file is the shipped model's output on the held-out test reports (their own
labels renamed to ``true_labels``), so the "reviewer" knows the truth and every figure can be
computed directly on the same rows.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import SAMPLE
from statsmodels.stats.proportion import proportion_confint
from typer.testing import CliRunner

from safetylens._review_sample import sample_review
from safetylens._review_score import read_reviewed, score_review, validation_summary
from safetylens.cli import app
from safetylens.exceptions import ReviewFormatError, ReviewWarning
from safetylens.taxonomy import LABELS

runner = CliRunner()
CONTRACT_KEYS = {
    "n_sampled",
    "n_reviewed",
    "strategy",
    "per_label",
    "macro_f1",
    "macro_f1_ci",
    "any_information_linked",
    "prevalence",
}
METRIC_KEYS = {"precision", "precision_ci", "recall", "recall_ci", "f1", "f1_ci", "support"}


def run(*args, catch=True):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=catch)


@pytest.fixture(scope="module")
def classified(tmp_path_factory, shipped_model):
    """The shipped model's output on the 400 held-out reports, with the truth kept aside."""
    from safetylens._classify import classify_frame

    frame = pd.read_csv(SAMPLE / "reports_test.csv", dtype=str, keep_default_na=False)
    frame = frame.rename(columns={"labels": "true_labels"})
    # A date column for before/after comparisons: reports spread over 2019-2021, day first.
    days = pd.date_range("2019-01-01", periods=len(frame), freq="2D")
    frame["incident_date"] = days.strftime("%d/%m/%Y")
    out = classify_frame(frame, shipped_model, text_col="text", id_col="report_id")
    path = tmp_path_factory.mktemp("classified") / "classified.csv"
    out.to_csv(path, index=False)
    return path


def truth_of(classified_path) -> pd.DataFrame:
    return pd.read_csv(classified_path, dtype=str, keep_default_na=False)


def fill(workbook, source, out, *, rows=None, yes="yes", mark=None):
    """Fill the Review sheet from the true labels, as a reviewer would, and save to ``out``."""
    truth = truth_of(source)
    book = openpyxl.load_workbook(workbook)
    ws = book["Review"]
    header = [c.value for c in ws[1]]
    for k, cells in enumerate(ws.iter_rows(min_row=2)):
        if rows is not None and k >= rows:
            break
        row = cells[0].value
        labels = [x for x in truth["true_labels"][row - 1].split(";") if x]
        for label in LABELS:
            cells[header.index(label)].value = (mark or yes) if label in labels else None
        cells[header.index("reviewed")].value = yes
    book.save(out)
    return out


def sampled_rows(workbook) -> list[int]:
    ws = openpyxl.load_workbook(workbook, read_only=True)["Review"]
    return [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]


def indicator(cells) -> np.ndarray:
    return np.array([[label in str(c).split(";") for label in LABELS] for c in cells], bool)


def direct(source, rows):
    """Precision, recall, F1, prevalence computed with scikit-learn on the given rows."""
    from sklearn.metrics import precision_recall_fscore_support

    table = truth_of(source).iloc[[r - 1 for r in rows]]
    t, p = indicator(table["true_labels"]), indicator(table["labels"])
    prec, rec, f1, sup = precision_recall_fscore_support(t, p, average=None, zero_division=0)
    ap, ar, af, _ = precision_recall_fscore_support(
        t.any(1), p.any(1), average="binary", zero_division=0
    )
    return t, p, prec, rec, f1, sup, (ap, ar, af)


@pytest.fixture(scope="module")
def workbook(classified, tmp_path_factory):
    out = tmp_path_factory.mktemp("review") / "review.xlsx"
    sample_review(
        classified, out, n=200, seed=11, id_col="report_id", keep=["setting", "incident_date"]
    )
    return out


@pytest.fixture(scope="module")
def filled(workbook, classified, tmp_path_factory):
    return fill(workbook, classified, tmp_path_factory.mktemp("filled") / "review.xlsx")


# ------------------------------------------------------------------------------------------
# The workbook
# ------------------------------------------------------------------------------------------


def test_workbook_sheets_columns_and_safety(workbook):
    book = openpyxl.load_workbook(workbook)
    assert book.sheetnames == ["Review", "Guide", "Design"]
    ws = book["Review"]
    header = [c.value for c in ws[1]]
    assert header == ["row", "report_id", "text", "reviewed", *LABELS, "comment"]
    assert ws.freeze_panes == "A2"
    assert ws.max_row == 201
    assert ws.column_dimensions["C"].width == 80
    assert ws["E1"].alignment.text_rotation == 90 and ws.column_dimensions["E"].width == 7
    assert ws["C2"].alignment.wrap_text
    # Blind: every label cell starts blank, and nothing is reviewed yet.
    for cells in ws.iter_rows(min_row=2, min_col=4, max_col=11, values_only=True):
        assert set(cells) == {None}
    validations = ws.data_validations.dataValidation
    assert [v.formula1 for v in validations] == ['"yes"']
    assert "D2:D201" in str(validations[0].sqref) and "E2:K201" in str(validations[0].sqref)
    design = book["Design"]
    assert design.sheet_state == "hidden" and design.protection.sheet
    assert book.security.lockStructure
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)
    rows = [r for r in sampled_rows(workbook)]
    assert len(set(rows)) == 200 and min(rows) >= 1 and max(rows) <= 400
    guide = "\n".join(str(c.value) for row in book["Guide"].iter_rows() for c in row if c.value)
    assert "records_unavailable" in guide and "Decision rules for borderline reports" in guide
    assert "\u2022 Care recorded but not given (repositioning charted but not done)" in guide
    assert "\n'" not in "\n" + guide  # taxonomy lines joined, so none needed the formula guard


def test_taxonomy_copy_is_verbatim():
    from importlib.resources import files

    shipped = files("safetylens").joinpath("data", "taxonomy.md").read_text(encoding="utf-8")
    assert "## Decision rules for borderline reports (v1.1)" in shipped
    assert shipped.count("|") > 40


def test_same_seed_same_sample(classified, tmp_path):
    a, b, c = tmp_path / "a.xlsx", tmp_path / "b.xlsx", tmp_path / "c.xlsx"
    sample_review(classified, a, n=30, seed=4)
    sample_review(classified, b, n=30, seed=4)
    sample_review(classified, c, n=30, seed=5)
    assert sampled_rows(a) == sampled_rows(b) != sampled_rows(c)


def test_formula_injection_guard_and_redaction(tmp_path):
    source = hand_classified(
        tmp_path,
        [
            '=HYPERLINK("http://evil","click") EPR down',
            "Pt NHS no 943 476 5919 given wrong drug chart",
            "@SUM(1+1) bell\x07 rang",
        ],
    )
    out = tmp_path / "r.xlsx"
    sample_review(source, out, n=3, seed=0, redact=True)
    ws = openpyxl.load_workbook(out)["Review"]
    texts = {c.value: c for c in ws["B"][1:]}
    assert ws["B1"].value == "text"
    assert '\'=HYPERLINK("http://evil","click") EPR down' in texts
    assert "'@SUM(1+1) bell rang" in texts
    assert "Pt NHS no [NHS_NUMBER] given wrong drug chart" in texts
    assert all(c.data_type == "s" for c in texts.values())
    # Reading back undoes the guard, so retraining sees the report as written.
    frame = read_reviewed(fill_all(out, tmp_path / "f.xlsx"))
    assert '=HYPERLINK("http://evil","click") EPR down' in frame["text"].tolist()


def fill_all(workbook, out, labels=("it_system",)):
    book = openpyxl.load_workbook(workbook)
    ws = book["Review"]
    header = [c.value for c in ws[1]]
    for cells in ws.iter_rows(min_row=2):
        cells[header.index("reviewed")].value = "yes"
        for label in labels:
            cells[header.index(label)].value = "yes"
    book.save(out)
    return out


def hand_classified(
    tmp_path, texts, *, strata=None, probabilities=None, labels=None, extra=None, name="hand.csv"
):
    """A small classified file built by hand."""
    n = len(texts)
    frame = pd.DataFrame({"ref": [f"R{i}" for i in range(n)], "text": texts})
    if strata is not None:
        frame["site"] = strata
    for key, values in (extra or {}).items():
        frame[key] = values
    frame["labels"] = labels if labels is not None else ["it_system"] * n
    frame["information_linked"] = ["true" if x else "false" for x in frame["labels"]]
    for label in LABELS:
        frame[f"p_{label}"] = 0.05
    if probabilities is not None:
        for label, values in probabilities.items():
            frame[f"p_{label}"] = values
    frame["needs_review"] = "false"
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


# ------------------------------------------------------------------------------------------
# The round trip
# ------------------------------------------------------------------------------------------


def test_round_trip_equals_direct_computation(filled, workbook, classified):
    result = score_review(filled)
    rows = sampled_rows(workbook)
    t, p, prec, rec, f1, sup, (ap, ar, af) = direct(classified, rows)
    assert result["n_sampled"] == result["n_reviewed"] == 200 and result["n_left"] == 0
    for k, label in enumerate(LABELS):
        m = result["per_label"][label]
        # Exactly equal, not just close: the same counts divided the same way.
        assert (m["precision"], m["recall"], m["f1"]) == (prec[k], rec[k], f1[k])
        assert m["support"] == sup[k]
        tp, pp, ap_ = (t[:, k] & p[:, k]).sum(), p[:, k].sum(), t[:, k].sum()
        assert m["precision_ci"] == pytest.approx(proportion_confint(tp, pp, method="wilson"))
        assert m["recall_ci"] == pytest.approx(proportion_confint(tp, ap_, method="wilson"))
        prevalence = result["prevalence"][label]
        assert prevalence["estimate"] == pytest.approx(t[:, k].mean())
        assert prevalence["ci"] == pytest.approx(
            proportion_confint(t[:, k].sum(), 200, method="wilson")
        )
    assert result["macro_f1"] == pytest.approx(float(np.mean(f1)))
    a = result["any_information_linked"]
    assert (a["precision"], a["recall"], a["f1"]) == pytest.approx((ap, ar, af))
    assert a["support"] == int(t.any(1).sum())


def test_wilson_against_textbook_values():
    from safetylens._review_stats import wilson_interval

    # Newcombe (1998), Statistics in Medicine 17:857-872, table II: 81/263 and 15/148.
    assert [round(x, 4) for x in wilson_interval(81, 263)] == [0.2553, 0.3662]
    assert [round(x, 4) for x in wilson_interval(15, 148)] == [0.0624, 0.1605]
    assert [round(x, 4) for x in wilson_interval(0, 20)] == [0.0, 0.1611]


def test_f1_intervals_are_a_bootstrap_over_reports(filled, workbook, classified):
    """An independent bootstrap (index resampling) gives the same interval, within noise."""
    result = score_review(filled)
    t, p, *_ = direct(classified, sampled_rows(workbook))
    rng = np.random.default_rng(12345)
    draws = rng.integers(0, len(t), size=(2000, len(t)))
    tp = (t & p)[draws].sum(1)  # (2000, 7)
    wrong = (t ^ p)[draws].sum(1)
    f1s = np.where(2 * tp + wrong > 0, 2 * tp / np.maximum(2 * tp + wrong, 1), 0.0)
    for k, label in enumerate(LABELS):
        low, high = np.percentile(f1s[:, k], [2.5, 97.5])
        ours = result["per_label"][label]["f1_ci"]
        assert abs(ours[0] - low) < 0.03 and abs(ours[1] - high) < 0.03
        assert ours[0] <= result["per_label"][label]["f1"] <= ours[1]
    low, high = np.percentile(f1s.mean(1), [2.5, 97.5])
    assert abs(result["macro_f1_ci"][0] - low) < 0.02
    assert abs(result["macro_f1_ci"][1] - high) < 0.02
    # Seeded: the same call gives the same intervals.
    assert score_review(filled)["macro_f1_ci"] == result["macro_f1_ci"]


def test_cli_json_keys_and_text(filled):
    result = run("review", "score", filled, "--json", catch=False)
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert CONTRACT_KEYS <= set(payload)
    assert set(payload["per_label"]) == set(LABELS)
    for m in [*payload["per_label"].values(), payload["any_information_linked"]]:
        assert METRIC_KEYS <= set(m)
    assert set(payload["prevalence"]) == set(LABELS)
    assert all(set(v) == {"estimate", "ci"} for v in payload["prevalence"].values())
    assert "groups" not in payload
    assert "200 reviewed, 0 left" in result.stderr
    text = run("review", "score", filled, catch=False)
    assert "macro F1" in text.stdout and "Wilson" in text.stdout


def test_partly_reviewed(workbook, classified, tmp_path):
    part = fill(workbook, classified, tmp_path / "part.xlsx", rows=60)
    result = score_review(part)
    assert (result["n_sampled"], result["n_reviewed"], result["n_left"]) == (200, 60, 140)
    _, _, prec, rec, f1, _, _ = direct(classified, sampled_rows(workbook)[:60])
    for k, label in enumerate(LABELS):
        assert result["per_label"][label]["recall"] == pytest.approx(rec[k])
        assert result["per_label"][label]["precision"] == pytest.approx(prec[k])
    cli = run("review", "score", part)
    assert "60 reviewed, 140 left of 200 sampled" in cli.stderr
    assert "reviewed 60 of 200 sampled reports (140 left)" in cli.stdout


def test_labels_without_reviewed_are_not_counted(workbook, classified, tmp_path):
    out = fill(workbook, classified, tmp_path / "f.xlsx", rows=10)
    book = openpyxl.load_workbook(out)
    ws = book["Review"]
    ws["D2"].value = None  # labels stay, reviewed is cleared
    book.save(out)
    with pytest.warns(ReviewWarning, match="not counted"):
        result = score_review(out)
    assert result["n_reviewed"] == 9


@pytest.mark.parametrize("yes", ["Yes ", "TRUE", "x", " Y", "1", True, 1])
def test_yes_spellings(workbook, classified, filled, tmp_path, yes):
    out = fill(workbook, classified, tmp_path / "spelled.xlsx", yes=yes)
    spelled, reference = score_review(out), score_review(filled)
    assert spelled["n_reviewed"] == 200
    assert spelled["per_label"] == reference["per_label"]


def test_unreadable_label_cell_is_a_one_line_error(filled, tmp_path):
    book = openpyxl.load_workbook(filled)
    book["Review"]["K5"].value = "maybe"
    row = book["Review"]["A5"].value
    book.save(tmp_path / "odd.xlsx")
    result = run("review", "score", tmp_path / "odd.xlsx")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert f"it_system of report row {row}" in result.stderr


def test_saved_as_csv(filled, tmp_path):
    book = openpyxl.load_workbook(filled)
    beside = tmp_path / "review.csv"
    # As Excel's "CSV UTF-8" saves it: a byte-order mark, TRUE for a typed boolean.
    with open(beside, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        for row in book["Review"].iter_rows(values_only=True):
            writer.writerow(["" if v is None else v for v in row])
    reference = score_review(filled)
    # The design is found in the original workbook, given with --design ...
    result = run("review", "score", beside, "--design", filled, "--json", catch=False)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["per_label"] == reference["per_label"]
    # ... or beside the CSV under the same name.
    (tmp_path / "review.xlsx").write_bytes(filled.read_bytes())
    assert score_review(beside)["per_label"] == reference["per_label"]
    # Without it: one line saying what to pass.
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "other.csv").write_bytes(beside.read_bytes())
    result = run("review", "score", alone / "other.csv")
    assert result.exit_code == 2 and "--design" in result.stderr
    assert result.stderr.count("\n") == 1
    # Semicolon-delimited Windows-1252, as Excel saves CSV in many European locales.
    frame = pd.read_csv(beside, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    semi = tmp_path / "semi.csv"
    frame.to_csv(semi, sep=";", index=False, encoding="cp1252", errors="replace")
    assert score_review(semi, design=filled)["per_label"] == reference["per_label"]


def test_deleted_label_column_names_it(filled, tmp_path):
    book = openpyxl.load_workbook(filled)
    ws = book["Review"]
    header = [c.value for c in ws[1]]
    ws.delete_cols(header.index("documentation_quality") + 1)
    book.save(tmp_path / "deleted.xlsx")
    result = run("review", "score", tmp_path / "deleted.xlsx")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "'documentation_quality'" in lines[0] and lines[0].startswith("safetylens: error:")
    with pytest.raises(ReviewFormatError, match="documentation_quality"):
        read_reviewed(tmp_path / "deleted.xlsx")


def test_other_models_workbook_warns(filled, tmp_path):
    other = tmp_path / "other_model"
    other.mkdir()
    (other / "model_card.json").write_text(json.dumps({"model_sha256": "ab" * 32}))
    result = run("review", "score", filled, "--model", other)
    assert result.exit_code == 0
    assert "safetylens: warning:" in result.stderr and "another model" in result.stderr
    with pytest.warns(ReviewWarning, match="another model"):
        payload = score_review(filled, model_dir=other)
    assert any("another model" in w for w in payload["warnings"])
    # The shipped model's own workbook gives no warning.
    assert "warning" not in run("review", "score", filled).stderr


def test_model_sha_from_classified_file(tmp_path):
    source = hand_classified(tmp_path, ["EPR down"] * 5, extra={"model_sha256": ["cd" * 32] * 5})
    sample_review(source, tmp_path / "r.xlsx", n=5, seed=0)
    with pytest.warns(ReviewWarning, match="another model"):
        payload = score_review(fill_all(tmp_path / "r.xlsx", tmp_path / "f.xlsx"))
    assert payload["model_sha256"] == "cd" * 32


# ------------------------------------------------------------------------------------------
# Designs
# ------------------------------------------------------------------------------------------


def test_stratified_design_with_known_weights(tmp_path):
    # Site A: 100 reports, site B: 20. Equal allocation of 20 gives 10 each, weights 10 and 2.
    # The model says it_system everywhere; the truth is it_system in the first 30 of A and the
    # first 15 of B, so population precision is (30 + 15) / 120 = 0.375.
    sites = ["A"] * 100 + ["B"] * 20
    source = hand_classified(tmp_path, [f"report {i}" for i in range(120)], strata=sites)
    out = tmp_path / "strat.xlsx"
    sample_review(source, out, n=20, seed=3, strata=["site"], allocation="equal")
    book = openpyxl.load_workbook(out)
    ws = book["Review"]
    header = [c.value for c in ws[1]]
    truth = {}
    for cells in ws.iter_rows(min_row=2):
        row = cells[0].value
        yes = row <= 30 or 101 <= row <= 115
        truth[row] = yes
        cells[header.index("reviewed")].value = "yes"
        cells[header.index("it_system")].value = "yes" if yes else None
    book.save(tmp_path / "strat_filled.xlsx")
    result = score_review(tmp_path / "strat_filled.xlsx")
    a = [r for r in truth if r <= 100]
    b = [r for r in truth if r > 100]
    assert len(a) == len(b) == 10
    w = np.array([10.0 if r <= 100 else 2.0 for r in truth])
    hit = np.array(list(truth.values()))
    expected = (w * hit).sum() / w.sum()
    m = result["per_label"]["it_system"]
    assert m["precision"] == pytest.approx(expected)
    assert m["recall"] == 1.0
    assert result["prevalence"]["it_system"]["estimate"] == pytest.approx(expected)
    n_eff = w.sum() ** 2 / (w**2).sum()
    assert m["n_precision"] == pytest.approx(n_eff)
    assert m["precision_ci"] == pytest.approx(
        proportion_confint(expected * n_eff, n_eff, method="wilson")
    )
    assert "Kish" in result["intervals"] and result["estimates_from"]["weighted"]
    frame = read_reviewed(tmp_path / "strat_filled.xlsx")
    assert sorted(set(frame["weight"])) == [2.0, 10.0]
    assert set(frame.columns) >= {"row", "text", "labels", "weight", "site"}

    # Partly reviewed: 5 of A's 10 and all of B's: A's reports now weigh 100 / 5 = 20.
    done_a = 0
    for cells in ws.iter_rows(min_row=2):
        if cells[0].value <= 100:
            done_a += 1
            if done_a > 5:
                cells[header.index("reviewed")].value = None
    book.save(tmp_path / "strat_part.xlsx")
    with pytest.warns(ReviewWarning, match="not counted"):
        part = read_reviewed(tmp_path / "strat_part.xlsx")
    assert sorted(set(part["weight"])) == [2.0, 20.0]
    with pytest.warns(ReviewWarning, match="not counted"):
        assert score_review(tmp_path / "strat_part.xlsx")["n_reviewed"] == 15


def test_uncertain_sample_reports_agreement_only(classified, tmp_path):
    out = tmp_path / "unc.xlsx"
    sample_review(classified, out, n=40, seed=2, strategy="uncertain", model_dir="fast")
    book = openpyxl.load_workbook(out)
    # Prefilled by default: the label cells hold the model's labels.
    truth = truth_of(classified)
    ws = book["Review"]
    header = [c.value for c in ws[1]]
    first = next(ws.iter_rows(min_row=2))
    model_labels = truth["labels"][first[0].value - 1].split(";")
    shown = [label for label in LABELS if first[header.index(label)].value == "yes"]
    assert shown == [x for x in model_labels if x]
    # The sampled reports are those nearest a threshold.
    card = json.loads((SAMPLE.parent / "models" / "fast" / "model_card.json").read_text())
    p = truth[[f"p_{label}" for label in LABELS]].astype(float).to_numpy()
    distance = np.abs(p - np.array([card["thresholds"][x] for x in LABELS])).min(1)
    chosen = np.array(sampled_rows(out)) - 1
    assert distance[chosen].max() <= np.sort(distance)[39] + 1e-12
    # Prefilled labels left as they are do not count as unfinished work; a changed one does.
    assert "not counted" not in run("review", "score", out).stderr
    first[header.index("it_system")].value = None if "it_system" in shown else "yes"
    book.save(tmp_path / "changed.xlsx")
    assert "1 rows have changed labels" in run("review", "score", tmp_path / "changed.xlsx").stderr
    filled = fill(out, classified, tmp_path / "unc_filled.xlsx")
    result = run("review", "score", filled, catch=False)
    assert "not accuracy estimates" in result.stdout
    payload = score_review(filled)
    assert payload["strategy"] == "uncertain" and payload["macro_f1"] is None
    assert payload["per_label"]["it_system"]["precision"] is None
    assert payload["accuracy_note"].startswith("These reports were chosen")
    agree = payload["agreement"]["per_label"]["it_system"]
    t, pm, *_ = direct(classified, sampled_rows(out))
    k = LABELS.index("it_system")
    assert agree["agreement"] == pytest.approx(float((t[:, k] == pm[:, k]).mean()))


def test_mixed_sample_keeps_parts_apart(classified, tmp_path):
    out = tmp_path / "mixed.xlsx"
    sample_review(classified, out, n=60, seed=8, strategy="mixed")
    filled = fill(out, classified, tmp_path / "mixed_filled.xlsx")
    payload = score_review(filled)
    assert payload["estimates_from"]["n_reviewed"] == 30
    assert payload["agreement"]["n_reviewed"] == 30
    design = openpyxl.load_workbook(out)["Design"]
    values = [c for row in design.iter_rows(values_only=True) for c in row]
    assert values.count("random") == 30 and values.count("uncertain") == 30
    # Accuracy comes from the random half only.
    frame = read_reviewed(filled)
    random_rows = frame.loc[frame["part"] == "random", "row"].tolist()
    _, _, _, rec, _, _, _ = direct(classified, random_rows)
    assert payload["per_label"]["it_system"]["recall"] == pytest.approx(
        rec[LABELS.index("it_system")]
    )


def test_by_group_and_rollout(filled, workbook, classified):
    payload = score_review(filled, by="setting")
    assert [g["group"] for g in payload["groups"]] == sorted(set(truth_of(classified)["setting"]))
    assert sum(g["n_reviewed"] for g in payload["groups"]) == 200
    rollout = validation_summary(filled, rollout="01/01/2020", date_col="incident_date")
    before, after = rollout["groups"]
    assert (before["group"], after["group"]) == ("before", "after")
    dates = pd.to_datetime(truth_of(classified)["incident_date"], dayfirst=True)
    rows = np.array(sampled_rows(workbook))
    n_before = int((dates.iloc[rows - 1] < "2020-01-01").sum())
    assert before["n_reviewed"] == n_before and after["n_reviewed"] == 200 - n_before
    diffs = rollout["group_differences"]
    assert len(diffs) == 16 and all("flagged" in d and "p_value" in d for d in diffs)


def test_rollout_flags_a_change_in_recall(tmp_path):
    # it_system recall is 1.0 before the rollout and 0.2 after: the model misses after go-live.
    n = 80
    dates = [f"{1 + i % 28:02d}/0{1 + i % 6}/2020" for i in range(n)]
    after = [int(d[3:5]) >= 4 for d in dates]
    labels = ["it_system" if (not a or i % 5 == 0) else "" for i, a in enumerate(after)]
    source = hand_classified(
        tmp_path, [f"report {i}" for i in range(n)], labels=labels, extra={"incident_date": dates}
    )
    out = tmp_path / "r.xlsx"
    sample_review(source, out, n=n, seed=1, keep=["incident_date"])
    filled = fill_all(out, tmp_path / "f.xlsx")  # the reviewer says it_system for all
    payload = score_review(filled, rollout="01/04/2020", date_col="incident_date")
    flagged = [(d["label"], d["metric"]) for d in payload["group_differences"] if d["flagged"]]
    assert ("it_system", "recall") in flagged
    result = run(
        "review",
        "score",
        filled,
        "--rollout",
        "01/04/2020",
        "--date-col",
        "incident_date",
        catch=False,
    )
    assert "FLAG it_system recall" in result.stdout
    bad = run("review", "score", filled, "--by", "nonexistent")
    assert bad.exit_code == 2 and "incident_date" in bad.stderr


def test_read_reviewed_for_training(workbook, classified, tmp_path):
    part = fill(workbook, classified, tmp_path / "part.xlsx", rows=25)
    frame = read_reviewed(part)
    assert len(frame) == 25
    assert list(frame.columns[:5]) == ["row", "text", "labels", "weight", "part"]
    assert {"report_id", "setting", "incident_date"} <= set(frame.columns)
    truth = truth_of(classified)
    for row, text, labels in frame[["row", "text", "labels"]].itertuples(index=False):
        assert text == truth["text"][row - 1]
        assert labels == truth["true_labels"][row - 1]
    assert set(frame["weight"]) == {400 / 25}  # N / reports reviewed


# ------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["review"], ["review", "sample"], ["review", "score"]])
def test_help(command):
    result = run(*command, "--help", catch=False)
    assert result.exit_code == 0 and "Usage:" in result.stdout
    if len(command) > 1:
        assert "Example:" in result.stdout


def test_cli_sample(classified, tmp_path):
    out = tmp_path / "cli.xlsx"
    result = run(
        "review",
        "sample",
        classified,
        "-o",
        out,
        "--n",
        30,
        "--seed",
        1,
        "--strata",
        "setting",
        "--id-col",
        "report_id",
        "--prefilled",
        catch=False,
    )
    assert result.exit_code == 0, result.stderr
    assert "sampled 30 of 400" in result.stderr and "per stratum" in result.stderr
    ws = openpyxl.load_workbook(out)["Review"]
    assert any(c.value == "yes" for row in ws.iter_rows(min_row=2, min_col=5) for c in row)
    bad = run(
        "review", "sample", classified, "-o", tmp_path / "x.xlsx", "--seed", 1, "--strata", "ward"
    )
    assert bad.exit_code == 2 and "'ward'" in bad.stderr
    assert not (tmp_path / "x.xlsx").exists()
    not_classified = tmp_path / "plain.csv"
    not_classified.write_text("text\nEPR down\n")
    bad = run("review", "sample", not_classified, "-o", tmp_path / "x.xlsx", "--seed", 1)
    assert bad.exit_code == 2 and "classify" in bad.stderr


def test_model_sha_from_parquet_metadata(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = hand_classified(tmp_path, ["EPR down"] * 4)
    table = pa.Table.from_pandas(pd.read_csv(source, dtype=str), preserve_index=False)
    table = table.replace_schema_metadata({"model_sha256": "ef" * 32})
    pq.write_table(table, tmp_path / "c.parquet")
    sample_review(tmp_path / "c.parquet", tmp_path / "r.xlsx", n=4, seed=0)
    design = openpyxl.load_workbook(tmp_path / "r.xlsx")["Design"]
    entries = {row[0]: row[1] for row in design.iter_rows(values_only=True)}
    assert json.loads(entries["model_sha256"]) == "ef" * 32
    assert json.loads(entries["model_sha256_from"]) == "classified file"


def test_bad_strategy_is_refused_before_reading(tmp_path):
    result = run(
        "review",
        "sample",
        tmp_path / "none.csv",
        "-o",
        tmp_path / "r.xlsx",
        "--seed",
        1,
        "--strategy",
        "clever",
    )
    assert result.exit_code == 2 and "is not one of" in result.stderr


def test_unreviewed_stratum_is_named(tmp_path):
    source = hand_classified(tmp_path, [f"r{i}" for i in range(40)], strata=["A", "B"] * 20)
    sample_review(source, tmp_path / "r.xlsx", n=10, seed=0, strata=["site"])
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    ws = book["Review"]
    site_of = {i + 1: "AB"[i % 2] for i in range(40)}
    for cells in ws.iter_rows(min_row=2):
        if site_of[cells[0].value] == "A":
            cells[2].value = "yes"
    book.save(tmp_path / "f.xlsx")
    with pytest.warns(ReviewWarning, match=r"1 strata have no reviewed report \(B\)"):
        payload = score_review(tmp_path / "f.xlsx")
    assert payload["n_reviewed"] == 5


def test_validation_summary_checks_the_model_only_when_told(filled, tmp_path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = validation_summary(filled)
    assert summary["warnings"] == [] and len(summary["model_sha256"]) == 64
    with pytest.warns(ReviewWarning, match="another model"):
        validation_summary(filled, model_sha256="00" * 32)


def test_weighted_wilson_covers_in_a_stratified_design():
    """Kish-effective-size Wilson intervals cover a known prevalence (fixed seed, 1,000 draws).

    Strata of 4,000 and 1,000 reports with prevalence 0.3 and 0.8, 100 reviewed in each.
    """
    from safetylens._review_stats import weighted_proportion

    rng = np.random.default_rng(20261204)
    truth = (4000 * 0.3 + 1000 * 0.8) / 5000
    weights = np.r_[np.full(100, 40.0), np.full(100, 10.0)]
    covered = 0
    for _ in range(1000):
        hits = np.r_[rng.random(100) < 0.3, rng.random(100) < 0.8]
        _, (low, high), _ = weighted_proportion(hits, weights)
        covered += low <= truth <= high
    assert 0.94 <= covered / 1000 <= 0.99


def test_review_help_imports_no_heavy_library():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from safetylens.cli import app\n"
        "for args in (['review', '--help'], ['review', 'sample', '--help'],"
        " ['review', 'score', '--help']):\n"
        "    try:\n        app(args, prog_name='safetylens')\n"
        "    except SystemExit:\n        pass\n"
        "heavy = ['sklearn', 'pandas', 'statsmodels', 'matplotlib', 'nltk', 'numpy', 'scipy',"
        " 'openpyxl']\n"
        "print('HEAVY:' + ','.join(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_text_sorted_on_its_own_is_noticed(filled, tmp_path):
    book = openpyxl.load_workbook(filled)
    ws = book["Review"]
    texts = [ws.cell(row=i, column=3).value for i in range(2, 202)]
    for i, text in enumerate(sorted(texts), start=2):  # the text column sorted alone
        ws.cell(row=i, column=3).value = text
    book.save(tmp_path / "sorted.xlsx")
    with pytest.warns(ReviewWarning, match="sorted or edited on its own"):
        score_review(tmp_path / "sorted.xlsx")


def test_more_wanted_than_there_are_and_rows_without_text(tmp_path):
    source = hand_classified(tmp_path, ["EPR down", "", "Wrong wristband"])
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    for label in LABELS:
        frame.loc[1, f"p_{label}"] = ""  # classify leaves no-text rows without probabilities
    frame.to_csv(source, index=False)
    with pytest.warns(ReviewWarning, match="only 2 have text"):
        result = sample_review(source, tmp_path / "r.xlsx", n=10, seed=0)
    assert (result.n_sampled, result.n_no_text) == (2, 1)
    assert sorted(sampled_rows(tmp_path / "r.xlsx")) == [1, 3]


# ---------------------------------------------------------------- into train and evaluate


def test_train_takes_reviewed_rows_of_a_workbook_as_local_reports(
    classified, tmp_path, small_corpus
):
    from safetylens._training import train_model

    out = tmp_path / "r.xlsx"
    sample_review(classified, out, n=60, seed=11)
    filled = fill(out, classified, tmp_path / "filled.xlsx", rows=40)
    corpus = tmp_path / "corpus.csv"
    small_corpus.to_csv(corpus, index=False)
    card = train_model(
        [filled, corpus],
        tmp_path / "m",
        text_col="text",
        cv=3,
        local_weight=2,
        params={"char_ngrams": None, "calibration_cv": 2},
    )
    assert card["training_data"]["n_reports"] == 40 + len(small_corpus)
    local = card["local_reports"]
    assert local["n_reports"] == 40 and local["weight"] == 2.0
    assert local["before"]["model"] == "fast"
    assert 0 <= local["after"]["macro_f1"] <= 1


def test_evaluate_scores_a_model_on_the_reviewed_rows(classified, tmp_path):
    from safetylens._metrics import score
    from safetylens._model import labels_to_indicator
    from safetylens._training import evaluate_file

    out = tmp_path / "r.xlsx"
    sample_review(classified, out, n=30, seed=12)
    filled = fill(out, classified, tmp_path / "filled.xlsx", rows=25)
    metrics = evaluate_file(filled, "fast")
    truth = truth_of(classified).iloc[[r - 1 for r in sampled_rows(filled)[:25]]]
    expected = score(
        labels_to_indicator(truth["true_labels"].tolist()),
        labels_to_indicator(truth["labels"].tolist()),
    )
    assert metrics == expected
    result = run("evaluate", filled, "--model", "fast", "--json", catch=False)
    assert json.loads(result.stdout) == expected


def test_its_carries_the_local_validation_into_json_and_report(classified, tmp_path):
    out = tmp_path / "r.xlsx"
    sample_review(classified, out, n=80, seed=13, keep=["incident_date"])
    filled = fill(out, classified, tmp_path / "filled.xlsx")
    args = ["its", classified, "--date-col", "incident_date", "--rollout", "01/07/2020"]
    args += ["--information-linked", "--validation", filled]
    result = run(*args, "--json", catch=False)
    payload = json.loads(result.stdout)
    checked = payload["classification_validation"]
    assert checked["n_reviewed"] == 80
    assert [g["group"] for g in checked["groups"]] == ["before", "after"]
    assert checked == score_review(filled, rollout="01/07/2020", date_col="incident_date")
    run(*args, "--output-dir", tmp_path / "its", catch=False)
    page = (tmp_path / "its" / "report.html").read_text(encoding="utf-8")
    assert "Local validation" in page and "information-linked recall" in page
