"""Classical item analysis of one quiz version.

Definitions (each one is what the page says it is):

* An item scores 1 when its response is correct, else 0. An item an attempt has
  no response for scores 0 and does not count as a response to that item.
* Facility: share of responses to the item that are correct.
* Discrimination: the point-biserial correlation (Pearson's r with a 0/1
  variable) between the item score and the rest score, that is the attempt's
  total minus this item, so the item is not correlated with itself. Population
  standard deviations; None when either side does not vary.
* KR-20: ``k/(k-1) * (1 - sum(p*q) / var(total))`` with ``p`` the facility over
  all attempts, ``q = 1 - p`` and the population variance of total scores.
  None with fewer than two items or when every total is the same.
* Option frequencies: for single, multiple and true/false items, how many
  responses chose each option key (a multiple-choice response counts once for
  every key it chose); for ``order`` items, how many responses gave each order.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

MIN_STABLE_RESPONDENTS = 20
FACILITY_HIGH = 0.95
FACILITY_LOW = 0.2


@dataclass(frozen=True)
class ItemSpec:
    """What the content says about an item: its option keys and whether order
    answers are sequences (``order`` questions)."""

    id: str
    option_keys: tuple[str, ...] = ()
    ordered: bool = False


@dataclass(frozen=True)
class AttemptRecord:
    """One submitted attempt: ``answers`` maps item id to (chosen keys, correct)."""

    attempt_id: int
    user_id: int
    answers: Mapping[str, tuple[tuple[str, ...], bool]]


@dataclass(frozen=True)
class ItemStats:
    id: str
    responses: int
    correct: int
    facility: float | None
    discrimination: float | None
    options: tuple[tuple[str, int], ...]
    flags: tuple[str, ...]

    def option_share(self, count: int) -> float | None:
        """The share of this item's responses that ``count`` represents."""
        return count / self.responses if self.responses else None


@dataclass(frozen=True)
class QuizStats:
    attempts: int
    respondents: int
    items: tuple[ItemStats, ...]
    kr20: float | None
    mean_score: float | None  # mean percent correct over attempts
    unstable: bool = field(default=False)

    @property
    def flagged(self) -> tuple[ItemStats, ...]:
        return tuple(item for item in self.items if item.flags)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _pvariance(values: Sequence[float]) -> float:
    mean = _mean(values)
    return sum((v - mean) ** 2 for v in values) / len(values)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r with population moments; None if either side is constant."""
    if len(xs) != len(ys) or len(xs) < 2:
        return None
    mx, my = _mean(xs), _mean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def item_flags(facility: float | None, discrimination: float | None) -> tuple[str, ...]:
    """Why an item looks broken, as short phrases (empty when it looks fine)."""
    flags = []
    if facility is not None and facility > FACILITY_HIGH:
        flags.append("very easy (facility above 0.95)")
    if facility is not None and facility < FACILITY_LOW:
        flags.append("very hard (facility below 0.2)")
    if discrimination is not None and discrimination < 0:
        flags.append("negative discrimination")
    return tuple(flags)


def _option_counts(
    spec: ItemSpec, answers: Iterable[tuple[str, ...]]
) -> tuple[tuple[str, int], ...]:
    counts: Counter[str] = Counter()
    if spec.ordered:
        for answer in answers:
            counts[", ".join(answer)] += 1
        return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    for answer in answers:
        counts.update(set(answer))
    keys = list(spec.option_keys) + sorted(set(counts) - set(spec.option_keys))
    return tuple((key, counts.get(key, 0)) for key in keys)


def analyse_quiz(
    attempts: Sequence[AttemptRecord], specs: Sequence[ItemSpec] = ()
) -> QuizStats:
    """Facility, discrimination and option counts per item, and KR-20.

    Items are those in ``specs`` (content order) followed by any other item
    that appears in the responses.
    """
    order = [spec.id for spec in specs]
    seen = set(order)
    for attempt in attempts:
        for item_id in attempt.answers:
            if item_id not in seen:
                seen.add(item_id)
                order.append(item_id)
    spec_by_id = {spec.id: spec for spec in specs}
    scores = [
        [1.0 if attempt.answers.get(i, ((), False))[1] else 0.0 for i in order]
        for attempt in attempts
    ]
    totals = [sum(row) for row in scores]
    items = []
    for col, item_id in enumerate(order):
        spec = spec_by_id.get(item_id, ItemSpec(item_id))
        answered = [a.answers[item_id] for a in attempts if item_id in a.answers]
        correct = sum(1 for _, ok in answered if ok)
        facility = correct / len(answered) if answered else None
        xs = [row[col] for row in scores]
        rest = [total - x for total, x in zip(totals, xs, strict=True)]
        discrimination = pearson(xs, rest)
        items.append(
            ItemStats(
                id=item_id,
                responses=len(answered),
                correct=correct,
                facility=facility,
                discrimination=discrimination,
                options=_option_counts(spec, (answer for answer, _ in answered)),
                flags=item_flags(facility, discrimination),
            )
        )
    respondents = len({attempt.user_id for attempt in attempts})
    return QuizStats(
        attempts=len(attempts),
        respondents=respondents,
        items=tuple(items),
        kr20=kr20(scores),
        mean_score=(
            _mean([100 * t / len(order) for t in totals])
            if attempts and order
            else None
        ),
        unstable=respondents < MIN_STABLE_RESPONDENTS,
    )


def kr20(scores: Sequence[Sequence[float]]) -> float | None:
    """Kuder-Richardson 20 over a matrix of 0/1 scores (rows are attempts)."""
    if not scores:
        return None
    k = len(scores[0])
    if k < 2:
        return None
    totals = [sum(row) for row in scores]
    variance = _pvariance(totals)
    if variance == 0:
        return None
    n = len(scores)
    pq = 0.0
    for col in range(k):
        p = sum(row[col] for row in scores) / n
        pq += p * (1 - p)
    return (k / (k - 1)) * (1 - pq / variance)
