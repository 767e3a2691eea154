"""Controlled interrupted time series: a group against one or more control groups.

The series are stacked (one block of rows per group) in one model with group interactions,
as in Linden (2015, Stata ``itsa``):

* ``intercept``, ``time``: the control's baseline level and trend;
* ``treated``, ``treated_time``: how the group's baseline level and trend differ;
* ``control_level_change``, ``control_slope_change``: the control's own changes at the rollout
  (for example a change in reporting culture seen everywhere);
* ``level_change``, ``slope_change``: the *differences* between the group's changes and the
  control's, the effects credited to the rollout.

The counterfactual for the group keeps the control's changes and drops the differences.
Seasonal terms and covariates are shared by all groups.
"""

from __future__ import annotations

import pandas as pd

from safetylens.its.design import CHANGE_TERMS

CONTROLLED_TERMS = (
    "intercept",
    "time",
    "treated",
    "treated_time",
    "control_level_change",
    "control_slope_change",
    "control_level_change_2",
    "control_slope_change_2",
    "level_change",
    "slope_change",
    "level_change_2",
    "slope_change_2",
)
"""Term order of a controlled design (missing terms are left out)."""


def controlled_design(design: pd.DataFrame, *, treated: bool) -> pd.DataFrame:
    """Turn one group's design into its block of the stacked controlled design.

    Parameters
    ----------
    design : pandas.DataFrame
        The group's own design (:func:`~safetylens.its.design.design_matrix`).
    treated : bool
        Whether this is the group under study (``True``) or a control (``False``).

    Examples
    --------
    >>> import pandas as pd
    >>> from safetylens.its.design import design_matrix
    >>> d = design_matrix(pd.period_range("2021-01", periods=3, freq="M"), 1, period="month")
    >>> controlled_design(d, treated=True).loc["2021-03"].tolist()
    [1.0, 2.0, 1.0, 2.0, 1.0, 1.0, 1.0, 1.0]
    >>> controlled_design(d, treated=False).loc["2021-03"].tolist()
    [1.0, 2.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    """
    flag = 1.0 if treated else 0.0
    out = pd.DataFrame(index=design.index)
    out["intercept"] = design["intercept"]
    if "time" in design.columns:
        out["time"] = design["time"]
    out["treated"] = flag
    if "time" in design.columns:
        out["treated_time"] = design["time"] * flag
    for term in CHANGE_TERMS:
        if term in design.columns:
            out[f"control_{term}"] = design[term]
    for term in CHANGE_TERMS:
        if term in design.columns:
            out[term] = design[term] * flag
    shared = [c for c in design.columns if c not in out.columns]
    return pd.concat([out, design[shared]], axis=1)


def control_view(design: pd.DataFrame) -> pd.DataFrame:
    """The treated block with the group terms set to 0: the fitted line of the control."""
    out = design.copy()
    for term in ("treated", "treated_time", *CHANGE_TERMS):
        if term in out.columns:
            out[term] = 0.0
    return out
