"""Item analysis and knowledge gain: pure functions over plain records.

No Flask and no database here, so supervisors' and authors' pages share one
implementation and the arithmetic is tested without an app. ``queries`` is the
thin layer that loads the records in a fixed number of SQL queries.
"""

from kaptrain.analytics.gain import (
    GainSummary,
    PairedScore,
    knowledge_gain,
    normalised_gain,
)
from kaptrain.analytics.items import (
    MIN_STABLE_RESPONDENTS,
    AttemptRecord,
    ItemSpec,
    ItemStats,
    QuizStats,
    analyse_quiz,
)

__all__ = [
    "MIN_STABLE_RESPONDENTS",
    "AttemptRecord",
    "GainSummary",
    "ItemSpec",
    "ItemStats",
    "PairedScore",
    "QuizStats",
    "analyse_quiz",
    "knowledge_gain",
    "normalised_gain",
]
