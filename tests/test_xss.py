"""Output safety: every payload in ``xss_payloads.txt`` through every place that
shows text, checked by parsing the HTML rather than by string matching.

A page passes when it has no ``<script>`` other than ours under /static/, no
``on*`` attribute, no URL attribute with a javascript:, vbscript: or data: scheme
(after the control characters and whitespace browsers ignore are removed), no
element that loads or frames other content, and no evaluated template syntax.
"""

from __future__ import annotations

import codecs
import dataclasses
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from kaptrain.content import Renderer, build_catalog, sanitize
from kaptrain.extensions import db
from kaptrain.models import (
    NAME_MAX,
    Cohort,
    CohortMember,
    JournalComment,
    JournalEntry,
    User,
    cohort_supervisors,
)
from tests.support.mfa import sign_in
from tests.support.settings import CONTENT_FIXTURES, PASSWORD

pytestmark = pytest.mark.content(None)

HERE = Path(__file__).resolve().parent
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "background",
    "poster",
    "lowsrc",
    "dynsrc",
    "srcset",
}
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "base", "style"}
# What {{7*7}}, {{7*'7'}}, {{config}} or {{...__globals__}} look like once evaluated.
EVALUATED = ("k49k", "k7777777k", "<Config ", "&lt;Config ", "__globals__': {")


def load_payloads() -> list[str]:
    payloads = []
    for line in (HERE / "xss_payloads.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("\\esc "):
            line = codecs.decode(line[5:], "unicode_escape")
        payloads.append(line)
    return payloads


PAYLOADS = load_payloads()
#: The long loops below run in parts, so pytest-xdist can give them to different
#: workers; together the parts check every payload exactly as one test would.
PARTS = 4


def part_of(part: int, parts: int = PARTS) -> range:
    """The indexes of PAYLOADS in ``part`` (of ``parts``), in order."""
    size = -(-len(PAYLOADS) // parts)
    return range(part * size, min((part + 1) * size, len(PAYLOADS)))


def _plain_url(value: str) -> str:
    """A URL as a browser reads its scheme (WHATWG URL standard), lower-cased.

    Browsers strip leading and trailing C0 controls and spaces and remove every
    tab, CR and LF; any other character (an inner U+000B, a no-break space, a
    zero-width space) ends the scheme, so ``java\x0bscript:`` is a harmless
    relative path, not a javascript: URL.
    """
    stripped = value.strip("".join(chr(c) for c in range(0x21)))
    return "".join(ch for ch in stripped if ch not in "\t\n\r").lower()


def html_problems(html: str, *, secret: str = "") -> list[str]:
    """Everything in ``html`` that could run script or load foreign content."""
    problems = []
    soup = BeautifulSoup(html, "html.parser")
    for element in soup.find_all(True):
        name = element.name.lower()
        if name == "script":
            src = element.get("src") or ""
            if not (src.startswith("/static/") and not element.string):
                problems.append(f"script element: {str(element)[:80]}")
        if name in FORBIDDEN_TAGS:
            problems.append(f"<{name}> element")
        if name == "meta" and element.get("http-equiv"):
            problems.append("meta http-equiv")
        if name == "link" and not str(element.get("href", "")).startswith("/static/"):
            problems.append(f"link to {element.get('href')!r}")
        for attribute, value in element.attrs.items():
            attribute = attribute.lower()
            text = " ".join(value) if isinstance(value, list) else str(value)
            if attribute.startswith("on"):
                problems.append(f"<{name} {attribute}=...>")
            if attribute in {"style", "srcdoc"}:
                problems.append(f"<{name} {attribute}=...>")
            if attribute in URL_ATTRIBUTES and _plain_url(text).startswith(BAD_SCHEMES):
                problems.append(f"<{name} {attribute}={text[:60]!r}>")
    for marker in (*EVALUATED, *((secret,) if secret else ())):
        if marker in html:
            problems.append(f"evaluated template syntax: {marker!r}")
    return problems


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<script>x</script>", "script"),
        ('<script src="/static/js/a.js"></script>', None),
        ('<script src="https://evil.example/a.js"></script>', "script"),
        ("<img src=x onerror=alert(1)>", "onerror"),
        ('<a href=" \tJaVa\nScript:alert(1)">x</a>', "href"),
        ('<a href="\x01javascript:alert(1)">x</a>', "href"),
        ('<a href=" \x00\x1f JAVASCRIPT:alert(1) ">x</a>', "href"),
        # Inert per the URL standard: the odd character ends the scheme.
        ('<a href="java\x0bscript:alert(1)">x</a>', None),
        ('<a href="\xa0javascript:alert(1)">x</a>', None),
        ('<a href="data:text/html,x">x</a>', "href"),
        ('<svg><a xlink:href="javascript:x">y</a></svg>', "xlink:href"),
        ('<button formaction="vbscript:x">y</button>', "formaction"),
        ('<iframe src="https://evil.example"></iframe>', "iframe"),
        ("<p>k49k</p>", "evaluated"),
        ('<a href="https://example.org/javascript:">ok</a>', None),
        ("<p>javascript:alert(1) as plain text</p>", None),
    ],
)
def test_the_checker_itself(html: str, expected: str | None) -> None:
    problems = html_problems(html)
    if expected is None:
        assert problems == []
    else:
        assert any(expected in problem for problem in problems), problems


def test_the_corpus_is_large_and_distinct() -> None:
    assert len(PAYLOADS) >= 200
    assert len(set(PAYLOADS)) == len(PAYLOADS)
    assert any("\x00" in p for p in PAYLOADS)
    assert any("{{7*7}}" in p for p in PAYLOADS)


def _failures(
    render: Callable[[str], Iterator[str] | list[str]], secret: str = ""
) -> list[str]:
    failures = []
    for payload in PAYLOADS:
        for html in render(payload):
            problems = html_problems(html, secret=secret)
            if problems:
                failures.append(f"{payload!r}: {problems[:2]}")
    return failures


# ------------------------------------------------------------- content renderer


RENDERER = Renderer()


@pytest.mark.parametrize(
    "render",
    [
        lambda p: [sanitize(p)],
        lambda p: [RENDERER.fragment(p)],
        lambda p: [RENDERER.inline(p)],
        lambda p: list(RENDERER.document(p)),
        lambda p: list(RENDERER.document(f"Before\n\n{p}\n\nAfter [a]: {p}")),
    ],
    ids=["sanitize", "fragment", "inline", "document", "document-in-context"],
)
def test_renderer_output_is_safe(render: Callable[[str], list[str]]) -> None:
    assert _failures(render) == []


def test_renderer_keeps_safe_links() -> None:
    html = RENDERER.fragment("[ok](https://example.org) and ![alt](media/x.png)")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.a["href"] == "https://example.org"
    assert soup.img["src"].endswith("media/x.png")


def _module_with(tmp: Path, index: int, payload: str) -> None:
    """A copy of the complete fixture module with ``payload`` in every text field."""
    target = tmp / f"xss-{index}"
    shutil.copytree(CONTENT_FIXTURES / "complete-module", target)
    yaml_text = json.dumps(payload)  # a JSON string is a YAML double-quoted scalar
    edits = {
        "module.md": [
            ("id: complete-module", f"id: xss-{index}"),
            ("order: 1", f"order: {index + 1}"),
        ],
        "01-defining-racial-trauma.md": [
            ("Effects can follow nonviolent encounters too[^1].", payload),
            ("Ask about the *meaning* of an encounter before its details.", payload),
        ],
        "quiz.md": [
            (
                "Carter's model of race-based traumatic stress describes the harm "
                "of racism as:",
                payload,
            ),
            ("A psychiatric disorder that requires a DSM diagnosis", payload),
            ("Carter argued against framing it as a disorder.", payload),
            (
                "The injury framing keeps the focus on what happened to the person",
                payload,
            ),
        ],
        "case-first-session.md": [
            ("Dana answers briefly and looks at the clock.", payload),
            ("Move to a treatment plan straight away.", payload),
            ("She had not finished.", payload),
            (
                "What did you notice in yourself as Dana described the incident?",
                payload,
            ),
        ],
        "evaluation.md": [("The objectives were met.", payload)],
    }
    for name, pairs in edits.items():
        path = target / name
        text = path.read_text(encoding="utf-8")
        for old, new in pairs:
            assert old in text, (name, old)
            text = text.replace(old, new, 1)
        path.write_text(text, encoding="utf-8")
    refs = target / "references.yaml"
    lines = refs.read_text(encoding="utf-8").splitlines()
    lines[1] = f"  text: {yaml_text}"
    refs.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _html_fields(value: Any, name: str = "") -> Iterator[str]:
    """Every rendered-HTML string in a catalog object tree."""
    if isinstance(value, str):
        if "html" in name:
            yield value
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from _html_fields(getattr(value, field.name), field.name)
    elif isinstance(value, dict | MappingProxyType):
        for item in value.values():
            yield from _html_fields(item, name)
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _html_fields(item, name)


def test_catalog_leaves_out_or_safely_renders_every_payload(tmp_path: Path) -> None:
    modules = tmp_path / "modules"
    modules.mkdir()
    for index, payload in enumerate(PAYLOADS):
        _module_with(modules, index, payload)
    # In this process: the test is about sanitising, not the worker pool.
    catalog = build_catalog(modules, workers=1).catalog
    assert len(catalog.modules) + len(catalog.broken) == len(PAYLOADS)
    # Raw HTML is refused by the checker; Markdown-only vectors are served.
    assert catalog.broken and catalog.modules
    failures = [
        f"{PAYLOADS[int(module.id.split('-')[1])]!r}: {problems[:2]}"
        for module in catalog.modules
        for html in _html_fields(module)
        if (problems := html_problems(html))
    ]
    assert failures == []
    served = {PAYLOADS[int(m.id.split("-")[1])] for m in catalog.modules}
    assert len(served) >= 20, "too few payloads reached the renderer"
    assert "<script>alert(1)</script>" not in served


# ------------------------------------------------------------- pages in the app


def _db_text(payload: str, limit: int | None = None) -> str:
    """The payload as a database can hold it (PostgreSQL refuses NUL)."""
    text = payload.replace("\x00", "\ufffd")
    return text[:limit] if limit else text


def _check_page(client: FlaskClient, url: str, secret: str) -> list[str]:
    response = client.get(url)
    if response.status_code != 200:
        return [f"{url}: status {response.status_code}"]
    return [
        f"{url}: {p}"
        for p in html_problems(response.get_data(as_text=True), secret=secret)
    ]


@pytest.mark.parametrize("part", range(PARTS))
def test_names_are_escaped_on_admin_and_home_pages(
    app: Flask, client: FlaskClient, make_user: Any, login: Any, part: int
) -> None:
    admin = make_user("admin")
    secret = app.config["SECRET_KEY"]
    with app.app_context():
        ids = []
        for index, payload in enumerate(PAYLOADS):
            user = User(
                email=f"name{index}@example.org",
                name=_db_text(payload, NAME_MAX),
                password_hash="x",
            )
            db.session.add(user)
            db.session.flush()
            ids.append(user.id)
        db.session.commit()
    login(admin)
    failures = []
    if part == 0:  # every name, once
        for page in range(1, len(PAYLOADS) // 50 + 3):
            failures += _check_page(client, f"/admin/users?page={page}", secret)
    for index in part_of(part):
        payload = PAYLOADS[index]
        # The signed-in name shows in the header of every page and in the
        # home page's heading; the detail page shows another user's name.
        with app.app_context():
            db.session.get(User, admin.id).name = _db_text(payload, NAME_MAX)
            db.session.commit()
        url = f"/admin/users/{ids[index]}" if index % 2 else "/"
        failures += _check_page(client, url, secret)
    assert failures == []
    text = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    last = PAYLOADS[part_of(part)[-1]]
    assert _db_text(last, NAME_MAX).strip() in text.get_text()


@pytest.mark.parametrize("part", range(2))
def test_names_registered_through_the_form_are_escaped(
    app: Flask, make_cohort: Any, mailbox: Any, part: int
) -> None:
    cohort = make_cohort()
    secret = app.config["SECRET_KEY"]
    failures = []
    registered = 0
    # Every payload is stored and shown by the tests above; here a sample goes
    # through the real form, whose whitespace clean-up must not undo escaping.
    sample = PAYLOADS[::5]
    half = -(-len(sample) // 2)
    for index, payload in enumerate(sample[part * half : (part + 1) * half]):
        if len(payload) > NAME_MAX or not payload.strip() or "\x00" in payload:
            continue
        client = app.test_client()
        address = f"reg{part}-{index}@example.org"
        response = client.post(
            "/register",
            data={"invite_code": cohort.invite_code, "name": payload, "email": address},
        )
        failures += [
            f"{payload!r}: {p}"
            for p in html_problems(response.get_data(as_text=True), secret=secret)
        ]
        if response.status_code != 200 or "Check your e-mail" not in response.text:
            continue
        # Issue 13: the account is made from the e-mailed link (step two).
        mailbox.wait_for_subject("Finish creating", registered + 1)
        (message,) = mailbox.to(address)
        text = mailbox.text(message)
        link = re.search(r"http://localhost(/register/confirm/\S+)", text)
        assert link, text
        failures += [
            f"{payload!r}: {p}"
            for p in html_problems(client.get(link.group(1)).text, secret=secret)
        ]
        response = client.post(
            link.group(1),
            data={"password": PASSWORD, "confirm": PASSWORD},
            follow_redirects=True,
        )
        registered += response.status_code == 200
        failures += [
            f"{payload!r}: {p}"
            for p in html_problems(response.get_data(as_text=True), secret=secret)
        ]
        failures += _check_page(client, "/account", secret)
    assert registered >= 50 // 2  # 50 of the whole sample, as one test required
    assert failures == []


def _pages(app: Flask, candidates: dict[str, str]) -> dict[str, str]:
    """The candidate URL patterns (rule -> URL) whose routes exist right now."""
    rules = {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    return {rule: url for rule, url in candidates.items() if rule in rules}


@pytest.mark.parametrize("part", range(PARTS))
def test_cohort_names_are_escaped(
    app: Flask, client: FlaskClient, make_user: Any, login: Any, part: int
) -> None:
    supervisor = make_user(("supervisor", "trainee"))
    secret = app.config["SECRET_KEY"]
    with app.app_context():
        cohorts = []
        for index, payload in enumerate(PAYLOADS):
            cohort = Cohort(name=_db_text(payload, NAME_MAX), invite_code=f"X-{index}")
            db.session.add(cohort)
            db.session.flush()
            db.session.execute(
                cohort_supervisors.insert().values(
                    cohort_id=cohort.id, user_id=supervisor.id
                )
            )
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=supervisor.id))
            cohorts.append(cohort.id)
        db.session.commit()
    login(supervisor)
    lists = _pages(
        app, {"/supervise/cohorts": "/supervise/cohorts", "/account": "/account"}
    )
    per_cohort = [
        rule
        for rule in (
            "/supervise/cohorts/<int:cohort_id>",
            "/supervise/cohorts/<int:cohort_id>/members",
            "/supervise/cohorts/<int:cohort_id>/gain",
        )
        if _pages(app, {rule: rule})
    ]
    assert "/account" in lists
    failures = []
    for url in lists.values() if part == 0 else ():
        failures += _check_page(client, url, secret)
    # The list pages show every name at once; each cohort's own pages (same
    # template, other names) are checked for a third of them, in rotation.
    for index, cohort_id in enumerate(cohorts):
        if index % 3 or index not in part_of(part):
            continue
        rotation = per_cohort[(index // 3) % len(per_cohort)] if per_cohort else None
        for rule in (rotation,) if rotation else ():
            failures += _check_page(
                client, rule.replace("<int:cohort_id>", str(cohort_id)), secret
            )
    assert failures == []


@pytest.mark.parametrize("page", ["/journal", "/supervise/trainees/<int:user_id>"])
def test_reflections_and_comments_are_escaped(
    app: Flask, make_user: Any, make_cohort: Any, page: str
) -> None:
    supervisor = make_user("supervisor")
    cohort = make_cohort(supervisors=[supervisor])
    trainee = make_user(cohort=cohort)
    secret = app.config["SECRET_KEY"]
    with app.app_context():
        for payload in PAYLOADS:
            entry = JournalEntry(
                user_id=trainee.id,
                body=_db_text(payload),
                prompt=_db_text(payload),
                shared=True,
            )
            entry.comments = [
                JournalComment(author_id=supervisor.id, body=_db_text(payload))
            ]
            db.session.add(entry)
        db.session.commit()
    pages = _pages(
        app,
        {
            "/journal": "/journal",
            "/supervise/trainees/<int:user_id>": f"/supervise/trainees/{trainee.id}",
        },
    )
    assert pages, "neither /journal nor /supervise/trainees/<id> exists"
    failures = []
    for rule, url in pages.items():
        if rule != page:  # the other page is the other case of this test
            continue
        client = app.test_client()
        who = trainee if rule == "/journal" else supervisor
        sign_in(client, who, PASSWORD)
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert "k{{7*7}}k" in html, f"{url} does not show the entries"
        failures += [f"{url}: {p}" for p in html_problems(html, secret=secret)]
    assert failures == []
