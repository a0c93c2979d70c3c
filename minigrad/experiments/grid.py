"""Grids of runs with a durable, resumable results file.

Every finished run is appended to ``DIR/results.jsonl`` as one JSON line, then flushed
and fsynced, so a kill at any moment loses at most the run in progress. Rerunning the
same grid into the same folder reads the file, skips every run whose ``run_id`` is
already there and trains only the rest. A half-written last line (the kill came during
the write) is ignored and overwritten; duplicate lines are never written, and readers
keep the first line of each ``run_id``.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

from minigrad.experiments.config import RunConfig
from minigrad.experiments.progress import has_tqdm

__all__ = ["expand_grid", "read_results", "append_result", "run_grid", "RESULTS_FILE"]

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
    """Every complete record of a results file (first line per ``run_id`` wins).

    Lines that are not valid JSON (a write cut by a kill) are skipped.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "results.jsonl"
    >>> _ = p.write_text('{"run_id": "a"}\\n{"run_id": "a"}\\n{"run_id": "b"')
    >>> [r["run_id"] for r in read_results(p)]
    ['a']
    """
    path = Path(path)
    if path.is_dir():
        path = path / RESULTS_FILE
    if not path.exists():
        return []
    records, seen = [], set()
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            rid = rec.get("run_id")
            if rid is None or rid in seen:
                continue
            seen.add(rid)
            records.append(rec)
    return records


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


def _run_one(config: RunConfig, out_dir: Path, progress) -> dict:
    from minigrad.experiments.runner import train

    return train(config, out_dir=out_dir, progress=progress)


def run_grid(
    configs,
    out_dir,
    run_fn=None,
    progress="auto",
    log=print,
    keep_run_dirs: bool = True,
) -> list:
    """Train every config not already in ``out_dir/results.jsonl`` and append each result.

    Parameters
    ----------
    configs : sequence of RunConfig
        Validated before anything runs (a bad config stops the grid before it starts).
    out_dir : str or Path
        The grid's folder; runs write into ``out_dir/runs/<run_id>/``.
    run_fn : callable, optional
        ``run_fn(config, run_dir, progress) -> result dict`` (default: :func:`train`).
        Tests inject failures here. An exception other than ``KeyboardInterrupt`` /
        ``SystemExit`` is recorded as ``status='error'`` and the grid goes on.
    progress : str or bool
        Progress mode of each run (see :class:`ProgressBar`).
    log : callable
        Receives one line per run.
    keep_run_dirs : bool
        Give each run its own folder with its metrics and checkpoint.

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
    configs = list(configs)
    for c in configs:
        c.validate()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / RESULTS_FILE
    _repair_tail(path)
    done = {r["run_id"] for r in read_results(path)}
    ids, todo = set(), []
    for c in configs:
        rid = c.run_id()
        if rid not in done and rid not in ids:
            ids.add(rid)
            todo.append(c)
    skipped = len({c.run_id() for c in configs} & done)
    if skipped:
        log(f"resuming {out}: {skipped} of {len(configs)} runs already done, {len(todo)} to go")
    run_fn = run_fn or _run_one
    outer = None
    if progress in ("auto", "bar", True) and has_tqdm() and len(todo) > 1:
        from tqdm import tqdm

        outer = tqdm(total=len(todo), desc="grid", position=0, dynamic_ncols=True)
        progress = "none"  # one bar for the grid; per-run bars would flicker
    try:
        for i, c in enumerate(todo, 1):
            rid = c.run_id()
            run_dir = out / "runs" / rid if keep_run_dirs else None
            try:
                rec = run_fn(c, run_dir, progress)
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:  # recorded; the grid goes on
                rec = {
                    "run_id": rid,
                    "config": c.to_dict(),
                    "status": "error",
                    "error": f"{type(exc).__name__}: {exc}",
                }
            rec["run_id"] = rid
            append_result(path, rec)
            acc = (rec.get("final") or {}).get("test_acc")
            msg = f"[{i}/{len(todo)}] {rid}: {rec.get('status')}"
            if isinstance(acc, float):
                msg += f" test_acc={acc:.4f}"
            if rec.get("status") == "error":
                msg += f" ({rec.get('error')})"
            if outer is not None:
                outer.update(1)
                outer.set_postfix_str(msg.split("] ", 1)[1][:60])
            else:
                log(msg)
    finally:
        if outer is not None:
            outer.close()
    return read_results(path)
