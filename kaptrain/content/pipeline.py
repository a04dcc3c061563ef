"""Read, check and render module folders, in this process or in worker processes.

Each module folder is one independent job: read and check its files, then
render it unless it has errors or an unchanged rendering can be reused (from the
previous catalog or the on-disk :class:`RenderCache`). When many modules need
rendering and the machine has several CPUs, jobs run in a pool of forked worker
processes. Fork, not spawn: a spawned worker re-imports the caller's main
script (a script without a ``__main__`` guard would run again in every worker)
and pays ~0.3 s of imports. Forking is only done while this process has a single
thread (start-up, the CLI), where it cannot inherit a lock held by another
thread; otherwise, and where fork is unavailable or unsafe (macOS, Windows), the
build runs serially.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from pathlib import Path

from kaptrain.content.assemble import assemble
from kaptrain.content.blocks import Scan
from kaptrain.content.cache import RenderCache
from kaptrain.content.model import Module
from kaptrain.content.modules import ModuleDraft, files_hash, list_files, load_module
from kaptrain.content.render import Links, Renderer

log = logging.getLogger(__name__)

#: Below this many modules to render, starting worker processes costs more than
#: it saves (each worker imports the renderer, about 0.3 s).
PARALLEL_MIN_MODULES = 8
MAX_WORKERS = 8


@dataclass(frozen=True)
class Job:
    """One module folder to read, with the hash of a rendering we could reuse."""

    folder: Path
    display: str
    reuse_hash: str | None = None


@dataclass
class Outcome:
    """What a job produced: the checked draft, and the module when it rendered
    (None when it has errors or ``reused`` says to keep the previous one)."""

    draft: ModuleDraft
    module: Module | None
    reused: bool = False
    rendered: bool = False


def quick_hash(folder: Path) -> str:
    """The content hash a job will find, without parsing (just reading bytes)."""
    return files_hash(list_files(folder))


def run_job(
    job: Job, renderer: Renderer, cache: RenderCache | None, links: Links | None
) -> Outcome:
    """Read and check one folder; render it when it is valid and not cached."""
    draft = load_module(job.folder, job.display)
    if draft.has_errors or draft.module is None:
        return Outcome(draft, None)
    if job.reuse_hash == draft.content_hash:
        return Outcome(draft, None, reused=True)
    key = cache.key(draft.content_hash, links) if cache else ""
    module = cache.get(key, job.folder) if cache else None
    if module is not None:
        return Outcome(draft, module)
    module = assemble(draft, renderer)
    if cache:
        cache.put(key, module)
    return Outcome(draft, module, rendered=True)


def _slim(draft: ModuleDraft) -> ModuleDraft:
    """Only what the site-wide rules and the catalog need, to keep pickles small."""
    draft.items = {}
    draft.files = {}
    draft.references = {}
    if draft.module is not None:
        draft.module.split = None
        draft.module.scan = Scan()
    return draft


_worker_renderers: dict[Links | None, Renderer] = {}


def _renderer(links: Links | None) -> Renderer:
    """This process's renderer for ``links``, built once (forked workers inherit
    the parent's, so none of them imports the Markdown extensions again)."""
    renderer = _worker_renderers.get(links)
    if renderer is None:
        renderer = _worker_renderers[links] = Renderer(links)
    return renderer


def _worker(task: tuple[Job, RenderCache | None, Links | None]) -> Outcome:
    job, cache, links = task
    outcome = run_job(job, _renderer(links), cache, links)
    _slim(outcome.draft)
    return outcome


def fork_context() -> BaseContext | None:
    """The fork start method when it is safe here, else None."""
    if (
        sys.platform == "darwin"
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return None
    if threading.active_count() > 1:
        return None
    return multiprocessing.get_context("fork")


def worker_count(pending: int, workers: int | None) -> int:
    """How many processes to use for ``pending`` modules to render."""
    if fork_context() is None:
        return 1
    if workers is not None:
        return max(1, min(workers, pending))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    cpus = cpus or os.cpu_count() or 1
    if cpus < 2 or pending < PARALLEL_MIN_MODULES:
        return 1
    return min(cpus, MAX_WORKERS, pending)


def run_jobs(
    jobs: list[Job],
    *,
    links: Links | None,
    cache: RenderCache | None,
    workers: int,
) -> list[Outcome]:
    """Run every job, in order; in ``workers`` processes when more than one."""
    context = fork_context() if workers > 1 else None
    if context is not None:
        try:
            return _run_parallel(context, jobs, links, cache, workers)
        except Exception as error:  # noqa: BLE001 - fall back, never fail a build
            log.warning("parallel content build failed (%s); building serially", error)
    # A renderer of its own: Markdown instances are not thread-safe, and serial
    # builds may run in threads (the web app's reload).
    renderer = Renderer(links)
    return [run_job(job, renderer, cache, links) for job in jobs]


def _run_parallel(
    context: BaseContext,
    jobs: list[Job],
    links: Links | None,
    cache: RenderCache | None,
    workers: int,
) -> list[Outcome]:
    # One module per task, handed to whichever worker is free: on a busy
    # machine one worker may get less CPU than the other, and fixed halves
    # would leave the faster one idle at the end. A module is ~50 ms of work,
    # so the per-task round trip (well under a millisecond) is noise.
    _renderer(links)  # built before forking, inherited by every worker
    tasks = [(job, cache, links) for job in jobs]
    # A Pool forks its workers before starting its helper threads.
    with context.Pool(workers) as pool:  # type: ignore[attr-defined]
        results = pool.map(_worker, tasks, chunksize=1)
    by_folder = {outcome.draft.path: outcome for outcome in results}
    return [by_folder[job.folder] for job in jobs]
