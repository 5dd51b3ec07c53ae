"""Notebook 9's pictures, checked on what they drew (nbval does not compare images)."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from segmentation.viz.quality import plot_few_label_curve, plot_imputation_study, plot_noise_study


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


IMPUTATION = pd.DataFrame(
    {
        "mechanism": ["MCAR"] * 4 + ["MNAR"] * 4,
        "share hidden": [0.1, 0.1, 0.2, 0.2] * 2,
        "imputer": ["mean", "KNN"] * 4,
        "moved": [0.05, 0.04, 0.1, 0.08, 0.07, 0.05, 0.2, 0.12],
        "ARI": [0.9, 0.92, 0.8, 0.85, 0.85, 0.9, 0.6, 0.7],
    }
)

NOISE = pd.DataFrame(
    {"noise sigma": [0.1, 0.5, 1.0], "ARI": [0.95, 0.7, 0.5], "ARI sd": [0.01, 0.03, 0.05]}
)

FEW = pd.DataFrame(
    {
        "labelled share": [0.05, 0.05, 0.2, 0.2],
        "method": ["label spreading", "labelled only"] * 2,
        "accuracy": [0.88, 0.86, 0.9, 0.91],
        "accuracy sd": [0.01, 0.02, 0.005, 0.01],
    }
)


def test_imputation_plot_has_a_panel_per_mechanism_and_a_line_per_imputer():
    fig = plot_imputation_study(IMPUTATION)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["MCAR", "MNAR"]
    mnar = {line.get_label(): line for line in axes[1].get_lines()}
    assert set(mnar) == {"mean", "KNN"}
    np.testing.assert_allclose(mnar["mean"].get_xdata(), [0.1, 0.2])
    np.testing.assert_allclose(mnar["mean"].get_ydata(), [0.07, 0.2])
    np.testing.assert_allclose(mnar["KNN"].get_ydata(), [0.05, 0.12])
    assert axes[0].get_ylabel() == "customers who changed segment"
    assert [t.get_text() for t in axes[1].get_legend().get_texts()] == ["mean", "KNN"]


def test_imputation_plot_of_another_measure_and_on_a_given_figure():
    fig = plt.figure()
    assert plot_imputation_study(IMPUTATION, measure="ARI", fig=fig) is fig
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), [0.9, 0.8])
    assert fig.axes[0].get_ylabel() == "ARI"


def test_imputation_plot_draws_a_band_of_one_sd_and_ticks_at_the_shares_studied():
    table = IMPUTATION.assign(
        **{"moved sd": [0.01, 0.0, 0.02, 0.01, 0.01, 0.02, 0.1, 0.01], "ARI sd": 0.0}
    )
    fig = plot_imputation_study(table)
    mnar = fig.axes[1]
    assert len(mnar.collections) == 2  # one band per imputer
    # the mean's band at MNAR: 0.07 +- 0.01 at 10%, 0.2 +- 0.1 at 20% (worked by hand)
    band = mnar.collections[0].get_paths()[0].vertices
    assert band[:, 1].max() == pytest.approx(0.3) and band[:, 1].min() == pytest.approx(0.06)
    assert band[:, 0].min() == pytest.approx(0.1) and band[:, 0].max() == pytest.approx(0.2)
    np.testing.assert_allclose(mnar.get_xticks(), [0.1, 0.2])
    assert [t.get_text() for t in mnar.get_xticklabels()] == ["10%", "20%"]
    assert "1 sd" in mnar.get_legend().get_title().get_text()


def test_imputation_plot_without_sd_columns_draws_no_band():
    fig = plot_imputation_study(IMPUTATION)
    assert all(len(ax.collections) == 0 for ax in fig.axes)


def test_noise_plot_draws_the_means_and_a_band_of_one_sd():
    ax = plot_noise_study(NOISE)
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_xdata(), [0.1, 0.5, 1.0])
    np.testing.assert_allclose(line.get_ydata(), [0.95, 0.7, 0.5])
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].max() == pytest.approx(0.96) and band[:, 1].min() == pytest.approx(0.45)
    assert "noise sigma" in ax.get_xlabel() and "ARI" in ax.get_ylabel()


def test_few_label_plot_draws_a_line_and_a_band_per_method():
    _, given = plt.subplots()
    ax = plot_few_label_curve(FEW, ax=given)
    assert ax is given
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"label spreading", "labelled only"}
    np.testing.assert_allclose(lines["labelled only"].get_ydata(), [0.86, 0.91])
    assert len(ax.collections) == 2
    band = ax.collections[1].get_paths()[0].vertices
    assert band[:, 1].max() == pytest.approx(0.92) and band[:, 1].min() == pytest.approx(0.84)
    assert ax.get_legend() is not None and "unlabelled" in ax.get_ylabel()


def test_few_label_plot_zooms_in_an_inset_and_ticks_at_the_shares_studied():
    ax = plot_few_label_curve(FEW, zoom=(0.85, 0.92))
    np.testing.assert_allclose(ax.get_xticks(), [0.05, 0.2])
    (inset,) = ax.child_axes
    assert inset.get_ylim() == pytest.approx((0.85, 0.92))
    # the same curves, without a second legend entry
    assert [list(line.get_ydata()) for line in inset.get_lines()] == [[0.88, 0.9], [0.86, 0.91]]
    assert len(inset.collections) == 2 and inset.get_legend() is None
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "label spreading",
        "labelled only",
    ]


def test_few_label_plot_has_no_inset_unless_asked():
    assert plot_few_label_curve(FEW).child_axes == []


def test_the_plots_draw_the_studies_own_tables(customers):
    from segmentation.quality.semi import few_label_curve

    table = few_label_curve(customers, shares=(0.05, 0.1), seeds=(0,))
    ax = plot_few_label_curve(table)
    assert len(ax.get_lines()) == 4
