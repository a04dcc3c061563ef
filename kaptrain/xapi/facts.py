"""One function per kind of learner event: the statements it gives.

``statements_for(builder, kind, item_id, outcome, at, module)`` turns what the
learner-write path announces (kaptrain.learning.unit_of_work) into statements.
The backfill rebuilds the same ``outcome`` from stored records and calls the
same function, so both give the same statement ids. ``module`` (the catalog's
module) adds names and interaction definitions; without it (content gone)
the statements carry ids only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from kaptrain.xapi import vocabulary as v
from kaptrain.xapi.statements import Builder, plain

Statement = dict[str, Any]
_INTERACTION = {"order": "sequencing"}  # single, multiple, true-false: "choice"


def _item(module: Any, item_id: str | None) -> Any:
    return module.item(item_id) if module is not None and item_id else None


def _title(module: Any, item_id: str | None) -> str | None:
    item = _item(module, item_id)
    return getattr(item, "title", None)


def module_started(b: Builder, at: dt.datetime) -> Statement:
    """Sent with every write; its fixed id makes only the first one count."""
    identity = ("module-started", b.subject.module_id)
    return b.statement(identity, "attempted", b.module(), at, in_module=False)


def module_completed(b: Builder, at: dt.datetime) -> Statement:
    identity = ("module-completed", b.subject.module_id)
    result = {"completion": True, "success": True}
    return b.statement(
        identity, "completed", b.module(), at, result=result, in_module=False
    )


def certificate_earned(
    b: Builder, code: str, ce_hours: Decimal | float, at: dt.datetime
) -> Statement:
    """The certificate, with its CE hours and the public page that verifies it."""
    verify = f"{b.base}/verify/{code}"
    obj = b.activity(
        f"{b.base}/certificates/{code}",
        v.CERTIFICATE,
        f"Certificate: {b.subject.module_title or b.subject.module_id}",
        moreInfo=verify,
    )
    result = {
        "completion": True,
        "extensions": b.ext(
            {v.EXT_CE_HOURS: float(ce_hours), v.EXT_VERIFY_URL: verify}
        ),
    }
    return b.statement(
        ("certificate", b.subject.module_id), "earned", obj, at, result=result
    )


def _lesson_completed(
    b: Builder, item_id: str, out: dict[str, Any], at: dt.datetime, module: Any
) -> list[Statement]:
    obj = b.activity(b.item_url(item_id), v.LESSON, _title(module, item_id))
    identity = ("lesson-completed", b.subject.module_id, item_id)
    return [b.statement(identity, "completed", obj, at, result={"completion": True})]


def _quiz(b: Builder, item_id: str, module: Any) -> Statement:
    return b.activity(b.item_url(item_id), v.ASSESSMENT, _title(module, item_id))


def _attempt_ext(out: dict[str, Any]) -> dict[str, Any]:
    return {
        v.EXT_ATTEMPT_KIND: out.get("kind"),
        v.EXT_ATTEMPT_NUMBER: out.get("number"),
    }


def _quiz_started(
    b: Builder, item_id: str, out: dict[str, Any], at: dt.datetime, module: Any
) -> list[Statement]:
    attempt = out["attempt_id"]
    return [
        b.statement(
            ("attempt-started", attempt),
            "attempted",
            _quiz(b, item_id, module),
            at,
            registration=b.registration("attempt", attempt),
            extensions=_attempt_ext(out),
        )
    ]


def _question(b: Builder, item_id: str, question_id: str, module: Any) -> Statement:
    url = b.item_url(item_id, "questions", question_id)
    quiz = _item(module, item_id)
    question = next(
        (q for q in getattr(quiz, "questions", ()) if q.id == question_id), None
    )
    if question is None:
        return b.activity(url, v.INTERACTION, interactionType="choice")
    interaction = _INTERACTION.get(question.type, "choice")
    keys = [o.key for o in question.options]
    correct = keys if interaction == "sequencing" else question.correct_keys
    return b.activity(
        url,
        v.INTERACTION,
        plain(question.stem_html),
        interactionType=interaction,
        correctResponsesPattern=["[,]".join(correct)],
        choices=[
            {"id": o.key, "description": {"en-US": plain(o.text_html)}}
            for o in question.options
        ],
    )


def _quiz_submitted(
    b: Builder, item_id: str, out: dict[str, Any], at: dt.datetime, module: Any
) -> list[Statement]:
    attempt = out["attempt_id"]
    registration = b.registration("attempt", attempt)
    ext = _attempt_ext(out)
    statements = [
        b.statement(
            ("answered", attempt, question_id),
            "answered",
            _question(b, item_id, question_id, module),
            at,
            result={"response": "[,]".join(answer), "success": bool(correct)},
            registration=registration,
            extensions=ext,
        )
        for question_id, answer, correct in out.get("responses", [])
    ]
    count = out.get("item_count") or 0
    score: dict[str, Any] = {"scaled": round(float(out["score"]) / 100, 4)}
    if count:
        score.update(raw=out.get("correct_count") or 0, min=0, max=count)
    passed = out.get("passed")
    result: dict[str, Any] = {"score": score, "completion": True}
    verb = "completed"
    if passed is not None:
        result["success"] = bool(passed)
        verb = "passed" if passed else "failed"
    statements.append(
        b.statement(
            ("attempt-completed", attempt),
            verb,
            _quiz(b, item_id, module),
            at,
            result=result,
            registration=registration,
            extensions=ext,
        )
    )
    return statements


def _vignette(b: Builder, item_id: str, module: Any) -> Statement:
    return b.activity(b.item_url(item_id), v.SIMULATION, _title(module, item_id))


def _node(
    b: Builder, item_id: str, node_id: str, module: Any, chooses: bool
) -> Statement:
    url = b.item_url(item_id, "nodes", node_id)
    if not chooses:
        return b.activity(url, v.INTERACTION, interactionType="other")
    node = getattr(_item(module, item_id), "nodes", {}).get(node_id)
    choices = getattr(node, "choices", ())
    return b.activity(
        url,
        v.INTERACTION,
        plain(node.body_html) if node is not None else None,
        interactionType="choice",
        choices=[
            {"id": c.key, "description": {"en-US": plain(c.text_html)}} for c in choices
        ],
    )


def _case_step(
    b: Builder, item_id: str, out: dict[str, Any], at: dt.datetime, module: Any
) -> list[Statement]:
    """A decision is ``answered`` on the node (a choice interaction); a Continue or
    a reflection is ``progressed``, so the whole path can be rebuilt in order."""
    run, step, choice = out["run_id"], out["step"], out.get("choice_key")
    ext = {
        v.EXT_RUN: run,
        v.EXT_STEP: step,
        v.EXT_NODE: out["node_id"],
        v.EXT_CHOICE: choice,
        v.EXT_RATING: out.get("rating"),
        v.EXT_TARGET: out["target"],
    }
    result: dict[str, Any] = {"extensions": b.ext(ext)}
    if choice is not None:
        result["response"] = choice
    registration = b.registration("run", run)
    statements = [
        b.statement(
            ("step", run, step),
            "answered" if choice is not None else "progressed",
            _node(b, item_id, out["node_id"], module, choice is not None),
            at,
            result=result,
            registration=registration,
            extensions={v.EXT_RUN: run},
        )
    ]
    if out.get("ending"):
        statements.append(
            b.statement(
                ("run-completed", run),
                "completed",
                _vignette(b, item_id, module),
                at,
                result={
                    "completion": True,
                    "extensions": b.ext(
                        {v.EXT_ENDING: out["ending"], v.EXT_STEP: step}
                    ),
                },
                registration=registration,
                extensions={v.EXT_RUN: run},
            )
        )
    return statements


def _evaluation(
    b: Builder, item_id: str, out: dict[str, Any], at: dt.datetime, module: Any
) -> list[Statement]:
    """The ratings only: free-text comments never leave the database."""
    ratings = out.get("ratings")
    if not ratings:
        return []  # a repeated submission stored nothing
    obj = b.activity(b.item_url(item_id), v.QUESTION, _title(module, item_id))
    result = {"completion": True, "extensions": b.ext({v.EXT_RATINGS: dict(ratings)})}
    identity = ("evaluation", b.subject.module_id, item_id)
    return [b.statement(identity, "responded", obj, at, result=result)]


def _reflection_shared(
    b: Builder, item_id: str | None, out: dict[str, Any], at: dt.datetime, module: Any
) -> list[Statement]:
    """That a reflection was shared with a supervisor, never what it says."""
    entry = out["entry_id"]
    obj = b.activity(
        f"{b.base}/journal/{b.id('entry', entry)}", v.REFLECTION, "Reflection"
    )
    ext = {v.EXT_RUN: out.get("run_id"), v.EXT_NODE: out.get("node_id")}
    return [
        b.statement(
            ("reflection-shared", entry),
            "shared",
            obj,
            at,
            in_module=bool(b.subject.module_id),
            extensions=ext,
        )
    ]


KINDS: dict[str, Callable[..., list[Statement]]] = {
    "lesson_completed": _lesson_completed,
    "quiz_started": _quiz_started,
    "quiz_submitted": _quiz_submitted,
    "case_step": _case_step,
    "evaluation_submitted": _evaluation,
    "reflection_shared": _reflection_shared,
}


def statements_for(
    b: Builder,
    kind: str,
    item_id: str | None,
    outcome: dict[str, Any],
    at: dt.datetime,
    module: Any,
) -> list[Statement]:
    """The statements one learner event gives (none for kinds xAPI skips)."""
    build = KINDS.get(kind)
    return [] if build is None else build(b, item_id, outcome, at, module)
