"""Metrics of beliefs and actions, checked against values worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation.metrics import (
    action_shares,
    belief_divergence,
    bin_shares,
    divergence_between,
    entropy_bits,
    first_sustained,
    jensen_shannon,
)


def test_entropy_of_fair_coin():
    # -(0.5 log2 0.5 + 0.5 log2 0.5) = 0.5 + 0.5 = 1 bit.
    assert entropy_bits(np.array([0.5, 0.5])) == pytest.approx(1.0)


def test_entropy_of_one_hot():
    value = entropy_bits(np.array([0.0, 1.0, 0.0]))

    # 0 log 0 counts as 0 and 1 log 1 = 0.
    assert np.isfinite(value)
    assert value == 0.0


def test_entropy_along_rows():
    values = entropy_bits(np.array([[0.25, 0.25, 0.25, 0.25], [1.0, 0.0, 0.0, 0.0]]))

    # Four equal states: log2 4 = 2 bits.
    np.testing.assert_allclose(values, [2.0, 0.0])


def test_jsd_of_identical_distributions():
    p = np.array([[0.3, 0.7], [0.3, 0.7], [0.3, 0.7]])

    assert jensen_shannon(p) == pytest.approx(0.0, abs=1e-12)


def test_jsd_of_opposite_certainties():
    # Mixture [0.5, 0.5] has 1 bit; each one-hot has 0 bits; 1 / log2 2 = 1.
    assert jensen_shannon(np.array([[1.0, 0.0], [0.0, 1.0]])) == pytest.approx(1.0)


def test_jsd_one_hot_against_full_support():
    value = jensen_shannon(np.array([[1.0, 0.0], [0.5, 0.5]]))

    # Mixture [0.75, 0.25]: H = -(0.75 log2 0.75 + 0.25 log2 0.25)
    #   = 0.75 * 0.415037 + 0.25 * 2 = 0.811278 bits.
    # Mean of the entropies: (0 + 1) / 2 = 0.5 bits.
    # JSD = 0.811278 - 0.5 = 0.311278 bits, divided by log2 2 = 1.
    assert np.isfinite(value)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(0.311278, abs=1e-6)


def test_jsd_normalised_for_three_states():
    value = jensen_shannon(np.eye(3))

    # Mixture uniform over 3 states: log2 3 bits; each one-hot 0 bits;
    # log2 3 / log2 3 = 1.
    assert value == pytest.approx(1.0)


def test_jsd_three_states_partial():
    value = jensen_shannon(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))

    # Mixture [0.5, 0.5, 0]: 1 bit; each one-hot 0 bits; 1 / log2 3 = 0.630930.
    assert value == pytest.approx(1.0 / math.log2(3))


def test_jsd_with_weights():
    value = jensen_shannon(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([3.0, 1.0]))

    # Weights 0.75 and 0.25: mixture [0.75, 0.25], H = 0.811278 bits; one-hots 0.
    assert value == pytest.approx(0.811278, abs=1e-6)


@pytest.mark.parametrize(
    "distributions", [np.array([[0.2, 0.8]]), np.array([[1.0], [1.0], [1.0]])]
)
def test_jsd_of_one_row_or_state(distributions):
    assert jensen_shannon(distributions) == 0.0


def test_belief_divergence_averages_factors():
    qs = [
        np.array([[1.0, 0.0], [0.0, 1.0]]),  # JSD 1
        np.array([[0.5, 0.5], [0.5, 0.5]]),  # JSD 0
        np.array([[0.2, 0.8], [0.9, 0.1]]),  # not listed, so ignored
    ]

    # (1 + 0) / 2 = 0.5.
    assert belief_divergence(qs, [0, 1]) == pytest.approx(0.5)
    assert belief_divergence(qs, []) == 0.0


def test_divergence_between_group_means():
    q = np.array([[1.0, 0.0], [0.6, 0.4], [0.0, 1.0], [0.4, 0.6]])
    groups = [np.array([0, 1]), np.array([2, 3])]

    # Group means [0.8, 0.2] and [0.2, 0.8]; mixture [0.5, 0.5] has 1 bit;
    # H(0.8, 0.2) = 0.8 * 0.321928 + 0.2 * 2.321928 = 0.721928 bits;
    # JSD = 1 - 0.721928 = 0.278072.
    assert divergence_between([q], [0], groups) == pytest.approx(0.278072, abs=1e-6)
    assert divergence_between([q], [0], groups[:1]) == 0.0


def test_action_shares_counts():
    shares = action_shares(np.array([0, 1, 1, 1]), 3)

    # One of four takes action 0, three take action 1, none action 2.
    np.testing.assert_allclose(shares, [0.25, 0.75, 0.0])


def test_action_shares_of_nobody():
    np.testing.assert_array_equal(action_shares(np.array([], dtype=int), 2), [0, 0])


@pytest.mark.parametrize(
    ("flags", "sustain", "expected"),
    [
        ([False, True, True, False, True, True, True], 3, 4),
        ([True, True, True], 3, 0),
        ([True, True], 3, None),
        ([], 1, None),
        ([False, True], 1, 1),
        ([True, False, True, False, True], 2, None),
        ([False, True, True, True, True], 2, 1),
    ],
)
def test_first_sustained_cases(flags, sustain, expected):
    assert first_sustained(flags, sustain) == expected


def test_bin_shares_edges():
    edges = (1 / 3, 2 / 3)
    shares = np.array([0.0, 0.2, 1 / 3, 0.5, 2 / 3, 0.9, 1.0])

    # Bins are closed on the left: 1/3 opens bin 1 and 2/3 opens bin 2.
    np.testing.assert_array_equal(bin_shares(shares, edges), [0, 0, 1, 1, 2, 2, 2])


def test_bin_shares_two_bins():
    np.testing.assert_array_equal(
        bin_shares(np.array([0.0, 0.49, 0.5, 1.0]), (0.5,)), [0, 0, 1, 1]
    )
