"""Knowledge gain from paired pre- and post-test scores (percent, 0-100).

Only trainees with both scores count. The gain is ``post - pre``; the
normalised gain is ``(post - pre) / (100 - pre)``, the share of the possible
improvement that was realised. A trainee who scored 100 on the pre-test has no
room to improve, so their normalised gain is undefined: they count in the mean
gain but are left out of the mean normalised gain, and the summary says how
many were left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class PairedScore:
    user_id: int
    pre: float
    post: float

    @property
    def gain(self) -> float:
        return self.post - self.pre

    @property
    def normalised(self) -> float | None:
        return normalised_gain(self.pre, self.post)


@dataclass(frozen=True)
class GainSummary:
    pairs: tuple[PairedScore, ...]
    mean_pre: float | None
    mean_post: float | None
    mean_gain: float | None
    mean_normalised_gain: float | None
    normalised_excluded: int  # pairs left out of the normalised mean (pre = 100)

    @property
    def count(self) -> int:
        return len(self.pairs)


def normalised_gain(pre: float, post: float) -> float | None:
    """``(post - pre) / (100 - pre)``; None when the pre-test score is 100."""
    if pre >= 100:
        return None
    return (post - pre) / (100 - pre)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def knowledge_gain(
    pre: dict[int, float], post: dict[int, float], users: Iterable[int] | None = None
) -> GainSummary:
    """Pair ``pre`` and ``post`` scores by user and summarise the gain.

    ``users`` limits and orders the pairs; by default every user with both.
    """
    ids = list(users) if users is not None else sorted(pre.keys() & post.keys())
    pairs = tuple(
        PairedScore(uid, pre[uid], post[uid])
        for uid in ids
        if uid in pre and uid in post
    )
    normalised = [p.normalised for p in pairs if p.normalised is not None]
    return GainSummary(
        pairs=pairs,
        mean_pre=_mean([p.pre for p in pairs]),
        mean_post=_mean([p.post for p in pairs]),
        mean_gain=_mean([p.gain for p in pairs]),
        mean_normalised_gain=_mean(normalised),
        normalised_excluded=len(pairs) - len(normalised),
    )
