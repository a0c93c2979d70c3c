"""Grids of runs with a durable, resumable results file.

The runs of a grid execute where an executor puts them (this process, one worker process
per core, a Dask cluster: :mod:`minigrad.experiments.executor`); workers return records and
the driver, the only writer, appends each to ``DIR/results.jsonl`` as one JSON line, then
flushes and fsyncs it, as the run completes. A kill of the driver at any moment loses at
most the runs in progress. Rerunning the same grid into the same folder reads the file,
skips every run whose ``run_id`` is already there and trains only the rest (and the runs
recorded as ``failed``). A half-written last line (the kill came during the write) is
ignored and overwritten; duplicate lines are never written, and readers keep the first line
of each ``run_id``. A finished grid's lines are put back in grid order.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
import traceback
from pathlib import Path

from minigrad.experiments.config import RunConfig
from minigrad.experiments.progress import has_tqdm

__all__ = [
    "expand_grid",
    "read_results",
    "append_result",
    "run_grid",
    "longest_first",
    "execute_run",
    "failed_record",
    "count_failed",
    "RESULTS_FILE",
]

RESULTS_FILE = "results.jsonl"


def expand_grid(base: RunConfig, **axes) -> list:
    """The cartesian product of ``axes`` (field name -> list of values) over ``base``.

    Seeds vary fastest, so a grid stopped early has complete seed groups first.

    Examples
    --------
    >>> cs = expand_grid(RunConfig(), norm=["batch", "none"], seed=[0, 1])
    >>> [(c.norm, c.seed) for c in cs]
    [('batch', 0), ('batch', 1), ('none', 0), ('none', 1)]
    """
    names = list(axes)
    for name in names:
        if name not in RunConfig.__dataclass_fields__:
            raise ValueError(f"expand_grid: {name!r} is not a RunConfig field")
        if not isinstance(axes[name], (list, tuple)) or not axes[name]:
            raise ValueError(f"expand_grid: {name} needs a non-empty list of values")
    return [
        base.replace(**dict(zip(names, values)))
        for values in itertools.product(*(axes[n] for n in names))
    ]


def read_results(path) -> list:
    """Every complete record of a results file, one per ``run_id`` (none if it is missing).

    The first line of each ``run_id`` wins, except that a later record replaces a
    ``failed`` one (a failed run is tried again when its grid is rerun). Lines that are
    not a record (a write cut by a kill) are skipped; :func:`~minigrad.experiments.results.
    scan_results` also says which.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "results.jsonl"
    >>> ok = '{"run_id": "a", "config": {}}'
    >>> _ = p.write_text(f'{ok}\\n{ok}\\n{{"run_id": "b"')
    >>> [r["run_id"] for r in read_results(p)]
    ['a']
    """
    from minigrad.experiments.results import scan_results

    path = Path(path)
    if path.is_dir():
        path = path / RESULTS_FILE
    if not path.exists():
        return []
    return scan_results(path)[0]


def _repair_tail(path: Path) -> None:
    """Cut a partial last line left by a kill during a write."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as f:
        data = f.read()
        if data.endswith(b"\n"):
            return
        cut = data.rfind(b"\n") + 1
        f.seek(cut)
        f.truncate()
        f.flush()
        os.fsync(f.fileno())


def append_result(path, record: dict) -> None:
    """Append one record as a JSON line, durably (flush and fsync)."""
    line = json.dumps(record, default=str, allow_nan=True)
    if "\n" in line:
        raise ValueError("append_result: record serialized to more than one line")
    with open(path, "a") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def _rewrite_in_order(path: Path, order: dict) -> None:
    """Rewrite the results file with this grid's runs in grid order (atomically).

    Runs finish in any order on several workers; once a grid is complete its records are
    put back in the order of its configs, so the file and the report do not depend on the
    executor. Records of other grids in the same folder keep their order, first.
    """
    records = read_results(path)
    others = [r for r in records if r["run_id"] not in order]
    mine = sorted((r for r in records if r["run_id"] in order), key=lambda r: order[r["run_id"]])
    new = others + mine
    lines = path.read_text().splitlines()
    if len(lines) == len(new) and all(
        f'"run_id": {json.dumps(r["run_id"])}' in line for r, line in zip(new, lines)
    ):
        return  # already in order, one line per run
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        for r in new:
            f.write(json.dumps(r, default=str, allow_nan=True) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _run_one(config: RunConfig, out_dir: Path, progress) -> dict:
    from minigrad.experiments.runner import train

    return train(config, out_dir=out_dir, progress=progress)


def failed_record(config: RunConfig, error: str, tb: str = "") -> dict:
    """The record of a run that raised: ``status='failed'``, its error and traceback.

    Examples
    --------
    >>> r = failed_record(RunConfig(), "ValueError: boom")
    >>> r["status"], r["error"]
    ('failed', 'ValueError: boom')
    """
    return {
        "run_id": config.run_id(),
        "config": config.to_dict(),
        "status": "failed",
        "error": error,
        "traceback": tb,
    }


def execute_run(run_fn, config: RunConfig, run_dir, progress) -> dict:
    """Run one config where the executor placed it and return its record.

    An exception (other than ``KeyboardInterrupt`` / ``SystemExit``) becomes a
    :func:`failed_record` with the traceback, so a worker always returns a record.

    Examples
    --------
    >>> def boom(config, run_dir, progress):
    ...     raise RuntimeError("injected")
    >>> rec = execute_run(boom, RunConfig(), None, "none")
    >>> rec["status"], rec["error"], "RuntimeError" in rec["traceback"]
    ('failed', 'RuntimeError: injected', True)
    """
    try:
        rec = (run_fn or _run_one)(config, run_dir, progress)
    except Exception as exc:  # recorded; the grid goes on
        return failed_record(config, f"{type(exc).__name__}: {exc}", traceback.format_exc())
    rec["run_id"] = config.run_id()
    return rec


def _grid_mode(progress) -> str:
    """``bar``, ``plain`` or ``none``: ``auto`` is a bar on a terminal with tqdm."""
    if progress is True or progress == "auto":
        tty = getattr(sys.stderr, "isatty", lambda: False)()
        return "bar" if tty and has_tqdm() else "plain"
    if progress in (False, None, "none"):
        return "none"
    if progress not in ("bar", "plain"):
        raise ValueError(f"progress mode must be auto, bar, plain or none, got {progress!r}")
    return "bar" if progress == "bar" and has_tqdm() else "plain"


def _line(i: int, n: int, rec: dict) -> str:
    msg = f"[{i}/{n}] {rec['run_id']}: {rec.get('status')}"
    acc = (rec.get("final") or {}).get("test_acc")
    if isinstance(acc, float):
        msg += f" test_acc={acc:.4f}"
    if rec.get("status") == "failed":
        msg += f" ({rec.get('error')})"
    return msg


def longest_first(configs) -> list:
    """``configs`` in the order a pool of workers should start them: longest runs first.

    A run's length is taken as its optimizer steps per training sample, ``epochs /
    batch_size`` (the samples are the same within a grid); ties keep the grid's order.
    Starting the longest jobs first (Graham's LPT rule) leaves the short runs for the end,
    so no worker waits alone on one long run while the others are idle. The order changes
    only when each run starts, never its result.

    Examples
    --------
    >>> from minigrad.experiments.config import RunConfig
    >>> cfgs = [RunConfig(batch_size=b, seed=s) for b in (32, 4) for s in (0, 1)]
    >>> [(c.batch_size, c.seed) for c in longest_first(cfgs)]
    [(4, 0), (4, 1), (32, 0), (32, 1)]
    """
    return sorted(configs, key=lambda c: c.epochs / c.batch_size, reverse=True)


def run_grid(
    configs,
    out_dir,
    run_fn=None,
    progress="auto",
    log=print,
    keep_run_dirs: bool = True,
    executor="serial",
    workers=None,
    scheduler=None,
    timeout=None,
) -> list:
    """Train every config not already in ``out_dir/results.jsonl`` and append each result.

    The runs execute where ``executor`` puts them (this process, local worker processes,
    a Dask cluster); this process is the only writer of ``results.jsonl``: each record is
    appended and fsynced as its run completes, so a kill (Ctrl-C, SIGKILL) loses nothing
    recorded and rerunning the same grid resumes. On Dask the runs start longest first
    (:func:`longest_first`) and finish in any order; a finished grid's file is put back in
    grid order.

    Parameters
    ----------
    configs : sequence of RunConfig
        Validated before anything runs (a bad config stops the grid before it starts).
    out_dir : str or Path
        The grid's folder; runs write into ``out_dir/runs/<run_id>/`` (on a cluster, a
        folder every worker can write).
    run_fn : callable, optional
        ``run_fn(config, run_dir, progress) -> result dict`` (default: :func:`train`).
        Must be picklable for the Dask executors (a module-level function or a closure).
        An exception is recorded as ``status='failed'`` with its error and traceback and
        the grid goes on; a failed run is tried again when the grid is rerun.
    progress : {'auto', 'bar', 'plain', 'none'} or bool
        ``bar`` / ``auto``: one tqdm bar for the grid (runs done / total, failed, ETA);
        ``plain``: one line per finished run; ``none``: only the summary.
    log : callable
        Receives the resume, per-run (plain) and summary lines.
    keep_run_dirs : bool
        Give each run its own folder with its metrics and checkpoint.
    executor : {'serial', 'local', 'dask'}, Executor or None
        Where runs execute (see :mod:`minigrad.experiments.executor`); ``None`` picks
        ``local`` when Dask is installed. An :class:`Executor` instance is used and left
        open; a name is started for this grid (only if something is left to run) and closed.
    workers, scheduler
        Passed to :func:`make_executor` with a name.
    timeout : float, optional
        Seconds to wait for the whole grid on a Dask executor (tests).

    Returns
    -------
    list of dict
        All records in the results file after the grid (old and new).

    Examples
    --------
    Two tiny runs (a few seconds); running the same grid again trains nothing:

    >>> import tempfile
    >>> from minigrad.experiments.config import RunConfig
    >>> from minigrad.experiments.grid import run_grid
    >>> out = tempfile.mkdtemp()
    >>> cfgs = [RunConfig(model="mlp", norm=n, width=8, epochs=1, subset=200,
    ...                   test_subset=100) for n in ("none", "batch")]
    >>> recs = run_grid(cfgs, out, progress="none", log=lambda s: None)
    >>> sorted(r["status"] for r in recs)
    ['ok', 'ok']
    >>> len(run_grid(cfgs, out, progress="none", log=lambda s: None))
    2
    """
    from minigrad.experiments.executor import Executor, make_executor

    configs = list(configs)
    for c in configs:
        c.validate()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / RESULTS_FILE
    _repair_tail(path)
    status = {r["run_id"]: r.get("status") for r in read_results(path)}
    order, todo = {}, []
    for c in configs:
        rid = c.run_id()
        if rid in order:
            continue
        order[rid] = len(order)
        if status.get(rid) in (None, "failed"):
            todo.append(c)
    done = len(order) - len(todo)
    if done:
        retried = sum(status.get(c.run_id()) == "failed" for c in todo)
        again = f" ({retried} failed before, tried again)" if retried else ""
        log(f"resuming {out}: {done} of {len(order)} runs already done, {len(todo)} to go{again}")
    if not todo:
        return read_results(path)

    own = not isinstance(executor, Executor)
    ex = make_executor(executor, workers, scheduler, log=log) if own else executor
    mode = _grid_mode(progress)
    grid_bar = mode == "bar" and (len(todo) > 1 or ex.name != "serial")
    if ex.name == "serial":
        run_progress = "none" if grid_bar or progress == "none" else progress
    else:
        run_progress = "none"  # runs on workers print nothing; the driver reports
    bar = None
    if grid_bar:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=f"grid ({ex.name})", unit="run", dynamic_ncols=True)
    t0 = time.perf_counter()
    counts = {"ok": 0, "diverged": 0, "failed": 0}
    by_id = {c.run_id(): c for c in todo}
    if ex.name != "serial":
        todo = longest_first(todo)
    runs = out.resolve() / "runs"  # absolute: a worker's working folder may differ
    tasks = [
        (
            f"run-{c.run_id()}",
            (run_fn, c, runs / c.run_id() if keep_run_dirs else None, run_progress),
        )
        for c in todo
    ]
    try:
        n = 0
        for key, rec, error in ex.map(execute_run, tasks, timeout=timeout):
            rid = key[len("run-") :]
            if error is not None:  # the executor gave up on the task (workers kept dying)
                rec = failed_record(by_id[rid], f"{type(error).__name__}: {error}")
            rec["run_id"] = rid
            append_result(path, rec)
            n += 1
            st = rec.get("status")
            counts[st if st in counts else "failed"] += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(failed=counts["failed"], refresh=False)
            elif mode == "plain":
                log(_line(n, len(todo), rec))
    finally:
        if bar is not None:
            bar.close()
        if own:
            ex.close()
    _rewrite_in_order(path, order)
    log(
        f"grid: {len(todo)} runs in {time.perf_counter() - t0:.1f} s on the {ex.name} "
        f"executor: {counts['ok']} ok, {counts['diverged']} diverged, {counts['failed']} failed"
    )
    return read_results(path)


def count_failed(records, configs=None) -> int:
    """How many records (of ``configs``' runs, if given) have ``status='failed'``.

    Examples
    --------
    >>> count_failed([{"run_id": "a", "status": "failed"}, {"run_id": "b", "status": "ok"}])
    1
    """
    ids = None if configs is None else {c.run_id() for c in configs}
    return sum(r.get("status") == "failed" and (ids is None or r["run_id"] in ids) for r in records)
