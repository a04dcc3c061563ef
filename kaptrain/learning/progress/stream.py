"""Reading every record query in one order and merging them user by user.

For exports of any size (:func:`.queries.progress_in_order`): the members and each
record query are read once, all sorted by the users' place in the export's order,
a batch of rows at a time, so the number of queries is fixed and memory holds one
user's facts and one batch per query however large the cohort.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, func, select

from kaptrain.extensions import db
from kaptrain.learning.progress.facts import Facts, Shape
from kaptrain.learning.progress.sources import SOURCES
from kaptrain.models import User


def _ranked(users: Select[Any], order_by: Sequence[Any]) -> Any:
    """Each user's place in the order, so the record queries sort on one integer
    rather than on text (collated comparisons of e-mail addresses made PostgreSQL
    spill the sort of a 5,000-trainee cohort's items to disk)."""
    return (
        select(
            User.id.label("user_id"),
            func.row_number().over(order_by=(*order_by, User.id)).label("position"),
        )
        .where(User.id.in_(users))
        .subquery()
    )


def _ordered(
    statement: Select[Any], ranked: Any, grouped: bool, rows: int, params: Any
) -> Iterator[Any]:
    """``statement``'s rows in the users' order, ``rows`` per round trip."""
    position = ranked.c.position
    user_id = statement.selected_columns[0]
    statement = statement.join(ranked, ranked.c.user_id == user_id).order_by(position)
    if grouped:
        statement = statement.group_by(position)
    connection = db.session.connection()
    return iter(connection.execute(statement.execution_options(yield_per=rows), params))


def stream_in_order(
    users: Select[Any],
    shapes: Mapping[str, Shape],
    statements: Mapping[str, Select[Any]],
    order_by: Sequence[Any],
    columns: Sequence[Any],
    batch: Mapping[str, int],
) -> Iterator[tuple[tuple[Any, ...], dict[str, Facts]]]:
    """Each member as ``((id, *columns), {module_id: facts})``, in order.

    ``shapes`` holds the modules read (by id), ``statements`` every source's
    record query (by source name), ``batch`` the rows per round trip by source
    name and ``"members"``.
    """
    params = {"module_ids": list(shapes)}
    ranked = _ranked(users, order_by)
    members = db.session.connection().execute(
        select(User.id, *columns)
        .join(ranked, ranked.c.user_id == User.id)
        .order_by(ranked.c.position)
        .execution_options(yield_per=batch["members"])
    )
    streams = [
        (
            _ordered(statements[s.name], ranked, s.grouped, batch[s.name], params),
            s.read,
        )
        for s in SOURCES
    ]
    heads = [next(stream, None) for stream, _ in streams]
    for member in members:
        user_id = member[0]
        facts: dict[str, Facts] = {}
        for n, (stream, read) in enumerate(streams):
            row = heads[n]
            while row is not None and row[0] == user_id:
                module_facts = facts.get(row[1])
                if module_facts is None:
                    module_facts = facts[row[1]] = Facts()
                read(module_facts, shapes[row[1]], row)
                row = next(stream, None)
            heads[n] = row
        yield tuple(member), facts
    if any(row is not None for row in heads):
        # Both sides sort by the same columns, so this is a bug, never data.
        raise RuntimeError("progress records out of step with the users' order")
