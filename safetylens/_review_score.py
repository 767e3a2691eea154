"""``review score``: a reviewed workbook in, local accuracy with intervals out.

:func:`score_review` returns the ``review score --json`` payload; :func:`validation_summary`
is the same for the ITS report; :func:`read_reviewed` gives the reviewed reports as labelled
data for ``train`` and ``evaluate``; :func:`format_report` renders the payload as text.

Only rows with ``reviewed`` = yes count. Accuracy is estimated from the randomly drawn part of
a sample only; reports drawn because the model was unsure give agreement, which is not
accuracy. With strata, each reviewed report of stratum h weighs ``N_h / r_h`` (its stratum's
size over the reports reviewed in it), so a partly reviewed stratum is not under-counted.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

from safetylens import _dates, _modelcard, taxonomy
from safetylens.exceptions import DataValidationError, ReviewFormatError, ReviewWarning
from safetylens.taxonomy import LABELS

ANY = "any_information_linked"
UNCERTAIN_NOTE = (
    "These reports were chosen because the model was least sure about them, so the figures "
    "are agreement between reviewer and model on hard cases; they are not accuracy estimates "
    "and say nothing about accuracy on the whole file."
)


@dataclass
class Reviewed:
    """A review workbook read back: one row per sampled report, and the design metadata."""

    table: object  # pandas.DataFrame
    truth: object  # bool DataFrame, one column per label
    model: object  # bool DataFrame, one column per label
    metadata: dict
    user_columns: list[str]
    extra_columns: list[str]
    source: str
    notes: list[str] = field(default_factory=list)


def _warn(reviewed: Reviewed | None, message: str) -> None:
    if reviewed is not None:
        reviewed.notes.append(message)
    warnings.warn(message, ReviewWarning, stacklevel=3)


def load_review(path, *, design=None, require_design: bool = True) -> Reviewed:
    """Read a review workbook (or its Review sheet saved as CSV) with its design.

    Parameters
    ----------
    path : path-like
        The workbook (.xlsx) or the Review sheet saved as .csv.
    design : path-like, optional
        For a CSV: the workbook ``review sample`` wrote (default: ``<same name>.xlsx`` beside
        the CSV).
    require_design : bool, default=True
        Refuse a CSV whose design cannot be found; otherwise every row weighs 1.

    Raises
    ------
    ReviewFormatError
        A deleted or renamed column (named), a label cell that is neither yes nor blank, a
        CSV without its workbook, or rows that are not in the design.
    """
    import numpy as np
    import pandas as pd

    from safetylens._review_workbook import (
        find_design_for,
        parse_review_cells,
        read_design,
        read_review_sheet,
        text_check,
    )

    path = Path(path)
    is_csv = path.suffix.lower() in (".csv", ".txt", ".tsv")
    sheet = read_review_sheet(path)
    reviewed_flags, truth, _ = parse_review_cells(sheet, path.name)
    design_path = find_design_for(path, design) if is_csv else path
    if design_path is None:
        if require_design:
            raise ReviewFormatError(
                f"{path.name}: a CSV holds only the Review sheet; pass --design with the .xlsx "
                "workbook `review sample` wrote (it holds the model's labels and the sample "
                "design), or score the .xlsx itself"
            )
        notes = [f"{path.name}: no design found; every reviewed report weighs 1"]
        warnings.warn(notes[0], ReviewWarning, stacklevel=2)
        table = sheet.assign(
            reviewed=reviewed_flags.to_numpy(), part="unknown", weight=1.0, stratum="all"
        )
        model = pd.DataFrame(False, index=table.index, columns=list(LABELS))
        return Reviewed(table, truth, model, {}, [], [], path.name, notes)

    found = read_design(design_path)
    rows = found.rows
    extra = [
        c
        for c in sheet.columns
        if c not in ("row", "text", "reviewed", "comment", *LABELS)
        and c != found.metadata.get("id_col")
    ]
    unknown = sorted(set(sheet["row"]) - set(rows["row"]))
    if unknown:
        raise ReviewFormatError(
            f"{path.name}: row {unknown[0]} of the Review sheet is not in the sample design "
            f"({len(unknown)} such rows); score the workbook this sheet came from"
        )
    sheet = sheet.assign(reviewed=reviewed_flags.to_numpy())
    keep = ["row", "reviewed", *(["text"] if "text" in sheet else []), *extra]
    id_col = found.metadata.get("id_col")
    if id_col and id_col in sheet.columns and id_col not in found.user_columns:
        keep.append(id_col)
    left = rows.merge(sheet[keep], on="row", how="left", validate="one_to_one")
    missing_rows = int(left["reviewed"].isna().sum())
    left["reviewed"] = left["reviewed"].fillna(False).astype(bool)
    truth = truth.set_axis(sheet["row"].to_numpy()).reindex(left["row"]).fillna(False)
    truth = truth.astype(bool).reset_index(drop=True)
    model = pd.DataFrame(
        {label: [label in str(v).split(";") for v in left["model_labels"]] for label in LABELS}
    )
    reviewed = Reviewed(left, truth, model, found.metadata, found.user_columns, extra, path.name)
    if missing_rows:
        _warn(
            reviewed,
            f"{missing_rows} sampled rows are missing from the Review sheet; "
            "they count as not reviewed",
        )
    if "text" in left.columns and "text_check" in left.columns:
        present = left["text"].notna() & left["text_check"].notna()
        checks = zip(left.loc[present, "text"], left.loc[present, "text_check"], strict=True)
        moved = left.loc[present, "row"][[text_check(t) != c for t, c in checks]]
        if len(moved):
            _warn(
                reviewed,
                f"the text of {len(moved)} rows (row {int(moved.iloc[0])} first) is not the "
                "report sampled for that row number: was a column sorted or edited on its own? "
                "Their labels may belong to other reports",
            )
    # Rows labelled (or, in a prefilled workbook, changed) but not marked reviewed.
    started = (
        truth.any(axis=1) if found.metadata.get("blind", True) else (truth != model).any(axis=1)
    )
    unfinished = int((started & ~left["reviewed"]).sum())
    if unfinished:
        what = "have labels" if found.metadata.get("blind", True) else "have changed labels"
        _warn(
            reviewed,
            f"{unfinished} rows {what} but reviewed is not yes; "
            "they are not counted (put yes in reviewed when a row is finished)",
        )
    # Design weights, adjusted for the reports reviewed in each stratum.
    random_part = left["part"] == "random"
    done = left[random_part & left["reviewed"]].groupby("stratum").size()
    sizes = left[random_part].groupby("stratum")["stratum_size"].first()
    weight = np.ones(len(left))
    for stratum, size in sizes.items():
        at = (random_part & (left["stratum"] == stratum)).to_numpy()
        weight[at] = size / done.get(stratum, np.nan) if done.get(stratum, 0) else np.nan
    left["analysis_weight"] = weight
    return reviewed


def _expected_sha(model_dir, expected_model_sha256):
    if expected_model_sha256:
        return expected_model_sha256, "the given model"
    card = _modelcard.read_card(model_dir)
    what = f"--model {model_dir}" if model_dir is not None else "the shipped model"
    return card["model_sha256"], what


def score_review(
    path,
    *,
    design=None,
    by: str | None = None,
    rollout=None,
    date_col: str | None = None,
    model_dir=None,
    expected_model_sha256: str | None = None,
    check_model: bool = True,
    seed: int = 0,
    n_boot: int = 2000,
) -> dict:
    """Score a reviewed workbook: the ``safetylens review score --json`` payload.

    Parameters
    ----------
    path : path-like
        The workbook from ``review sample`` after review, or its Review sheet saved as CSV.
    design : path-like, optional
        For a CSV, the original workbook (default ``<same name>.xlsx`` beside it).
    by : str, optional
        Give the figures per value of this column (a column recorded at sampling: the id,
        ``--strata`` or ``--keep`` columns, or one added to the Review sheet).
    rollout : str or date, optional
        With ``date_col``: figures before and after this date (day first, ``01/04/2020``).
    date_col : str, optional
    model_dir : path-like, optional
        The model whose accuracy you mean to check (default: the shipped model); a warning
        says when the workbook was sampled from another model's output.
    expected_model_sha256 : str, optional
        The same check against a known SHA-256 instead of a model folder.
    check_model : bool, default=True
        Make that check at all.
    seed : int, default=0
        Seed of the bootstrap.
    n_boot : int, default=2000
        Bootstrap resamples.

    Returns
    -------
    dict
        JSON-safe: ``n_sampled``, ``n_reviewed``, ``n_left``, ``strategy``, ``per_label``,
        ``macro_f1``, ``macro_f1_ci``, ``any_information_linked``, ``prevalence``, ``notes``,
        ``warnings``, ``intervals``, ``agreement`` (uncertain reports), and ``groups``,
        ``group_by``, ``group_differences`` with ``by`` or ``rollout``.

    Examples
    --------
    >>> import pathlib, tempfile, openpyxl, pandas as pd
    >>> from safetylens._review_sample import sample_review
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> rows = {"text": ["EPR down", "Pt fell", "Wrong wristband"],
    ...         "labels": ["it_system", "", "patient_identification"],
    ...         "information_linked": ["true", "false", "true"]}
    >>> rows.update({f"p_{label}": ["0.1"] * 3 for label in LABELS})
    >>> pd.DataFrame(rows).to_csv(folder / "classified.csv", index=False)
    >>> _ = sample_review(folder / "classified.csv", folder / "review.xlsx", n=3, seed=1)
    >>> book = openpyxl.load_workbook(folder / "review.xlsx")
    >>> for cells in book["Review"].iter_rows(min_row=2):
    ...     cells[2].value = "yes"  # reviewed, and no label applies
    >>> book.save(folder / "review.xlsx")
    >>> out = score_review(folder / "review.xlsx")
    >>> out["n_reviewed"], out["per_label"]["it_system"]["precision"]
    (3, 0.0)
    """
    if (rollout is None) != (date_col is None):
        raise DataValidationError("--rollout and --date-col go together; give both or neither")
    if by is not None and rollout is not None:
        raise DataValidationError("give --by or --rollout, not both")
    reviewed = load_review(path, design=design)
    meta = reviewed.metadata
    table = reviewed.table
    strategy = meta.get("strategy", "random")
    is_reviewed = table["reviewed"].to_numpy(bool)
    sampled_with = meta.get("model_sha256")
    expected, what = (
        _expected_sha(model_dir, expected_model_sha256) if check_model else (sampled_with, "")
    )
    if sampled_with and sampled_with != expected:
        _warn(
            reviewed,
            f"{reviewed.source} was sampled from the output of another model (SHA-256 "
            f"{sampled_with[:12]}...) than {what} ({expected[:12]}...); the figures describe "
            "the model that classified the sampled file",
        )
    payload = {
        "n_sampled": int(len(table)),
        "n_reviewed": int(is_reviewed.sum()),
        "n_left": int(len(table) - is_reviewed.sum()),
        "strategy": strategy,
        "blind": meta.get("blind"),
        "model_sha256": sampled_with,
        "source_sha256": meta.get("source_sha256"),
        "source_file": meta.get("source_file"),
        "seed": meta.get("seed"),
    }
    if not meta.get("blind", True) and strategy != "uncertain":
        _warn(
            reviewed,
            "the label cells were prefilled with the model's labels; reviewers tend to keep "
            "what they are shown, so agreement and accuracy are likely overstated",
        )
    if meta.get("strata") and strategy != "uncertain" and is_reviewed.any():
        random_part = table["part"] == "random"
        done = table[random_part & table["reviewed"]]["stratum"].unique()
        empty = sorted(set(table.loc[random_part, "stratum"]) - set(done), key=str)
        if empty:
            _warn(
                reviewed,
                f"{len(empty)} strata have no reviewed report ({', '.join(map(str, empty[:5]))}"
                f"{', ...' if len(empty) > 5 else ''}); the estimates cover the other strata only",
            )
    figures = _figures(reviewed, is_reviewed, seed=seed, n_boot=n_boot)
    payload.update(figures)
    if by is not None or rollout is not None:
        payload.update(_groups(reviewed, by, rollout, date_col, seed=seed, n_boot=n_boot))
    payload["notes"] = payload.pop("_notes", [])
    payload["warnings"] = list(reviewed.notes)
    return payload


def _figures(reviewed: Reviewed, mask, *, seed: int, n_boot: int) -> dict:
    """Accuracy (random part) and agreement (uncertain part) for the reviewed rows in mask."""
    import numpy as np

    from safetylens._review_stats import N_BOOT, accuracy, agreement

    table = reviewed.table
    meta = reviewed.metadata
    part = table["part"].to_numpy()
    random_rows = mask & (part == "random")
    uncertain_rows = mask & (part == "uncertain")
    stratified = bool(meta.get("strata"))
    out: dict = {}
    notes = []
    if meta.get("strategy") != "uncertain":
        weights = table["analysis_weight"].to_numpy(float)[random_rows]
        if stratified:
            weights = np.nan_to_num(weights, nan=0.0)
        else:
            weights = np.ones(int(random_rows.sum()))
        result = accuracy(
            reviewed.truth.to_numpy()[random_rows],
            reviewed.model.to_numpy()[random_rows],
            weights,
            table["stratum"].to_numpy()[random_rows] if stratified else np.zeros(len(weights)),
            n_boot=n_boot or N_BOOT,
            seed=seed,
        )
        out["per_label"] = {
            label: _metric_block(row)
            for label, row in zip(LABELS, result["per_label"], strict=True)
        }
        out["macro_f1"] = _r(result["macro_f1"])
        out["macro_f1_ci"] = _ci(result["macro_f1_ci"])
        out[ANY] = _metric_block(result["any"])
        out["prevalence"] = {
            label: {"estimate": _r(p["estimate"]), "ci": _ci(p["ci"])}
            for label, p in zip(LABELS, result["prevalence"], strict=True)
        }
        out["estimates_from"] = {
            "part": "random",
            "n_reviewed": int(random_rows.sum()),
            "weighted": stratified,
        }
        if stratified:
            out["intervals"] = (
                "Estimates are weighted by stratum (each reviewed report of stratum h weighs "
                "N_h / r_h). Proportions have Wilson intervals at Kish's effective sample size "
                "(the squared sum of the weights over the sum of their squares) of their "
                "denominator, which allows for unequal weights and ignores the usually small "
                "gain from stratifying, so errs on the wide side; F1 and macro F1 have "
                f"percentile intervals from {n_boot} bootstrap resamples of reports within "
                "strata."
            )
        else:
            out["intervals"] = (
                "Proportions (precision, recall, prevalence) have 95% Wilson score intervals; "
                f"F1 and macro F1 have percentile intervals from {n_boot} bootstrap resamples "
                "of the reviewed reports."
            )
        if result["n_labels_in_macro"] < len(LABELS):
            notes.append(
                f"macro F1 averages the {result['n_labels_in_macro']} labels whose F1 is "
                "defined (a label neither the model nor the reviewer gave has none)"
            )
    else:
        empty = {
            "precision": None,
            "precision_ci": None,
            "recall": None,
            "recall_ci": None,
            "f1": None,
            "f1_ci": None,
        }
        agree = agreement(
            reviewed.truth.to_numpy()[uncertain_rows], reviewed.model.to_numpy()[uncertain_rows]
        )
        out["per_label"] = {
            label: {
                **empty,
                "support": a["reviewer_yes"],
                "agreement": _r(a["agreement"]),
                "agreement_ci": _ci(a["agreement_ci"]),
            }
            for label, a in zip(LABELS, agree, strict=True)
        }
        out["macro_f1"] = None
        out["macro_f1_ci"] = None
        any_truth = reviewed.truth.to_numpy()[uncertain_rows].any(axis=1)
        any_model = reviewed.model.to_numpy()[uncertain_rows].any(axis=1)
        a = agreement(any_truth[:, None], any_model[:, None])[0]
        out[ANY] = {
            **empty,
            "support": a["reviewer_yes"],
            "agreement": _r(a["agreement"]),
            "agreement_ci": _ci(a["agreement_ci"]),
        }
        out["prevalence"] = {label: {"estimate": None, "ci": None} for label in LABELS}
        out["intervals"] = "Agreement proportions have 95% Wilson score intervals."
        notes.append(UNCERTAIN_NOTE)
        out["accuracy_note"] = UNCERTAIN_NOTE
    if meta.get("strategy") in ("mixed", "uncertain"):
        agree = agreement(
            reviewed.truth.to_numpy()[uncertain_rows], reviewed.model.to_numpy()[uncertain_rows]
        )
        out["agreement"] = {
            "part": "uncertain",
            "n_reviewed": int(uncertain_rows.sum()),
            "per_label": {
                label: {
                    "agreement": _r(a["agreement"]),
                    "agreement_ci": _ci(a["agreement_ci"]),
                    "reviewer_yes": a["reviewer_yes"],
                    "model_yes": a["model_yes"],
                }
                for label, a in zip(LABELS, agree, strict=True)
            },
            "note": UNCERTAIN_NOTE,
        }
        if meta.get("strategy") == "mixed":
            notes.append(
                "Accuracy and prevalence come from the randomly drawn reports only; the reports "
                "drawn near a threshold are reported apart, as agreement. " + UNCERTAIN_NOTE
            )
    out["_notes"] = notes
    return out


def _metric_block(row: dict) -> dict:
    return {
        "precision": _r(row["precision"]),
        "precision_ci": _ci(row["precision_ci"]),
        "recall": _r(row["recall"]),
        "recall_ci": _ci(row["recall_ci"]),
        "f1": _r(row["f1"]),
        "f1_ci": _ci(row["f1_ci"]),
        "support": int(row["support"]),
        "n_precision": _r(row["n_precision"]),
        "n_recall": _r(row["n_recall"]),
    }


def _r(value):
    # Full precision: the figures can be compared exactly with one's own computation; the
    # text report rounds.
    return None if value is None else float(value)


def _ci(pair):
    return None if pair is None else [float(pair[0]), float(pair[1])]


def _column(reviewed: Reviewed, name: str, option: str):
    table = reviewed.table
    if name in table.columns and (
        name in reviewed.user_columns
        or name in reviewed.extra_columns
        or name == reviewed.metadata.get("id_col")
    ):
        return table[name].fillna("").astype(str)
    from safetylens._names import column_list, shown

    available = reviewed.user_columns + reviewed.extra_columns
    raise DataValidationError(
        f"{reviewed.source}: {option} names no recorded column {shown(name)}; columns "
        f"available: {column_list(available) if available else '(none)'}. Record it at "
        "sampling with --keep or --strata, or add it to the Review sheet"
    )


def _groups(reviewed: Reviewed, by, rollout, date_col, *, seed: int, n_boot: int) -> dict:
    import numpy as np

    from safetylens._review_stats import difference_test, holm

    table = reviewed.table
    if by is not None:
        values = _column(reviewed, by, "--by").to_numpy()
        names = sorted(set(values.tolist()), key=str)
        group_by = by
        extra = {}
    else:
        day = rollout if hasattr(rollout, "year") else _parse_rollout(rollout)
        raw = _column(reviewed, date_col, "--date-col")
        dates = []
        for k, value in enumerate(raw, start=1):
            try:
                dates.append(_dates.parse_date(value))
            except ValueError:
                raise DataValidationError(
                    f"{reviewed.source}: column '{date_col}', sampled report {k} (row "
                    f"{int(table['row'].iloc[k - 1])}): cannot read the date; write dates day "
                    "first (03/04/2021) or as ISO (2021-04-03)"
                ) from None
        values = np.array(["before" if d < day else "after" for d in dates], dtype=object)
        names = ["before", "after"]
        group_by = f"rollout on {date_col}"
        extra = {"rollout": day.isoformat(), "date_col": date_col}
    is_reviewed = table["reviewed"].to_numpy(bool)
    groups = []
    for name in names:
        in_group = values == name
        figures = _figures(reviewed, is_reviewed & in_group, seed=seed, n_boot=n_boot)
        figures.pop("_notes", None)
        figures.pop("intervals", None)
        groups.append(
            {
                "group": name,
                "n_sampled": int(in_group.sum()),
                "n_reviewed": int((is_reviewed & in_group).sum()),
                **figures,
            }
        )
    differences = []
    if reviewed.metadata.get("strategy") != "uncertain" and len(groups) >= 2:
        weighted = bool(reviewed.metadata.get("strata"))
        for label in (*LABELS, ANY):
            for metric, size_key in (("recall", "n_recall"), ("precision", "n_precision")):
                blocks = [g[label] if label == ANY else g["per_label"][label] for g in groups]
                estimates = [b[metric] for b in blocks]
                sizes = [b[size_key] or 0 for b in blocks]
                test = difference_test(estimates, sizes, weighted)
                differences.append(
                    {
                        "label": label,
                        "metric": metric,
                        "groups": [g["group"] for g in groups],
                        "estimates": estimates,
                        "test": test["test"],
                        "p_value": _r(test["p_value"]),
                    }
                )
        adjusted = holm([d["p_value"] for d in differences])
        for d, p in zip(differences, adjusted, strict=True):
            d["p_holm"] = _r(p)
            d["flagged"] = d["p_value"] is not None and d["p_value"] < 0.05
    return {"group_by": group_by, **extra, "groups": groups, "group_differences": differences}


def _parse_rollout(value):
    try:
        return _dates.parse_date(str(value))
    except ValueError:
        raise DataValidationError(
            "--rollout: cannot read the date; write it day first (01/04/2020) or as ISO "
            "(2020-04-01)"
        ) from None


def validation_summary(
    path,
    *,
    rollout=None,
    date_col: str | None = None,
    by: str | None = None,
    design=None,
    model_dir=None,
    model_sha256: str | None = None,
    seed: int = 0,
) -> dict:
    """The local accuracy of a reviewed workbook, for the ITS report.

    The same payload as ``safetylens review score --json`` (see :func:`score_review`). The
    workbook's model is checked only when ``model_dir`` or ``model_sha256`` names the model
    that classified the series; the payload's ``model_sha256`` and ``source_sha256`` say which
    model and which classified file the sample came from.
    """
    return score_review(
        path,
        design=design,
        by=by,
        rollout=rollout,
        date_col=date_col,
        model_dir=model_dir,
        expected_model_sha256=model_sha256,
        check_model=model_dir is not None or model_sha256 is not None,
        seed=seed,
    )


def read_reviewed(path, *, design=None):
    """The reviewed reports of a workbook as labelled data, for ``train`` and ``evaluate``.

    Parameters
    ----------
    path : path-like
        A review workbook (.xlsx), or its Review sheet saved as CSV.
    design : path-like, optional
        For a CSV, the workbook ``review sample`` wrote (default ``<same name>.xlsx`` beside
        it). Without one every report weighs 1 and a warning says so.

    Returns
    -------
    pandas.DataFrame
        Only rows with ``reviewed`` = yes, in workbook order, with columns ``row`` (data row in
        the classified file), ``text``, ``labels`` (the reviewer's, ``;``-joined in taxonomy
        order, empty for none), ``weight`` (the design weight of a randomly drawn report, its
        stratum's size over the reports reviewed in it; 1.0 for reports drawn as uncertain or
        when the design is unknown), ``part`` (``random``, ``uncertain`` or ``unknown``), then
        the id column and the ``--strata`` / ``--keep`` columns recorded at sampling.

    Raises
    ------
    ReviewFormatError
        A deleted column (named), a label cell that is neither yes nor blank, no ``text``.
    """
    reviewed = load_review(path, design=design, require_design=False)
    table = reviewed.table
    if "text" not in table.columns:
        raise ReviewFormatError(
            f"{reviewed.source}: the column 'text' is missing from the Review sheet; put it back"
        )
    mask = table["reviewed"].to_numpy(bool)
    out = table.loc[mask, ["row", "text"]].copy()
    out["text"] = out["text"].fillna("").astype(str)
    truth = reviewed.truth.to_numpy()[mask]
    out["labels"] = [
        taxonomy.join_labels([lab for lab, t in zip(LABELS, r, strict=True) if t]) for r in truth
    ]
    weight = table["analysis_weight"] if "analysis_weight" in table else table["weight"]
    out["weight"] = weight.to_numpy(float)[mask]
    out.loc[out["weight"].isna(), "weight"] = 1.0
    out["part"] = table["part"].to_numpy()[mask]
    id_col = reviewed.metadata.get("id_col")
    for name in [id_col, *reviewed.user_columns]:
        if name and name in table.columns and name not in out.columns:
            out[name] = table[name].to_numpy()[mask]
    return out.reset_index(drop=True)


def format_report(payload: dict) -> str:
    """Render a :func:`score_review` payload as plain text for the terminal.

    Examples
    --------
    >>> blank = {"precision": None, "precision_ci": None, "recall": None, "recall_ci": None,
    ...          "f1": None, "f1_ci": None, "support": 0}
    >>> text = format_report({"n_sampled": 2, "n_reviewed": 0, "n_left": 2, "strategy": "random",
    ...     "per_label": {label: blank for label in LABELS}, "macro_f1": None,
    ...     "macro_f1_ci": None, "any_information_linked": blank,
    ...     "prevalence": {label: {"estimate": None, "ci": None} for label in LABELS}})
    >>> text.splitlines()[0]
    'reviewed 0 of 2 sampled reports (2 left); strategy random'
    """
    lines = [
        f"reviewed {payload['n_reviewed']} of {payload['n_sampled']} sampled reports "
        f"({payload['n_left']} left); strategy {payload['strategy']}"
    ]
    if payload["strategy"] == "uncertain":
        lines.extend(_agreement_lines(payload["agreement"]))
    else:
        lines.extend(_accuracy_lines(payload))
        if "agreement" in payload:
            lines.append("")
            lines.extend(_agreement_lines(payload["agreement"]))
    if payload.get("intervals"):
        lines.append("")
        lines.append(payload["intervals"])
    for note in payload.get("notes", []):
        if note not in (payload.get("intervals"),):
            lines.append(f"note: {note}")
    if "groups" in payload:
        lines.append("")
        lines.append(f"by {payload['group_by']}:")
        for group in payload["groups"]:
            lines.append("")
            lines.append(
                f"[{group['group']}] reviewed {group['n_reviewed']} of {group['n_sampled']}"
            )
            if payload["strategy"] == "uncertain":
                lines.extend(_agreement_lines(group["agreement"]))
            else:
                lines.extend(_accuracy_lines(group, prevalence=False))
        flagged = [d for d in payload.get("group_differences", []) if d["flagged"]]
        lines.append("")
        if payload.get("group_differences"):
            tests = sum(d["p_value"] is not None for d in payload["group_differences"])
            if flagged:
                lines.append("differences larger than chance (p < 0.05):")
                for d in flagged:
                    shown = ", ".join(
                        f"{g} {_f(e)}" for g, e in zip(d["groups"], d["estimates"], strict=True)
                    )
                    holm = " (also after Holm's correction)" if (d["p_holm"] or 1) < 0.05 else ""
                    lines.append(
                        f"  FLAG {d['label']} {d['metric']}: {shown}; {d['test']} "
                        f"p = {d['p_value']:.4f}{holm}"
                    )
                lines.append(
                    f"  ({tests} tests were made, so about {tests * 0.05:.1f} would be flagged "
                    "by chance alone even when nothing differs)"
                )
            else:
                made = sum(d["p_value"] is not None for d in payload["group_differences"])
                lines.append(
                    f"no difference in recall or precision larger than chance "
                    f"({made} tests, none with p < 0.05)"
                    if made
                    else "too few reviewed reports in the groups to test for differences"
                )
    return "\n".join(lines)


def _f(value) -> str:
    return "  n/a" if value is None else f"{value:.3f}"


def _cis(pair) -> str:
    return "" if pair is None else f"[{pair[0]:.2f}-{pair[1]:.2f}]"


def _accuracy_lines(block: dict, prevalence: bool = True) -> list[str]:
    head = (
        f"{'label':<25} {'precision':>9} {'95% CI':<11} {'recall':>6} {'95% CI':<11} "
        f"{'F1':>5} {'95% CI':<11} {'support':>7}"
    )
    if prevalence:
        head += f" {'prevalence':>10} {'95% CI':<11}"
    lines = [head]
    rows = [(label, block["per_label"][label]) for label in LABELS]
    rows.append(("any information-linked", block[ANY]))
    for name, m in rows:
        line = (
            f"{name:<25} {_f(m['precision']):>9} {_cis(m['precision_ci']):<11} "
            f"{_f(m['recall']):>6} {_cis(m['recall_ci']):<11} {_f(m['f1']):>5} "
            f"{_cis(m['f1_ci']):<11} {m['support']:>7}"
        )
        if prevalence and name in block["prevalence"]:
            p = block["prevalence"][name]
            line += f" {_f(p['estimate']):>10} {_cis(p['ci']):<11}"
        lines.append(line.rstrip())
    lines.append(f"macro F1 {_f(block['macro_f1'])} {_cis(block['macro_f1_ci'])}".rstrip())
    return lines


def _agreement_lines(block: dict) -> list[str]:
    lines = [
        f"agreement on the {block['n_reviewed']} reviewed reports drawn near a threshold:",
        f"{'label':<25} {'agreement':>9} {'95% CI':<11} {'reviewer yes':>12} {'model yes':>9}",
    ]
    for label in LABELS:
        a = block["per_label"][label]
        lines.append(
            f"{label:<25} {_f(a['agreement']):>9} {_cis(a['agreement_ci']):<11} "
            f"{a['reviewer_yes']:>12} {a['model_yes']:>9}"
        )
    lines.append(block["note"])
    return lines
