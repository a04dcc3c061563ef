"""Item analysis and knowledge gain against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from kaptrain.analytics import (
    AttemptRecord,
    ItemSpec,
    QuizStats,
    analyse_quiz,
    knowledge_gain,
    normalised_gain,
)
from kaptrain.analytics.items import item_flags, kr20, pearson

# Five attempts at three items (1 = correct):
#          i1 i2 i3  total
#   u1      1  1  1    3
#   u2      1  1  0    2
#   u3      1  0  0    1
#   u4      0  0  0    0
#   u5      1  0  1    2
SCORES = {
    1: (1, 1, 1),
    2: (1, 1, 0),
    3: (1, 0, 0),
    4: (0, 0, 0),
    5: (1, 0, 1),
}
# i1 is single choice (b correct), i2 multiple (a+c correct), i3 order (x,y,z).
ANSWERS = {
    1: (("b",), ("a", "c"), ("x", "y", "z")),
    2: (("b",), ("a", "c"), ("y", "x", "z")),
    3: (("b",), ("a",), ("y", "x", "z")),
    4: (("a",), ("b", "c"), ("z", "y", "x")),
    5: (("b",), (), ("x", "y", "z")),
}
SPECS = (
    ItemSpec("i1", ("a", "b", "c")),
    ItemSpec("i2", ("a", "b", "c")),
    ItemSpec("i3", ("x", "y", "z"), ordered=True),
)


def _records() -> list[AttemptRecord]:
    return [
        AttemptRecord(
            attempt_id=100 + uid,
            user_id=uid,
            answers={
                item: (ANSWERS[uid][n], bool(SCORES[uid][n]))
                for n, item in enumerate(("i1", "i2", "i3"))
            },
        )
        for uid in SCORES
    ]


@pytest.fixture
def stats() -> QuizStats:
    return analyse_quiz(_records(), SPECS)


def test_facility_is_share_correct(stats: QuizStats) -> None:
    # i1: 4 of 5 correct; i2: 2 of 5; i3: 2 of 5.
    assert [i.facility for i in stats.items] == [0.8, 0.4, 0.4]
    assert [i.responses for i in stats.items] == [5, 5, 5]


def test_discrimination_is_point_biserial_against_rest_score(stats: QuizStats) -> None:
    # i1: x = 1,1,1,0,1; rest = total - x = 2,1,0,0,1; means 0.8 and 0.8.
    #   sum dx*dy = .24+.04-.16+.64+.04 = 0.8; sum dx^2 = 0.8; sum dy^2 = 2.8
    #   r = 0.8 / sqrt(0.8 * 2.8) = sqrt(2/7) = 0.5345
    # i2: x = 1,1,0,0,0; rest = 2,1,1,0,2; means 0.4 and 1.2.
    #   sum dx*dy = .48-.12+.08+.48-.32 = 0.6; sum dx^2 = 1.2; sum dy^2 = 2.8
    #   r = 0.6 / sqrt(1.2 * 2.8) = sqrt(3/28) = 0.3273
    # i3: x = 1,0,0,0,1; rest = 2,2,1,0,1: same sums as i2, r = sqrt(3/28).
    expected = [math.sqrt(2 / 7), math.sqrt(3 / 28), math.sqrt(3 / 28)]
    for item, value in zip(stats.items, expected, strict=True):
        assert item.discrimination == pytest.approx(value)
    assert stats.items[0].discrimination == pytest.approx(0.5345, abs=1e-4)


def test_kr20(stats: QuizStats) -> None:
    # totals 3,2,1,0,2: mean 1.6, population variance (1.96+.16+.36+2.56+.16)/5
    #   = 1.04; sum p*q = .8*.2 + .4*.6 + .4*.6 = 0.64
    # KR-20 = 3/2 * (1 - 0.64/1.04) = 1.5 * 0.4/1.04 = 15/26 = 0.5769
    assert stats.kr20 == pytest.approx(15 / 26)


def test_mean_score_and_counts(stats: QuizStats) -> None:
    # totals 3,2,1,0,2 of 3 items: (100+66.67+33.33+0+66.67)/5 = 53.33
    assert stats.mean_score == pytest.approx(160 / 3)
    assert (stats.attempts, stats.respondents) == (5, 5)


def test_option_frequencies_single_and_multiple(stats: QuizStats) -> None:
    # i1 answers b,b,b,a,b; i2 answers {a,c},{a,c},{a},{b,c},{} (each key once).
    assert stats.items[0].options == (("a", 1), ("b", 4), ("c", 0))
    assert stats.items[1].options == (("a", 3), ("b", 1), ("c", 3))
    assert stats.items[0].option_share(4) == 0.8


def test_option_frequencies_of_order_items_count_whole_orders(stats: QuizStats) -> None:
    assert stats.items[2].options == (
        ("x, y, z", 2),
        ("y, x, z", 2),
        ("z, y, x", 1),
    )


def test_fewer_than_twenty_respondents_is_unstable(stats: QuizStats) -> None:
    assert stats.unstable
    many = [
        AttemptRecord(n, n, {"a": (("a",), n % 2 == 0), "b": (("a",), n % 3 == 0)})
        for n in range(20)
    ]
    assert not analyse_quiz(many).unstable


def test_respondents_count_people_not_attempts() -> None:
    records = [
        AttemptRecord(1, 7, {"a": (("a",), False)}),
        AttemptRecord(2, 7, {"a": (("a",), True)}),
    ]
    stats = analyse_quiz(records)
    assert (stats.attempts, stats.respondents) == (2, 1)


def test_negative_discrimination_is_flagged() -> None:
    # a = 1,0,0 and b = 0,1,1: with two items the rest score of a is b, r = -1.
    records = [
        AttemptRecord(1, 1, {"a": (("x",), True), "b": (("x",), False)}),
        AttemptRecord(2, 2, {"a": (("x",), False), "b": (("x",), True)}),
        AttemptRecord(3, 3, {"a": (("x",), False), "b": (("x",), True)}),
    ]
    stats = analyse_quiz(records)
    assert stats.items[0].discrimination == pytest.approx(-1.0)
    assert "negative discrimination" in stats.items[0].flags


@pytest.mark.parametrize(
    ("facility", "discrimination", "flagged"),
    [
        (0.96, 0.3, "very easy (facility above 0.95)"),
        (0.95, 0.3, None),
        (0.19, 0.3, "very hard (facility below 0.2)"),
        (0.2, 0.3, None),
        (0.5, -0.01, "negative discrimination"),
        (0.5, 0.0, None),
        (0.5, None, None),
    ],
)
def test_flag_thresholds(
    facility: float, discrimination: float | None, flagged: str | None
) -> None:
    flags = item_flags(facility, discrimination)
    assert flags == ((flagged,) if flagged else ())


def test_constant_item_has_no_discrimination() -> None:
    assert pearson([1, 1, 1], [0, 1, 2]) is None


def test_kr20_undefined_without_variance_or_with_one_item() -> None:
    assert kr20([[1, 1], [1, 1]]) is None
    assert kr20([[1], [0]]) is None
    assert kr20([]) is None


def test_missing_response_scores_zero_but_is_not_a_response() -> None:
    records = [
        AttemptRecord(1, 1, {"a": (("x",), True), "b": (("x",), True)}),
        AttemptRecord(2, 2, {"a": (("x",), True)}),
    ]
    stats = analyse_quiz(records)
    assert stats.items[1].responses == 1
    assert stats.items[1].facility == 1.0
    assert stats.mean_score == pytest.approx(75.0)


def test_empty_analysis() -> None:
    stats = analyse_quiz([], (ItemSpec("a", ("x", "y")),))
    assert stats.items[0].facility is None
    assert stats.kr20 is None and stats.mean_score is None
    assert stats.unstable


# Knowledge gain. pre {1: 40, 2: 50, 3: 100, 4: 20}, post {1: 70, 2: 50, 3: 90,
# 5: 80}: users 4 and 5 lack a pair. Gains: u1 30, u2 0, u3 -10 -> mean 20/3.
# Normalised: u1 30/60 = 0.5, u2 0/50 = 0, u3 pre 100 -> excluded; mean 0.25.
PRE = {1: 40.0, 2: 50.0, 3: 100.0, 4: 20.0}
POST = {1: 70.0, 2: 50.0, 3: 90.0, 5: 80.0}


def test_gain_pairs_only_trainees_with_both() -> None:
    summary = knowledge_gain(PRE, POST)
    assert [p.user_id for p in summary.pairs] == [1, 2, 3]
    assert summary.count == 3


def test_mean_gain_and_means() -> None:
    summary = knowledge_gain(PRE, POST)
    assert summary.mean_gain == pytest.approx(20 / 3)
    assert summary.mean_pre == pytest.approx(190 / 3)
    assert summary.mean_post == pytest.approx(70.0)


def test_mean_normalised_gain_excludes_perfect_pretests() -> None:
    summary = knowledge_gain(PRE, POST)
    assert summary.mean_normalised_gain == pytest.approx(0.25)
    assert summary.normalised_excluded == 1


@pytest.mark.parametrize(
    ("pre", "post", "expected"),
    [(40, 70, 0.5), (50, 50, 0.0), (80, 60, -1.0), (0, 100, 1.0), (100, 100, None)],
)
def test_normalised_gain(pre: float, post: float, expected: float | None) -> None:
    assert normalised_gain(pre, post) == expected


def test_gain_with_no_pairs() -> None:
    summary = knowledge_gain({1: 50.0}, {2: 60.0})
    assert summary.count == 0
    assert summary.mean_gain is None and summary.mean_normalised_gain is None


def test_gain_users_restrict_and_order() -> None:
    summary = knowledge_gain(PRE, POST, users=[2, 1, 4])
    assert [p.user_id for p in summary.pairs] == [2, 1]
