"""Learning records as xAPI 1.0.3 statements, delivered to a Learning Record Store.

* :mod:`kaptrain.xapi.statements` and :mod:`kaptrain.xapi.facts` build the
  statements (deterministic ids, privacy by default);
* :mod:`kaptrain.xapi.outbox` writes them in the learner write's own transaction;
* :mod:`kaptrain.xapi.sender` delivers them (batches, retries, backoff);
* :mod:`kaptrain.xapi.backfill` queues statements for older records;
* :mod:`kaptrain.xapi.cli` is ``flask --app kaptrain xapi send|status|backfill``.

See docs/xapi.md.
"""

from __future__ import annotations

from flask import Flask


def init_xapi(app: Flask) -> None:
    """Hang the outbox on the learner-write path (it queues nothing unless
    ``KAPTRAIN_XAPI_ENDPOINT`` is set)."""
    from kaptrain.learning.unit_of_work import on_write
    from kaptrain.xapi.outbox import queue_for_write

    on_write(queue_for_write)
