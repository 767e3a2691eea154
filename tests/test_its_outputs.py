"""Plots (checked for content on Agg), tables, the HTML report and the written files."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from safetylens.its import PeriodSeries, SegmentedRegression, tidy_results, write_outputs  # noqa: E402
from safetylens.its.report import html_report  # noqa: E402
from safetylens.its.tables import render_html, render_text, result_tables  # noqa: E402

COUNTS = [52, 48, 55, 50, 53, 57, 51, 54, 56, 58, 40, 45, 37, 36, 38, 35, 37, 34, 36, 33, 35, 32]


def fit(controlled=False, **settings):
    series = PeriodSeries.from_arrays(
        "2020-01", counts=COUNTS, denominators=[2000] * len(COUNTS), denominator_name="bed days"
    )
    control = PeriodSeries.from_arrays(
        "2020-01",
        counts=[c + 5 for c in COUNTS[:10]] + [60] * 12,
        denominators=[2000] * len(COUNTS),
        denominator_name="bed days",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SegmentedRegression(**settings).fit(
            series,
            rollout="2020-11-16",
            group="Ward 7",
            control={"Ward 9": control} if controlled else None,
        )


def vertical_lines_at(ax, x):
    return [
        line
        for line in ax.get_lines()
        if len(set(np.atleast_1d(line.get_xdata()))) == 1
        and mdates.date2num(np.atleast_1d(line.get_xdata())[0]) == pytest.approx(x)
    ]


def test_plot_draws_points_lines_band_rollout_and_phase_in():
    result = fit(phase_in=1)
    ax = Figure().subplots()
    assert result.plot(ax=ax) is ax
    assert ax.get_xlabel() == "Month"
    assert ax.get_ylabel() == "incidents per 1,000 bed days"
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == [
        "fitted before rollout",
        "fitted after rollout",
        "counterfactual (no rollout), 6 months",
        "rollout 2020-11-16",
    ]
    (rollout_line,) = vertical_lines_at(ax, mdates.date2num(pd.Timestamp("2020-11-16")))
    assert rollout_line.get_linestyle() == ":"
    fitted_pre, fitted_post = ax.get_lines()[:2]
    assert len(fitted_pre.get_xdata()) == 10 and len(fitted_post.get_xdata()) == 11
    (points,) = [c for c in ax.collections if c.get_label() == "observed"]
    np.testing.assert_allclose(points.get_offsets()[:, 1], np.array(COUNTS) / 2000 * 1000)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "phase-in (not fitted)" in legend and "counterfactual 95% interval" in legend
    # 10 pre periods: the band is drawn for max(6, 10 // 2) = 6 periods from the rollout
    counterfactual = ax.get_lines()[2]
    assert len(counterfactual.get_xdata()) == 6
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.bbox.x1  # outside the data


def test_horizon_limits_the_counterfactual_band():
    result = fit()
    ax = result.plot(ax=Figure().subplots())
    assert len(ax.get_lines()[2].get_xdata()) == 6
    from safetylens.its.plot import plot_result

    ax = plot_result(result, Figure().subplots(), horizon=3, outcome_label="falls")
    assert len(ax.get_lines()[2].get_xdata()) == 3
    assert ax.get_ylabel() == "falls per 1,000 bed days"


def test_plot_makes_its_own_figure_and_shows_the_control():
    ax = fit(controlled=True).plot()
    assert isinstance(ax.figure, Figure)
    assert [line.get_label() for line in ax.get_lines()][-1] == "control fitted"
    assert "vs control Ward 9" in ax.get_title()


def test_one_renderer_for_text_and_html():
    result = fit()
    tables = result_tables(result)
    text, page = render_text(tables), render_html(tables)
    rr = result.rate_ratios.loc["level_change", "estimate"]
    assert f"{rr:.4f}" in text and f"<td>{rr:.4f}</td>" in page
    assert [t.title for t in tables] == [
        "Estimates (model scale: log rate)",
        "Rate ratios",
        "Trend after the rollout (per period, model scale)",
        "Effects (incidents per 1,000 bed days)",
        "Cumulative effect, 2020-11 to 2021-10 (12 months, incidents)",
        "Diagnostics",
        "Notes",
    ]
    assert result.summary_text().splitlines()[0].startswith("Ward 7: incidents (quasipoisson")


def test_repr_and_print_summary(capsys):
    result = fit(model="poisson")
    assert repr(result).startswith(
        "<ITSResult poisson month group=Ward 7, rollout 2020-11-16: "
        "10 pre, 12 post; level_change RR "
    )
    result.print_summary()
    assert "Rate ratios" in capsys.readouterr().out


def test_result_is_read_only():
    result = fit()
    with pytest.raises(AttributeError):
        result.params = None
    params = result.params
    params.iloc[0] = 99.0
    assert result.params.iloc[0] != 99.0


def test_counterfactual_band_and_effects_agree():
    result = fit(at=(0, 11))
    band = result.counterfactual()
    assert list(band.columns) == ["counterfactual", "ci_low", "ci_high"]
    assert (band["ci_low"] < band["counterfactual"]).all()
    effects = result.effects.set_index("at")
    assert effects.loc[11, "counterfactual"] == pytest.approx(band["counterfactual"].iloc[-1])
    assert effects.loc[11, "fitted"] == pytest.approx(result.fitted_rate().iloc[-1])
    rr = result.rate_ratios.loc["level_change"]
    assert 1 + effects.loc[0, "relative_effect"] == pytest.approx(rr["estimate"])
    assert 1 + effects.loc[0, "relative_ci_low"] == pytest.approx(rr["ci_low"])


def test_report_and_files(tmp_path):
    results = [fit(), fit(controlled=True)]
    page = html_report(results, source="<export>.csv")
    assert page.startswith("<!DOCTYPE html>") and "&lt;export&gt;.csv" in page
    assert page.count("data:image/png;base64,") == 2
    assert "stacked model with group interactions" in page
    import html as html_module

    for result in results:
        # one source for the method text, each caveat printed once
        assert page.count(html_module.escape(result.methods)) == 1
        for note in result.notes:
            assert page.count(html_module.escape(note)) == 1
    tidy = tidy_results(results)
    assert list(tidy.columns) == [
        "analysis",
        "group",
        "control",
        "model",
        "period",
        "rollout",
        "term",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "p_value",
        "rate_ratio",
        "rr_ci_low",
        "rr_ci_high",
        "odds_ratio",
        "or_ci_low",
        "or_ci_high",
    ]
    assert tidy.groupby("analysis").size().tolist() == [4, 8]
    written = write_outputs(results, tmp_path / "new" / "folder")
    assert [p.name for p in written] == [
        "its_results.csv",
        "its_results.json",
        "its_01_Ward_7.png",
        "its_02_Ward_7_vs_control.png",
        "report.html",
    ]
    assert not list((tmp_path / "new" / "folder").glob("*.part"))


def _classified_frame(n=40, model_sha=None):
    frame = pd.DataFrame(
        {
            "labels": ["it_system"] * (n // 2) + [""] * (n - n // 2),
            "information_linked": ["true"] * (n // 2) + ["false"] * (n - n // 2),
            "needs_review": ["true"] * (n // 4) + ["false"] * (n - n // 4),
        }
    )
    if model_sha:
        frame["model_name"] = "local-v2"
        frame["model_sha256"] = model_sha
    return frame


def test_board_report_headline_classification_and_caveats():
    from safetylens.its.report import classification_from_frame, headline

    result = fit()
    line = headline(result, "falls with harm")
    rr = result.rate_ratios.loc["level_change"]
    low, high = sorted((1 - rr["ci_low"], 1 - rr["ci_high"]))
    c = result.cumulative
    assert line == (
        f"Falls with harm fell by {100 * (1 - rr['estimate']):.0f}% (95% CI {100 * low:.0f}% to "
        f"{100 * high:.0f}%) at go-live, about {abs(c['difference']):,.0f} fewer incidents "
        f"({abs(c['difference_ci'][1]):,.0f} to {abs(c['difference_ci'][0]):,.0f}) over the "
        "following 12 months."
    )
    classification = classification_from_frame(
        _classified_frame(), validation={"reports checked": 120, "precision": 0.91}
    )
    assert classification["share_needing_review"] == 0.25
    assert classification["test_figures"]["reports_test.csv: reports"] == 400
    assert classification["test_figures"]["reports_test_registers.csv: reports"] == 360
    page = html_report([result], classification=classification, title="Ward 7 EPR")
    assert "<h1>Ward 7 EPR</h1>" in page
    assert "share of reports flagged for human review" in page and "25.0%" in page
    assert "Local validation" in page and "0.9100" in page
    assert "Misclassification that changes at the go-live biases the counts" in page
    assert "not rates of harm" in page
    assert "specified before the data were seen" not in page
    assert "specified before the data were seen" in html_report([result], prespecified=True)
    assert "change in level at the rollout" in page  # human term names
    assert page.index("Appendix") < page.index("Diagnostics")  # diagnostics in the appendix
    assert "--model" not in page.split("Appendix")[0]  # no CLI advice for the board


def test_report_names_a_local_model_and_lists_a_failed_group():
    from safetylens.its.analysis import FailedAnalysis
    from safetylens.its.report import classification_from_frame

    classification = classification_from_frame(_classified_frame(model_sha="ab" * 32))
    assert classification["model_name"] == "local-v2" and "test_figures" not in classification
    page = html_report(
        [fit(), FailedAnalysis("Ward 9", "every count is 0; there is nothing to model")],
        classification=classification,
    )
    assert "ab" * 32 in page and "local-v2" in page
    assert "Ward 9: could not be analysed: every count is 0" in page
    assert page.count("data:image/png;base64,") == 1
    assert classification_from_frame(pd.DataFrame({"month": ["2021-01"], "n": [3]})) is None
