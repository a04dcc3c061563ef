"""Generate a large, valid modules tree for build benchmarks.

``generate_tree(directory, modules=100, lessons=8)`` writes ``modules`` module
folders, each with ``lessons`` lessons of about the size of the shipped lessons
(~9 KB of Markdown: headings, lists, emphasis, citations, links, a table, a
footnote, callouts), a branching vignette, a quiz with 6 questions per CE hour
and an evaluation. The text is pseudo-random but seeded, so two runs with the
same arguments write identical trees, and every module passes ``content check``
without warnings. Run it directly to time a build::

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
VIGNETTE_MINUTES = 10
EVALUATION_MINUTES = 5


def _sentence(rng: random.Random, cite: str | None = None) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(9, 18))]
    words[0] = words[0].capitalize()
    if rng.random() < 0.25:
        n = rng.randrange(len(words))
        words[n] = f"*{words[n]}*"
    if rng.random() < 0.15:
        n = rng.randrange(len(words))
        words[n] = f"**{words[n]}**"
    text = " ".join(words)
    if cite:
        text += f" [@{cite}]"
    return text + "."


def _paragraph(rng: random.Random, keys: list[str]) -> str:
    sentences = [
        _sentence(rng, rng.choice(keys) if rng.random() < 0.2 else None)
        for _ in range(rng.randint(4, 7))
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
        if section == 2:
            parts += [f"- {_sentence(rng)}" for _ in range(4)] + [""]
        if section == 3:
            parts += ["| Term | Meaning |", "|:--|:--|"]
            parts += [f"| {rng.choice(WORDS)} | {_sentence(rng)} |" for _ in range(3)]
            parts += [""]
        if section == 4:
            parts += ["::: note", _paragraph(rng, keys), ":::", ""]
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
            parts.append(f"- [{mark}] {_sentence(rng)}")
            if rng.random() < 0.5:
                parts.append(f"  > {_sentence(rng)}")
        parts += ["", f"Explanation: {_sentence(rng, rng.choice(keys))}", ":::", ""]
    return "\n".join(parts)


def _vignette(rng: random.Random) -> str:
    body = ["---", "kind: vignette", "id: case", "title: A case", "start: open"]
    body += [
        f"estimated_minutes: {VIGNETTE_MINUTES}",
        'based_on: "Fictional composite written for training."',
        "---",
        "",
    ]
    scenes = ["open", "middle", "late"]
    for n, node in enumerate(scenes):
        after = scenes[n + 1] if n + 1 < len(scenes) else "good-end"
        body += [f"::: scene {node}", _sentence(rng), "", f"? {_sentence(rng)}", ""]
        body += [f"- [best] {_sentence(rng)} -> {after}", f"  > {_sentence(rng)}"]
        body += [f"- [avoid] {_sentence(rng)} -> bad-end", f"  > {_sentence(rng)}"]
        body += [":::", ""]
    body += ["::: ending good-end", _sentence(rng), ":::", ""]
    body += ["::: ending bad-end", _sentence(rng), ":::", ""]
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
    keys = [f"author{k}-20{10 + k}" for k in range(1, 5)]
    minutes = lessons * LESSON_MINUTES + QUIZ_MINUTES + VIGNETTE_MINUTES
    minutes += EVALUATION_MINUTES
    # ce_hours in halves close to the minutes, so the M12 credit check passes.
    hours = max(0.5, round(minutes / 30) / 2)
    hours_text = f"{hours:g}"
    files = [f"lesson-{n:02d}.md" for n in range(1, lessons + 1)]
    files += ["case.md", "quiz.md", "evaluation.md"]
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
        _paragraph(rng, keys),
        "",
    ]
    (folder / "module.md").write_text("\n".join(meta))
    for n in range(1, lessons + 1):
        (folder / f"lesson-{n:02d}.md").write_text(_lesson(rng, n, lessons, keys))
    (folder / "case.md").write_text(_vignette(rng))
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
