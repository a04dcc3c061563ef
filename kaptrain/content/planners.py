"""A module's planners, authors and reviewers, each with a disclosure.

Accrediting bodies (APA, ACCME, NBCC, ASWB ACE) ask a CE provider to name the
people who planned and wrote an activity and to disclose each one's relevant
financial relationships (or that there are none) to learners before they start.
``module.md`` lists them under ``planners:``::

    planners:
      - name: "kaptrain content team"
        credentials: "Not recorded"
        role: author
        disclosure: none

Every entry needs all four fields; ``role`` is planner, author or reviewer.
A malformed entry is an error (M17); a module without ``planners`` builds, but
``content check --strict`` fails it (M18), so a provider filing for approval
cannot forget the disclosures.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from kaptrain.content.problems import Problems, did_you_mean
from kaptrain.content.reader import MetaValue

ROLES = ("planner", "author", "reviewer")
FIELDS = ("name", "credentials", "role", "disclosure")
#: Longest value kept for any field; a disclosure is a sentence or two.
FIELD_MAX = 1000
#: Front-matter keys whose value may be a list of mappings.
NESTED_KEYS = frozenset({"planners"})
_EXAMPLE = (
    'for example:  - name: "kaptrain content team", credentials: "Not recorded", '
    "role: author, disclosure: none"
)


@dataclass(frozen=True)
class Planner:
    """One person (or team) responsible for the module, with a disclosure."""

    name: str
    credentials: str
    role: str
    disclosure: str

    @property
    def has_relationships(self) -> bool:
        """True unless the disclosure says there are none."""
        return self.disclosure.strip().rstrip(".").casefold() not in {
            "none",
            "no relevant financial relationships",
        }


def _entry(node: yaml.Node, first_line: int, out: Problems) -> Planner | None:
    """One list entry as a Planner, or None after reporting what is wrong."""
    line = first_line + node.start_mark.line
    if not isinstance(node, yaml.MappingNode):
        out.error(line, "M17", f"each planner is a set of fields, {_EXAMPLE}")
        return None
    values: dict[str, str] = {}
    ok = True
    for key_node, value_node in node.value:
        key_line = first_line + key_node.start_mark.line
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
        if key not in FIELDS:
            hint = did_you_mean(str(key), FIELDS)
            out.error(key_line, "M17", f'unknown planner field "{key}".{hint}')
            ok = False
            continue
        if not isinstance(value_node, yaml.ScalarNode) or not value_node.value.strip():
            out.error(key_line, "M17", f'planner "{key}" must be a line of text')
            ok = False
            continue
        text = value_node.value.strip()
        if len(text) > FIELD_MAX:
            out.error(
                key_line, "M17", f'planner "{key}" is over {FIELD_MAX} characters'
            )
            ok = False
            continue
        values[key] = text
    missing = [f for f in FIELDS if f not in values]
    if ok and missing:
        out.error(
            line,
            "M17",
            f"planner is missing {', '.join(missing)}; write "
            '"Not recorded" for credentials you do not know and "none" for a '
            "disclosure without relevant financial relationships",
        )
        return None
    if not ok:
        return None
    if values["role"] not in ROLES:
        out.error(
            line,
            "M17",
            f'planner role "{values["role"]}" is not one of {", ".join(ROLES)}.'
            f"{did_you_mean(values['role'], ROLES)}",
        )
        return None
    return Planner(**values)


def read_planners(
    value: MetaValue, key: str, out: Problems
) -> tuple[Planner, ...] | None:
    """Convert the ``planners`` front-matter value (a schema converter)."""
    node = value.node
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        out.error(
            value.line,
            "M17",
            f'"{key}" must be a list of planners with name, credentials, role '
            f"and disclosure, {_EXAMPLE}",
        )
        return None
    planners = [_entry(item, value.first_line, out) for item in node.value]
    if any(p is None for p in planners):
        return None
    return tuple(p for p in planners if p is not None)


def check_planners_listed(raw_meta: dict[str, MetaValue], out: Problems) -> None:
    """Strict mode: a module must name its planners and their disclosures."""
    if "planners" not in raw_meta:
        out.strict_warning(
            1,
            "M18",
            "module.md lists no planners and disclosures; add a planners: list "
            f"(name, credentials, role, disclosure), {_EXAMPLE}",
        )
