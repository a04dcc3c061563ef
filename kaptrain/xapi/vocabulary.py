"""The xAPI words kaptrain uses: verbs, activity types and extension IRIs.

Verbs and activity types come from the ADL vocabulary
(``http://adlnet.gov/expapi/...``). ADL has no verb for receiving a credential,
so "earned" is the one from the xAPI registry (``http://id.tincanapi.com``).
Extensions are IRIs under the site's own base URL (see :func:`extension`).
"""

from __future__ import annotations

ADL_VERBS = "http://adlnet.gov/expapi/verbs/"
ADL_ACTIVITIES = "http://adlnet.gov/expapi/activities/"

VERBS: dict[str, str] = {
    name: ADL_VERBS + name
    for name in (
        "attempted",
        "answered",
        "completed",
        "passed",
        "failed",
        "progressed",
        "responded",
        "shared",
    )
}
VERBS["earned"] = "http://id.tincanapi.com/verb/earned"

COURSE = ADL_ACTIVITIES + "course"
MODULE = ADL_ACTIVITIES + "module"
LESSON = ADL_ACTIVITIES + "lesson"
ASSESSMENT = ADL_ACTIVITIES + "assessment"
INTERACTION = ADL_ACTIVITIES + "cmi.interaction"
SIMULATION = ADL_ACTIVITIES + "simulation"
QUESTION = ADL_ACTIVITIES + "question"
CERTIFICATE = "http://id.tincanapi.com/activitytype/certificate"
REFLECTION = "http://id.tincanapi.com/activitytype/reflection"

#: Extension names; the full IRI is ``{base}/xapi/extensions/{name}``.
EXT_MODULE_VERSION = "module-version"
EXT_CONTENT_HASH = "content-hash"
EXT_ATTEMPT_KIND = "attempt-kind"
EXT_ATTEMPT_NUMBER = "attempt-number"
EXT_RUN = "run"
EXT_STEP = "step"
EXT_NODE = "node"
EXT_CHOICE = "choice"
EXT_RATING = "rating"
EXT_TARGET = "target"
EXT_ENDING = "ending"
EXT_RATINGS = "ratings"
EXT_CE_HOURS = "ce-hours"
EXT_VERIFY_URL = "verify-url"
EXT_ENTRY = "journal-entry"


def extension(base: str, name: str) -> str:
    """The IRI of one of kaptrain's extensions on this site."""
    return f"{base}/xapi/extensions/{name}"
