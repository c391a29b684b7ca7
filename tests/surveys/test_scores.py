"""NPS, CSAT and CES from answer counts, checked against figures worked out by hand."""

import math

from hypothesis import given
from hypothesis import strategies as st

from surveys import results

# 12 answers: 6 promoters (9–10), 3 passives (7–8), 3 detractors (0–6).
NPS_COUNTS = {10: 4, 9: 2, 8: 2, 7: 1, 5: 1, 0: 2}


def test_nps_is_promoters_minus_detractors_with_its_margin_of_error():
    score = results.nps(NPS_COUNTS)

    promoters, detractors = 6 / 12, 3 / 12
    # Each answer counts +1, 0 or −1: variance = p + d − (p − d)², margin = 1.96·√(var / n).
    margin = 1.96 * math.sqrt((promoters + detractors - (promoters - detractors) ** 2) / 12) * 100
    assert score.n == 12
    assert score.value == 25.0
    assert score.promoters == 50.0
    assert score.passives == 25.0
    assert score.detractors == 25.0
    assert score.margin == round(margin, 1) == 46.9
    assert not score.too_few


def test_nps_of_no_answers_has_no_value():
    score = results.nps({})

    assert score.n == 0
    assert score.value is None
    assert score.margin is None
    assert score.too_few


def test_nps_of_fewer_than_five_answers_is_too_few_to_give_a_value():
    score = results.nps({10: 3, 0: 1})

    assert score.n == 4
    assert score.too_few
    assert (score.value, score.margin, score.promoters, score.detractors) == (None,) * 4


def test_five_answers_are_enough_for_a_score():
    score = results.nps({10: 5})

    assert not score.too_few
    assert score.value == 100.0
    assert score.margin == 0.0


def test_all_detractors_score_minus_100_with_no_margin():
    score = results.nps({0: 3, 6: 2, 3: 4})

    assert score.value == -100.0
    assert score.margin == 0.0
    assert (score.promoters, score.passives, score.detractors) == (0.0, 0.0, 100.0)


def test_csat_is_the_share_of_ratings_of_four_or_five():
    # 8 ratings, 5 of them 4 or 5.
    score = results.csat({5: 3, 4: 2, 3: 1, 2: 1, 1: 1})

    assert score.n == 8
    assert score.value == 62.5


def test_csat_of_fewer_than_five_ratings_has_no_value():
    score = results.csat({5: 4})

    assert score.too_few
    assert score.value is None


def test_ces_is_the_mean_effort_score():
    # (1·2 + 2·2 + 7·1) / 5 = 13 / 5
    score = results.ces({1: 2, 2: 2, 7: 1})

    assert score.n == 5
    assert score.value == 2.6


def test_ces_of_fewer_than_five_answers_has_no_value():
    score = results.ces({3: 4})

    assert score.too_few
    assert score.value is None


@given(
    st.dictionaries(st.integers(0, 10), st.integers(0, 10_000)).filter(
        lambda counts: sum(counts.values()) >= results.MIN_RESPONSES
    )
)
def test_nps_stays_within_minus_100_and_100_and_its_shares_add_up_to_100(counts):
    score = results.nps(counts)

    assert -100 <= score.value <= 100
    assert score.margin >= 0
    # Three shares, each rounded to 0.1.
    assert abs(score.promoters + score.passives + score.detractors - 100) <= 0.2
    # The score is the difference of the shares shown beside it, give or take their rounding.
    assert abs(score.value - (score.promoters - score.detractors)) <= 0.1 + 1e-9
