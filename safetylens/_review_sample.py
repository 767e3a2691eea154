"""``review sample``: from a file written by ``classify`` to a review workbook.

The classified file is read twice in chunks: once for the probabilities, labels and design
columns of every row (never the text), and once for the text of the sampled rows only, so
memory does not grow with the report text of a large export.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from safetylens import _classify, _modelcard, _readers, _redact, _writers, taxonomy
from safetylens.exceptions import DataValidationError, ReviewWarning
from safetylens.taxonomy import LABELS

CLASSIFY_COLUMNS = ("labels", "information_linked", *(f"p_{label}" for label in LABELS))
MODEL_SHA_COLUMN = "model_sha256"
"""A column of the classified file that, when present, holds the SHA-256 of the model used."""
_CHUNK = 20_000


@dataclass
class SampleResult:
    """What ``review sample`` did, for the command line's summary."""

    path: Path
    strategy: str
    blind: bool
    n_sampled: int
    n_random: int
    n_uncertain: int
    n_population: int
    n_no_text: int
    strata: dict

    def lines(self) -> list[str]:
        """Plain summary lines."""
        mode = "blind (label cells blank)" if self.blind else "prefilled with the model's labels"
        out = [
            f"sampled {self.n_sampled} of {self.n_population} reports with text "
            f"({self.strategy}; {mode}); {self.n_no_text} rows without text were not eligible"
        ]
        if self.strategy == "mixed":
            out.append(f"{self.n_random} drawn at random, {self.n_uncertain} nearest a threshold")
        if len(self.strata) > 1:
            out.append(
                "per stratum: "
                + ", ".join(f"{k} {n}/{size}" for k, (n, size) in self.strata.items())
            )
        return out


def sample_review(
    classified,
    output,
    *,
    n: int = 200,
    seed: int,
    strategy: str = "random",
    strata: list[str] | tuple = (),
    allocation: str = "proportional",
    id_col: str | None = None,
    text_col: str | None = None,
    blind: bool | None = None,
    redact: bool = False,
    keep: list[str] | tuple = (),
    model_dir=None,
) -> SampleResult:
    """Draw reports from a classified file and write a review workbook.

    Parameters
    ----------
    classified : path-like
        A file written by ``safetylens classify`` (.csv, .xlsx, .parquet or .jsonl).
    output : path-like
        The workbook to write (``.xlsx``); written atomically.
    n : int, default=200
        Reports to sample.
    seed : int
        Seed of the draw (recorded in the workbook).
    strategy : {"random", "uncertain", "mixed"}, default="random"
    strata : list of str, optional
        Columns to stratify the random part by (their combinations are the strata).
    allocation : {"proportional", "equal"}, default="proportional"
    id_col, text_col : str, optional
        Identifier column to show, and the text column (default: found as ``classify`` does).
    blind : bool, optional
        Start the label cells blank (default for ``random`` and ``mixed``) or with the model's
        labels (``False``, the default for ``uncertain``).
    redact : bool, default=False
        Redact identifiers in the text (and in recorded columns other than ``id_col``).
    keep : list of str, optional
        Further columns to record on the hidden sheet, for ``review score --by`` or
        ``--date-col``.
    model_dir : path-like, optional
        The model that classified the file (default: the shipped model): its card gives the
        thresholds for ``uncertain`` and, when the file holds no ``model_sha256`` column, the
        model's SHA-256.

    Returns
    -------
    SampleResult

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> rows = {"text": ["EPR down", "Pt fell"], "labels": ["it_system", ""],
    ...         "information_linked": ["true", "false"]}
    >>> rows.update({f"p_{label}": ["0.1", "0.2"] for label in LABELS})
    >>> rows["p_it_system"] = ["0.9", "0.1"]
    >>> pd.DataFrame(rows).to_csv(folder / "c.csv", index=False)
    >>> sample_review(folder / "c.csv", folder / "r.xlsx", n=2, seed=1).n_sampled
    2
    """
    import numpy as np
    import pandas as pd

    from safetylens._review_design import distance_to_threshold, draw
    from safetylens._review_workbook import USER_COLUMN, safe_cell, text_check, write_workbook

    classified, output = Path(classified), Path(output)
    if output.suffix.lower() != ".xlsx":
        raise DataValidationError(f"{output.name}: the review workbook must be an .xlsx file")
    _writers.check_not_same_file(classified, output)
    strategy = str(strategy)
    from safetylens._review_design import ALLOCATIONS, STRATEGIES

    for option, value, allowed in (
        ("--strategy", strategy, STRATEGIES),
        ("--allocation", allocation, ALLOCATIONS),
    ):
        if value not in allowed:
            raise DataValidationError(
                f"{option} must be one of {', '.join(allowed)}; got '{value}'"
            )
    if blind is None:
        blind = strategy != "uncertain"
    table = _readers.iter_table(classified, chunk_size=_CHUNK)
    columns = list(table.columns)
    missing = [c for c in CLASSIFY_COLUMNS if c not in columns]
    if missing:
        raise DataValidationError(
            f"{classified.name}: not a file written by `safetylens classify` (no column "
            f"'{missing[0]}'); classify the export first"
        )
    others = [c for c in columns if c not in (*CLASSIFY_COLUMNS, "needs_review", "evidence")]
    text_col = _classify.find_text_column(others, text_col, source=classified.name)
    recorded = []
    for option, names in (
        ("--id-col", [id_col] if id_col else []),
        ("--strata", strata),
        ("--keep", keep),
    ):
        for name in names:
            if name not in columns:
                raise DataValidationError(
                    f"{classified.name}: {option} names no column '{name}'; check the spelling "
                    "(names are matched exactly)"
                )
            if name not in recorded:
                recorded.append(name)
    sha_in_file = MODEL_SHA_COLUMN in columns
    wanted = ["labels", *CLASSIFY_COLUMNS[2:], *recorded] + ([MODEL_SHA_COLUMN] * sha_in_file)

    pieces = []
    for chunk in table:
        pieces.append(chunk[list(dict.fromkeys(wanted))])
    frame = pd.concat(pieces) if len(pieces) > 1 else pieces[0]
    frame.index = range(len(frame))
    n_rows = len(frame)
    probabilities = frame[list(CLASSIFY_COLUMNS[2:])].apply(pd.to_numeric, errors="coerce")
    has_text = probabilities.notna().all(axis=1).to_numpy()

    card = _modelcard.read_card(model_dir)
    model_sha, sha_source = card["model_sha256"], "model card"
    recorded_sha = _metadata_sha(classified)
    if recorded_sha:
        model_sha, sha_source = recorded_sha, "classified file"
    if sha_in_file:
        values = {v.strip() for v in frame[MODEL_SHA_COLUMN] if str(v).strip()}
        if len(values) == 1:
            model_sha, sha_source = values.pop(), "classified file"
        elif len(values) > 1:
            raise DataValidationError(
                f"{classified.name}: the {MODEL_SHA_COLUMN} column names {len(values)} models; "
                "sample from the output of one model"
            )
    thresholds = np.array([float(card["thresholds"][label]) for label in LABELS])
    if (
        strategy != "random"
        and sha_source == "classified file"
        and model_sha != card["model_sha256"]
    ):
        warnings.warn(
            "the file was classified by another model than --model; the thresholds used to find "
            "uncertain reports come from --model. Pass the model that classified it.",
            ReviewWarning,
            stacklevel=2,
        )
    if strata:
        keys = frame[list(strata)].astype(str).agg(" | ".join, axis=1)
    else:
        keys = pd.Series("all", index=frame.index)
    pool = pd.DataFrame(
        {
            "row": np.arange(1, n_rows + 1)[has_text],
            "stratum": keys.to_numpy()[has_text],
            "distance": distance_to_threshold(probabilities.to_numpy()[has_text], thresholds),
        }
    )
    design = draw(pool, n, seed=seed, strategy=strategy, allocation=allocation)
    if n > len(pool):
        warnings.warn(
            f"asked for {n} reports but only {len(pool)} have text; all of them are in the sample",
            ReviewWarning,
            stacklevel=2,
        )
    at = design["row"].to_numpy() - 1
    model_labels = [taxonomy.parse_labels(v) for v in frame["labels"].to_numpy()[at]]
    design["model_labels"] = [taxonomy.join_labels(v) for v in model_labels]
    for label in LABELS:
        design[f"p_{label}"] = probabilities[f"p_{label}"].to_numpy()[at]
    for name in recorded:
        values = frame[name].to_numpy()[at]
        if redact and name != id_col:
            values = [_redact.redact(str(v)) for v in values]
        design[USER_COLUMN + name] = values
    if redact:
        design["stratum"] = [_redact.redact(str(v)) for v in design["stratum"]]

    # Second pass: the text (and id) of the sampled rows only.
    position = {int(r) - 1: k for k, r in enumerate(design["row"])}
    texts: list = [""] * len(design)
    start = 0
    for chunk in _readers.iter_table(classified, chunk_size=_CHUNK):
        for offset, value in enumerate(chunk[text_col].to_numpy()):
            k = position.get(start + offset)
            if k is not None:
                texts[k] = _redact.redact(value) if redact else value
        start += len(chunk)
    review = pd.DataFrame({"row": design["row"], "text": texts})
    design["text_check"] = [text_check(safe_cell(t)) for t in texts]
    if id_col:
        review["id"] = frame[id_col].to_numpy()[at]
    if not blind:
        review["model_labels"] = model_labels

    counts = (
        design[design["part"] == "random"]
        .groupby("stratum")
        .agg(n=("row", "size"), size=("stratum_size", "first"))
    )
    strata_sizes = {k: (int(v["n"]), int(v["size"])) for k, v in counts.iterrows()}
    all_strata = sorted(set(pool["stratum"]))
    empty = [s for s in all_strata if s not in strata_sizes]
    if strategy != "uncertain" and empty:
        warnings.warn(
            f"{len(empty)} strata got no report in the sample (n is too small for "
            f"{len(all_strata)} strata); estimates will not cover them",
            ReviewWarning,
            stacklevel=2,
        )
    from importlib.metadata import PackageNotFoundError, version

    try:
        safetylens_version = version("safetylens")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        safetylens_version = "unknown"
    metadata = {
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "safetylens_version": safetylens_version,
        "strategy": strategy,
        "blind": bool(blind),
        "seed": int(seed),
        "n_requested": int(n),
        "n_sampled": int(len(design)),
        "n_rows": int(n_rows),
        "n_population": int(len(pool)),
        "n_no_text": int(n_rows - len(pool)),
        "strata": list(strata),
        "allocation": allocation if strata else None,
        "stratum_sizes": {str(k): int(v) for k, v in pool["stratum"].value_counts().items()},
        "id_col": id_col,
        "text_col": text_col,
        "recorded_columns": recorded,
        "redacted": bool(redact),
        "source_file": classified.name,
        "source_sha256": _modelcard.sha256_file(classified),
        "model_sha256": model_sha,
        "model_sha256_from": sha_source,
        "model_name": card.get("name"),
        "thresholds": {label: float(t) for label, t in zip(LABELS, thresholds, strict=True)},
        "labels": list(LABELS),
    }
    guide = _taxonomy_text()
    with _writers.atomic_path(output) as tmp:
        write_workbook(
            tmp, review=review, design=design, metadata=metadata, id_col=id_col, guide=guide
        )
    parts = design["part"].value_counts()
    return SampleResult(
        path=output,
        strategy=strategy,
        blind=bool(blind),
        n_sampled=len(design),
        n_random=int(parts.get("random", 0)),
        n_uncertain=int(parts.get("uncertain", 0)),
        n_population=len(pool),
        n_no_text=n_rows - len(pool),
        strata=strata_sizes if strata else {},
    )


def _taxonomy_text() -> str:
    from importlib.resources import files

    return files("safetylens").joinpath("data", "taxonomy.md").read_text(encoding="utf-8")


def _metadata_sha(path: Path) -> str | None:
    """The model SHA-256 kept in a Parquet file's metadata (key ``model_sha256``), if any."""
    if path.suffix.lower() not in (".parquet", ".pq"):
        return None
    try:
        import pyarrow.parquet as pq

        metadata = pq.read_schema(path).metadata or {}
    except Exception:  # an unreadable file is reported by the reader
        return None
    value = metadata.get(b"model_sha256") or metadata.get(b"safetylens_model_sha256")
    return value.decode("ascii", "replace").strip() if value else None
