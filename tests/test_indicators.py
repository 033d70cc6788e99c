"""Inequality indicators against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model import indicators


def test_theil_of_a_two_county_region_by_hand():
    gdp, pop = np.array([1.0, 3.0]), np.array([1.0, 1.0])
    # s = (0.25, 0.75), p = (0.5, 0.5)
    expected = 0.25 * math.log(0.5) + 0.75 * math.log(1.5)
    assert indicators.theil(gdp, pop) == pytest.approx(expected)


def test_theil_is_zero_for_equal_per_capita_output():
    assert indicators.theil(np.array([2.0, 4.0, 6.0]), np.array([1.0, 2.0, 3.0])) == (
        pytest.approx(0.0, abs=1e-15))


def test_theil_decomposition_adds_up_and_matches_hand_values():
    gdp = np.array([1.0, 2.0, 3.0, 6.0])
    pop = np.array([1.0, 1.0, 1.0, 1.0])
    groups = np.array([0, 0, 1, 1])
    within, between = indicators.theil_decomposition(gdp, pop, groups)
    assert within + between == pytest.approx(indicators.theil(gdp, pop))
    # Between: group shares s = (0.25, 0.75), p = (0.5, 0.5).
    assert between == pytest.approx(0.25 * math.log(0.5) + 0.75 * math.log(1.5))


def test_gini_by_hand():
    # Equal weights, incomes 1..4: mean |xi - xj| over pairs / (2 mean) = 1.25 / 5.
    assert indicators.gini(np.array([1.0, 2, 3, 4]), np.ones(4)) == pytest.approx(0.25)
    assert indicators.gini(np.array([0.0, 0, 0, 1]), np.ones(4)) == pytest.approx(0.75)
    # Population weights count like duplicated counties.
    weighted = indicators.gini(np.array([1.0, 4.0]), np.array([1.0, 2.0]))
    duplicated = indicators.gini(np.array([1.0, 2.0, 2.0]), np.ones(3))
    assert weighted == pytest.approx(duplicated)


def test_cv_by_hand():
    # per capita 1 and 3 with equal weights: mean 2, sd 1.
    assert indicators.coefficient_of_variation(np.array([1.0, 3.0]), np.ones(2)) == (
        pytest.approx(0.5))


def test_indicators_work_row_wise_on_year_by_county_arrays():
    gdp = np.array([[1.0, 3.0], [2.0, 2.0]])
    pop = np.ones((2, 2))
    out = indicators.theil(gdp, pop)
    assert out.shape == (2,)
    assert out[1] == pytest.approx(0.0)
    assert out[0] == pytest.approx(indicators.theil(gdp[0], pop[0]))
