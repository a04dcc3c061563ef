"""Build xAPI 1.0.3 statements from what a trainee did.

Every statement has a deterministic id (a UUID 5 of the site and what the
statement describes: "attempt 17 completed", never a time), so the same fact
always gives the same id, whether written by the learner-write hook or by a
backfill, and an LRS stores it once. Activity ids are URLs under the site's
base URL built from content ids; ``context.contextActivities`` follows cmi5's
shape (the module as parent, the course as grouping) and ``context.extensions``
carries the module version and content hash the record was made under.

Privacy: the actor is an ``account`` whose name is an opaque, stable id derived
from the site and the user's database id (the e-mail only with
``KAPTRAIN_XAPI_ACTOR=mbox``). Nothing typed by a trainee or a supervisor
(reflections, journal entries, comments) is ever put in a statement: the builders
have no parameter that could carry it.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from dataclasses import dataclass
from typing import Any

from kaptrain.xapi import vocabulary as v

XAPI_VERSION = "1.0.3"
LANG = "en-US"
#: The namespace of every id kaptrain derives (statement ids, actor names,
#: registrations); fixed forever, or every id would change.
NAMESPACE = uuid.UUID("6f1e7a52-3c1d-4e0b-9a57-2f4f0c8d6b11")
_TAG = re.compile(r"<[^>]+>")


def derived_uuid(base: str, *parts: object) -> str:
    """The UUID 5 of the site and ``parts``: the same inputs, the same id."""
    return str(uuid.uuid5(NAMESPACE, "|".join([base, *(str(p) for p in parts)])))


def plain(text_html: str, limit: int = 250) -> str:
    """Content HTML as one line of plain text (for activity descriptions)."""
    text = " ".join(html.unescape(_TAG.sub(" ", text_html)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _lang(text: str) -> dict[str, str]:
    return {LANG: text}


@dataclass(frozen=True)
class Site:
    """What every statement of this site shares: base URL and actor style."""

    base: str
    actor: str = "account"  # or "mbox"

    @classmethod
    def from_config(cls, config: Any) -> Site:
        return cls(
            str(config["BASE_URL"]).rstrip("/"), config.get("XAPI_ACTOR") or "account"
        )


@dataclass(frozen=True)
class Subject:
    """Who did it, in which module, under which content version."""

    user_id: int
    email: str
    module_id: str
    module_title: str | None
    version: str
    content_hash: str


class Builder:
    """Statements about one trainee in one module."""

    def __init__(self, site: Site, subject: Subject) -> None:
        self.site = site
        self.subject = subject
        self.base = site.base

    def id(self, *parts: object) -> str:
        """The statement id for this trainee, module and ``parts``."""
        return derived_uuid(self.base, "statement", self.subject.user_id, *parts)

    def registration(self, *parts: object) -> str:
        """A UUID grouping statements of one quiz attempt or vignette run."""
        return derived_uuid(self.base, "registration", *parts)

    def actor(self) -> dict[str, Any]:
        if self.site.actor == "mbox":
            return {"objectType": "Agent", "mbox": f"mailto:{self.subject.email}"}
        name = derived_uuid(self.base, "user", self.subject.user_id)
        return {"objectType": "Agent", "account": {"homePage": self.base, "name": name}}

    def activity(
        self,
        activity_id: str,
        kind: str,
        name: str | None = None,
        **definition: Any,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"type": kind, **definition}
        if name:
            body["name"] = _lang(name[:250])
        return {"objectType": "Activity", "id": activity_id, "definition": body}

    def course(self) -> dict[str, Any]:
        return self.activity(f"{self.base}/course", v.COURSE)

    def module_url(self) -> str:
        return f"{self.base}/modules/{self.subject.module_id}"

    def module(self) -> dict[str, Any]:
        return self.activity(self.module_url(), v.MODULE, self.subject.module_title)

    def item_url(self, item_id: str, *more: str) -> str:
        return "/".join([self.module_url(), item_id, *more])

    def ext(self, values: dict[str, Any]) -> dict[str, Any]:
        """Extensions keyed by their full IRIs (None values dropped)."""
        return {
            v.extension(self.base, key): value
            for key, value in values.items()
            if value is not None
        }

    def statement(
        self,
        identity: tuple[object, ...],
        verb: str,
        obj: dict[str, Any],
        at: dt.datetime,
        *,
        result: dict[str, Any] | None = None,
        in_module: bool = True,
        registration: str | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One complete statement: id, actor, verb, object, context, timestamp."""
        context: dict[str, Any] = {
            "platform": "kaptrain",
            "language": LANG,
            "contextActivities": {"grouping": [self.course()]},
            "extensions": self.ext(
                {
                    v.EXT_MODULE_VERSION: self.subject.version,
                    v.EXT_CONTENT_HASH: self.subject.content_hash,
                    **(extensions or {}),
                }
            ),
        }
        if in_module:
            context["contextActivities"]["parent"] = [self.module()]
        if registration:
            context["registration"] = registration
        statement: dict[str, Any] = {
            "id": self.id(*identity),
            "actor": self.actor(),
            "verb": {"id": v.VERBS[verb], "display": _lang(verb)},
            "object": obj,
            "context": context,
            "timestamp": at.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
            "version": XAPI_VERSION,
        }
        if result is not None:
            statement["result"] = result
        return statement
