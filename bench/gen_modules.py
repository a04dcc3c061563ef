"""Generate a large, valid modules tree for build benchmarks.

``generate_tree(directory, modules=100, lessons=8)`` writes ``modules`` module
folders shaped like the shipped modules in ``modules/``, so a build of the tree
costs per megabyte what real content does (measured: about the same CPU per MB
as the shipped modules, slightly more): each has ``lessons`` lessons of ~9 KB
(headings and subheadings, two tables, bulleted and numbered lists with bold
lead-ins, citations in about a third of sentences, a link, a footnote, a note
and a reveal), two branching cases of ~10 KB (six scenes with three rated
choices and feedback, detours, two endings), a quiz with 6 questions per CE
hour and feedback on every option, a three-paragraph overview, twelve
references and an evaluation. The text is pseudo-random but seeded, so two runs
with the same arguments write identical trees, and every module passes
``content check`` without warnings. Run it directly to time a build::

    python bench/gen_modules.py [--modules 100] [--lessons 8] [--keep DIR]
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

WORDS = (
    "client therapist session racism injury stress trauma safety consent dose "
    "ketamine integration preparation supervision culture humility bias identity "
    "community family work school memory body breath pace trust rupture repair "
    "meaning context history harm care assessment measure screening referral plan "
    "evidence study sample effect risk benefit dissociation blood pressure monitoring "
    "setting music silence question answer listening reflection boundary role power"
).split()

LESSON_MINUTES = 20
QUIZ_MINUTES = 10
VIGNETTE_MINUTES = 15
CASES = 2
EVALUATION_MINUTES = 5


def _sentence(
    rng: random.Random, cite: str | None = None, length: tuple[int, int] = (9, 18)
) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(*length))]
    words[0] = words[0].capitalize()
    if rng.random() < 0.05:
        n = rng.randrange(len(words))
        words[n] = f"*{words[n]}*"
    if rng.random() < 0.15:
        n = rng.randrange(len(words))
        words[n] = f"**{words[n]}**"
    text = " ".join(words)
    if cite:
        text += f" [@{cite}]"
    return text + "."


def _cite(rng: random.Random, keys: list[str], rate: float) -> str | None:
    """A citation (sometimes of two works) for about ``rate`` of sentences."""
    if rng.random() >= rate:
        return None
    if rng.random() < 0.2:
        first, second = rng.sample(keys, 2)
        return f"{first}; @{second}"
    return rng.choice(keys)


def _paragraph(
    rng: random.Random, keys: list[str], length: tuple[int, int] = (3, 6)
) -> str:
    sentences = [
        _sentence(rng, _cite(rng, keys, 0.35)) for _ in range(rng.randint(*length))
    ]
    # Wrapped at about 80 columns, as authors write.
    lines, line = [], ""
    for word in " ".join(sentences).split(" "):
        if line and len(line) + len(word) > 78:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def _lesson(rng: random.Random, number: int, lessons: int, keys: list[str]) -> str:
    parts = [
        "---",
        "kind: lesson",
        f"id: lesson-{number}",
        f'title: "Lesson {number}: {rng.choice(WORDS)} and {rng.choice(WORDS)}"',
        f"estimated_minutes: {LESSON_MINUTES}",
        "objectives:",
        f"  - Describe {rng.choice(WORDS)} in {rng.choice(WORDS)}",
        "---",
        "",
    ]
    for section in range(1, 6):
        parts += [f"## Part {section}: {rng.choice(WORDS)}", ""]
        parts += [_paragraph(rng, keys), ""]
        if section == 1:
            parts += ["| Term | Meaning | Source |", "|---|---|---|"]
            parts += [
                f"| **{rng.choice(WORDS)}** | {_sentence(rng)} | "
                f"{_sentence(rng, rng.choice(keys))} |"
                for _ in range(5)
            ]
            parts += [""]
        if section == 2:
            parts += [f"- {_sentence(rng, _cite(rng, keys, 0.3))}" for _ in range(5)]
            parts += [""]
        if section == 3:
            parts += ["| Term | Meaning |", "|:--|:--|"]
            parts += [f"| {rng.choice(WORDS)} | {_sentence(rng)} |" for _ in range(5)]
            parts += [""]
        if section == 4:
            parts += ["::: note", _paragraph(rng, keys), ":::", ""]
            parts += [
                f"{n}. **{rng.choice(WORDS).capitalize()}.** {_sentence(rng)}"
                for n in range(1, 5)
            ]
            parts += [""]
        if section == 5:
            parts += [
                f"- **{rng.choice(WORDS).capitalize()}:** "
                f"{_sentence(rng, _cite(rng, keys, 0.3))}"
                for _ in range(5)
            ]
            parts += [""]
        if section % 2:
            parts += [f"### {rng.choice(WORDS).capitalize()} in practice", ""]
            parts += [_paragraph(rng, keys), ""]
    nxt = number + 1 if number < lessons else 1
    parts += [
        f"See [lesson {nxt}](lesson-{nxt:02d}.md) and a detail[^1].",
        "",
        "::: reveal Model answer",
        _paragraph(rng, keys),
        ":::",
        "",
        f"[^1]: {_sentence(rng)}",
        "",
    ]
    return "\n".join(parts)


def _quiz(rng: random.Random, questions: int, keys: list[str]) -> str:
    parts = [
        "---",
        "kind: quiz",
        "id: post-test",
        "title: Post-test",
        "pass_percent: 80",
        "pretest: true",
        f"estimated_minutes: {QUIZ_MINUTES}",
        "---",
        "",
    ]
    for n in range(1, questions + 1):
        correct = rng.randrange(4)
        parts += [f"::: question q{n}", ":type: single", "", _sentence(rng), ""]
        for option in range(4):
            mark = "x" if option == correct else " "
            parts.append(f"- [{mark}] {_sentence(rng, length=(5, 12))}")
            parts.append(f"  > {_sentence(rng, _cite(rng, keys, 0.3))}")
        explanation = " ".join(
            _sentence(rng, _cite(rng, keys, 0.8)) for _ in range(rng.choice((1, 1, 2)))
        )
        parts += ["", f"Explanation: {explanation}", ":::", ""]
    return "\n".join(parts)


def _vignette(rng: random.Random, number: int, keys: list[str]) -> str:
    """A case like the shipped ones (~10 KB): six scenes of one or two
    paragraphs, each with a prompt and three rated choices with feedback, three
    detour scenes that continue the story, and two endings."""
    body = ["---", "kind: vignette", f"id: case-{number}", f"title: Case {number}"]
    body += [
        "start: scene-1",
        f"estimated_minutes: {VIGNETTE_MINUTES}",
        'based_on: "Fictional composite written for training."',
        "---",
        "",
    ]
    scenes = 6
    for n in range(1, scenes + 1):
        after = f"scene-{n + 1}" if n < scenes else "good-end"
        avoid = f"detour-{n}" if n % 2 else after
        if n == scenes:
            avoid = "hard-end"
        body += [f"::: scene scene-{n}", _paragraph(rng, keys, (2, 4)), ""]
        if rng.random() < 0.25:
            body += [_paragraph(rng, keys, (2, 4)), ""]
        body += [f"? {_sentence(rng)}", ""]
        for rating, target in (("best", after), ("ok", after), ("avoid", avoid)):
            feedback = " ".join(
                _sentence(rng, _cite(rng, keys, 0.3)) for _ in range(rng.randint(1, 2))
            )
            body += [f'- [{rating}] "{_sentence(rng)}" -> {target}', f"  > {feedback}"]
        body += [":::", ""]
        if n % 2 and n < scenes:
            body += [f"::: scene detour-{n}", _paragraph(rng, keys, (2, 4))]
            body += [f"-> {after}"]
            body += [":::", ""]
    for ending in ("good-end", "hard-end"):
        body += [f"::: ending {ending}", _paragraph(rng, keys, (2, 4)), ":::", ""]
    return "\n".join(body)


EVALUATION = """---
kind: evaluation
id: course-evaluation
title: Course evaluation
estimated_minutes: 5
---

::: rating objectives-met
The objectives were met.
:::

::: comment improve
What would you change?
:::
"""


def _module(folder: Path, number: int, lessons: int, rng: random.Random) -> None:
    folder.mkdir(parents=True)
    keys = [f"author{k}-20{10 + k}" for k in range(1, 13)]
    minutes = lessons * LESSON_MINUTES + QUIZ_MINUTES + CASES * VIGNETTE_MINUTES
    minutes += EVALUATION_MINUTES
    # ce_hours in halves close to the minutes, so the M12 credit check passes.
    hours = max(0.5, round(minutes / 30) / 2)
    hours_text = f"{hours:g}"
    files = [f"lesson-{n:02d}.md" for n in range(1, lessons + 1)]
    files += [f"case-{n}.md" for n in range(1, CASES + 1)]
    files += ["quiz.md", "evaluation.md"]
    meta = [
        "---",
        "kind: module",
        f"id: bench-{number:03d}",
        f"title: Benchmark module {number}",
        "summary: A generated module for build benchmarks.",
        "version: 1.0.0",
        f"order: {number}",
        f"ce_hours: {hours_text}",
        "objectives:",
        "  - Describe the generated material",
        "contents:",
        *(f"  - {name}" for name in files),
        "---",
        "",
        *(f"{_paragraph(rng, keys)}\n" for _ in range(3)),
    ]
    (folder / "module.md").write_text("\n".join(meta))
    for n in range(1, lessons + 1):
        (folder / f"lesson-{n:02d}.md").write_text(_lesson(rng, n, lessons, keys))
    for n in range(1, CASES + 1):
        (folder / f"case-{n}.md").write_text(_vignette(rng, n, keys))
    questions = max(6, math.ceil(hours * 6))
    (folder / "quiz.md").write_text(_quiz(rng, questions, keys))
    (folder / "evaluation.md").write_text(EVALUATION)
    refs = "".join(
        f'{key}:\n  text: "Author, A. ({key[-4:]}). A study of {rng.choice(WORDS)}."\n'
        f"  url: https://example.org/{key}\n"
        for key in keys
    )
    (folder / "references.yaml").write_text(refs)


def generate_tree(
    directory: Path, modules: int = 100, lessons: int = 8, seed: int = 7
) -> Path:
    """Write ``modules`` valid modules of ``lessons`` lessons each under
    ``directory`` (created; must not exist or be empty) and return it."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for number in range(1, modules + 1):
        _module(directory / f"bench-{number:03d}", number, lessons, rng)
    return directory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=100)
    parser.add_argument("--lessons", type=int, default=8)
    parser.add_argument("--keep", type=Path, help="write the tree here and keep it")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from kaptrain.content import build_catalog

    with tempfile.TemporaryDirectory() as tmp:
        target = args.keep or Path(tmp) / "modules"
        if args.keep and target.exists():
            shutil.rmtree(target)
        generate_tree(target, args.modules, args.lessons)
        start = time.perf_counter()
        result = build_catalog(target)
        elapsed = time.perf_counter() - start
    catalog = result.catalog
    print(
        f"{len(catalog.modules)} modules built, {len(catalog.broken)} broken, "
        f"{len(result.problems)} problems in {elapsed:.2f} s"
    )
    return 0 if not result.problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
