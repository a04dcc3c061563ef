"""Helpers for the browser tests (not a test file): pages, sign-in, the axe and
reflow audit, screenshots.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import warnings
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.support.live_server import DEMO_TOTP_SECRET
from tests.support.mfa import CODES

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS_DIR = ROOT / "docs" / "screenshots"
# Installed by `make vnu` (npm package vnu-jar) into the virtual environment.
VNU_JAR = Path(
    os.environ.get("KAPTRAIN_VNU_JAR")
    or ROOT / ".venv/vnu/node_modules/vnu-jar/build/dist/vnu.jar"
)
SAVE_SHOTS = os.environ.get("KAPTRAIN_SCREENSHOTS") == "1"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
TAGS = {"type": "tag", "values": WCAG_TAGS}
# The dark scheme only changes colours: re-run just the rules about colour there.
COLOUR_RULES = {"type": "rule", "values": ["color-contrast", "link-in-text-block"]}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
NARROW = {"width": 320, "height": 720}
TIMEOUT_MS = 15_000
# Long pages are cut at this height in screenshots: the top tells the story.
SHOT_MAX_HEIGHT = {"desktop": 1500, "phone": 1800}


def new_page(browser: Any, base_url: str) -> Any:
    """A page in its own context (cookies), desktop-sized, light scheme.

    The page remembers the last HTML document the server sent it, as sent
    (before the browser repairs it), for the Nu HTML Checker.
    """
    context = browser.new_context(
        base_url=base_url,
        viewport=DESKTOP,
        color_scheme="light",
        accept_downloads=True,
        reduced_motion="reduce",
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    _DOCUMENTS[page] = []

    def remember(response: Any) -> None:
        request = response.request
        if request.resource_type == "document" and response.frame == page.main_frame:
            _DOCUMENTS[page][:] = [response]

    page.on("response", remember)
    return page


# The last document response of each page (see new_page); weak, so closed pages go.
_DOCUMENTS: weakref.WeakKeyDictionary[Any, list[Any]] = weakref.WeakKeyDictionary()


def sign_in(page: Any, email: str, password: str) -> None:
    """Sign in through the real form; staff then type a code from the demo
    authenticator key, as a person would."""
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if urlsplit(page.url).path == "/login/mfa":
        enter_code(page, CODES.next(DEMO_TOTP_SECRET, f"{_origin(page)}|{email}"))
    assert "/login" not in page.url, f"sign-in failed for {email}"


def enter_code(page: Any, code: str) -> None:
    """The second sign-in step: type the code and continue."""
    page.get_by_label("6-digit code from your authenticator app").fill(code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def _origin(page: Any) -> str:
    parts = urlsplit(page.url)
    return f"{parts.scheme}://{parts.netloc}"


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


# What axe does not check: one h1, the skip link and main landmark from base.html,
# and status badges that carry words (status never by colour alone).
_STRUCTURE_JS = """() => {
  const out = [];
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) out.push(`${h1} h1 elements`);
  if (!document.querySelector('a.skip-link[href="#main"]')) out.push('no skip link');
  if (!document.querySelector('main#main')) out.push('no main landmark');
  for (const badge of document.querySelectorAll('.badge')) {
    if (!badge.textContent.trim()) out.push('a status badge without words');
  }
  return out;
}"""


class Auditor:
    """Collects accessibility problems page by page; ``finish()`` asserts none."""

    def __init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.html = HtmlChecker()
        self.problems: list[str] = []
        self.pages: list[str] = []
        self.seconds: dict[str, float] = {}

    def check(self, page: Any, name: str, *, shot: bool = False) -> None:
        """axe in light and dark, reflow at 320 px, screenshots if asked for."""
        self.pages.append(name)
        started = time.monotonic()
        # A click that navigates returns before the new page's "load" event: on
        # a busy machine axe could run while the stylesheet is still loading
        # and measure unstyled links. Wait for it, and say so if a sheet failed.
        page.wait_for_load_state("load")
        unstyled = page.evaluate(
            "() => [...document.querySelectorAll('link[rel=stylesheet]')]"
            ".filter(link => !link.sheet).map(link => link.href)"
        )
        if unstyled:
            self.problems.append(f"--- {name}: stylesheet not loaded: {unstyled}")
        self.html.add(page, name)
        for scheme, only in (("light", TAGS), ("dark", COLOUR_RULES)):
            page.emulate_media(color_scheme=scheme)
            results = self.axe.run(
                page, options={"runOnly": only, "resultTypes": ["violations"]}
            )
            if results.violations_count:
                self.problems.append(
                    f"--- {name} ({scheme}) {page.url}\n{results.generate_report()}"
                )
        page.emulate_media(color_scheme="light")
        for problem in page.evaluate(_STRUCTURE_JS):
            self.problems.append(f"--- {name}: {problem}")
        size = page.viewport_size
        page.set_viewport_size(NARROW)
        overflow = page.evaluate(
            """() => {
              const width = document.documentElement.scrollWidth;
              if (width <= 320) return null;
              const wide = [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > 321
                              && !el.closest('.table-wrap'))
                .slice(0, 5)
                .map(el => el.tagName.toLowerCase() + '.' + el.className);
              return {width, wide};
            }"""
        )
        if overflow:
            self.problems.append(
                f"--- {name}: scrolls sideways at 320 px "
                f"(page is {overflow['width']} px wide; widest: {overflow['wide']})"
            )
        page.set_viewport_size(size)
        if shot:
            screenshot(page, name)
        self.seconds[name] = time.monotonic() - started
        if os.environ.get("KAPTRAIN_AUDIT_TIMES"):
            print(f"audit {name}: {self.seconds[name]:.2f}s", flush=True)

    def finish(self) -> None:
        if os.environ.get("KAPTRAIN_AUDIT_TIMES"):
            print({k: round(v, 2) for k, v in self.seconds.items()})
        self.problems += self.html.problems()
        assert not self.problems, "\n".join(self.problems)


class HtmlChecker:
    """The Nu HTML Checker (vnu.jar, run by Java) over every audited page.

    Pages are saved as the server sent them, then checked in one Java run when
    the journey finishes. Missing Java or vnu.jar fails in CI and skips the
    check elsewhere, naming what to install (`make vnu`).
    """

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="kaptrain-html-"))
        self.names: dict[str, str] = {}

    def add(self, page: Any, name: str) -> None:
        responses = _DOCUMENTS.get(page) or []
        try:
            html = responses[0].text() if responses else page.content()
        except Exception:  # noqa: BLE001 - body gone (a redirect): use the DOM
            html = page.content()
        slug = f"{len(self.names):03d}-" + re.sub(r"[^a-z0-9]+", "-", name.lower())
        path = self.folder / f"{slug}.html"
        path.write_text(html, encoding="utf-8")
        self.names[path.name] = f"{name} {page.url}"

    def problems(self) -> list[str]:
        if not self.names:
            return []
        java = shutil.which("java")
        if java is None or not VNU_JAR.exists():
            message = (
                f"The Nu HTML Checker needs Java and {VNU_JAR}: install Java "
                "(apt-get install default-jre-headless) and run `make vnu`."
            )
            if os.environ.get("CI") == "true":
                return [f"--- HTML check: {message}"]
            warnings.warn(message, stacklevel=2)
            return []
        result = subprocess.run(
            [
                java,
                "-jar",
                str(VNU_JAR),
                "--errors-only",
                "--format",
                "json",
                "--stdout",
                *sorted(str(p) for p in self.folder.glob("*.html")),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        try:
            messages = json.loads(result.stdout or "{}").get("messages", [])
        except json.JSONDecodeError:
            return [f"--- HTML check could not run: {result.stderr[-500:]}"]
        out = []
        for message in messages:
            name = self.names.get(Path(message.get("url", "")).name, "?")
            out.append(
                f"--- invalid HTML on {name}, line {message.get('lastLine')}: "
                f"{message.get('message')} {message.get('extract', '')!r}"
            )
        shutil.rmtree(self.folder, ignore_errors=True)
        return out


def screenshot(page: Any, name: str, *, scheme: str = "light") -> None:
    """Save ``<name>-desktop.png`` and ``<name>-phone.png`` when asked for
    (``KAPTRAIN_SCREENSHOTS=1``), as small palette PNGs."""
    if not SAVE_SHOTS:
        return
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    size = page.viewport_size
    page.emulate_media(color_scheme=scheme)
    suffix = "" if scheme == "light" else f"-{scheme}"
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        height = page.evaluate("document.documentElement.scrollHeight")
        clip = {
            "x": 0,
            "y": 0,
            "width": viewport["width"],
            "height": max(viewport["height"], min(height, SHOT_MAX_HEIGHT[label])),
        }
        png = page.screenshot(full_page=True, clip=clip, animations="disabled")
        _save_small_png(png, SHOTS_DIR / f"{slug}{suffix}-{label}.png")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(size)


def _save_small_png(png: bytes, path: Path) -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=0)
    small.save(path, optimize=True)


def focus_is_visible(page: Any) -> bool:
    """Whether the focused element shows a focus indicator (outline or ring)."""
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          if (!el || el === document.body) return false;
          const s = getComputedStyle(el);
          const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
          const ring = s.boxShadow && s.boxShadow !== 'none';
          return outline || ring;
        }"""
    )


def text_of(html: str) -> str:
    """Visible text of a content HTML fragment, whitespace collapsed."""
    from bs4 import BeautifulSoup

    return normal(BeautifulSoup(html, "html.parser").get_text(" "))


def normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
