"""Aggregate run records over seeds: means, spreads, and which settings vary."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone

import numpy as np

__all__ = [
    "scan_results",
    "malformed_note",
    "varying_axes",
    "group_records",
    "summarize",
    "fmt_mean_std",
    "machine_info",
]

#: Config fields that never define a group.
_IGNORED = ("seed", "tags", "device", "data_root")


def scan_results(path) -> tuple:
    """Read a results file, keeping count of the lines it cannot use.

    Parameters
    ----------
    path : str or Path
        A ``results.jsonl`` file, or the folder that holds one.

    Returns
    -------
    (records, malformed)
        The records, one per ``run_id`` in the order of their first line: the first line
        wins, except that a later record replaces a ``failed`` one (a failed run is tried
        again when its grid is rerun); and the 1-based numbers of the lines that are not a
        JSON object with a ``run_id`` and a ``config`` (garbage, or a write cut by a kill).
        :func:`minigrad.experiments.grid.read_results` is the same reading without the
        line numbers.

    Raises
    ------
    FileNotFoundError
        When there is no results file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "results.jsonl"
    >>> ok = '{"run_id": "a", "config": {}}'
    >>> _ = p.write_text(f'{ok}\\ngarbage\\n{ok}\\n{{"run_id": "b"}}\\n{ok[:9]}')
    >>> recs, bad = scan_results(p)
    >>> [r["run_id"] for r in recs], bad
    (['a'], [2, 4, 5])
    >>> failed = '{"run_id": "a", "config": {}, "status": "failed"}'
    >>> _ = p.write_text(f'{failed}\\n{ok}\\n')
    >>> [r.get("status") for r in scan_results(p)[0]]
    [None]
    """
    from pathlib import Path

    path = Path(path)
    if path.is_dir():
        path = path / "results.jsonl"
    records, malformed = {}, []
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                rec = None
            if (
                not isinstance(rec, dict)
                or not isinstance(rec.get("run_id"), str)
                or not isinstance(rec.get("config"), dict)
            ):
                malformed.append(number)
                continue
            rid = rec["run_id"]
            if rid not in records or records[rid].get("status") == "failed":
                records[rid] = rec
    return list(records.values()), malformed


def malformed_note(path, malformed) -> str:
    """One line saying how many lines of a results file were skipped, and which.

    Examples
    --------
    >>> malformed_note("out/results.jsonl", [3, 9])
    'out/results.jsonl: 2 malformed lines skipped (lines 3, 9)'
    """
    shown = ", ".join(map(str, malformed[:10])) + (", ..." if len(malformed) > 10 else "")
    noun = "line" if len(malformed) == 1 else "lines"
    return f"{path}: {len(malformed)} malformed {noun} skipped ({noun} {shown})"


def _key(value):
    return json_safe(value)


def view(record) -> dict:
    """A record's config with its tags merged in (``tags.base_lr`` becomes ``base_lr``).

    Examples
    --------
    >>> view({"config": {"lr": 0.1, "tags": {"base_lr": 0.05}}})
    {'lr': 0.1, 'base_lr': 0.05}
    """
    cfg = dict(record["config"])
    tags = cfg.pop("tags", None) or {}
    cfg.update(tags)
    return cfg


def json_safe(value):
    """Lists become tuples so values can be dict keys."""
    if isinstance(value, list):
        return tuple(json_safe(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, json_safe(v)) for k, v in value.items()))
    return value


def varying_axes(records) -> list:
    """Config fields (other than seed) that take more than one value, in config order.

    Examples
    --------
    >>> recs = [{"config": {"norm": n, "lr": 0.1, "seed": s}} for n in "ab" for s in (0, 1)]
    >>> varying_axes(recs)
    ['norm']
    """
    if not records:
        return []
    views = [view(r) for r in records]
    fields = list(dict.fromkeys(f for v in views for f in v))
    scaled = "base_lr" in fields
    out = []
    for f in fields:
        if f in _IGNORED or (scaled and f == "lr"):
            continue
        values = {_key(v.get(f)) for v in views}
        if len(values) > 1:
            out.append(f)
    return out


def group_records(records, axes) -> dict:
    """Records grouped by their values on ``axes`` (insertion order kept)."""
    groups: dict = {}
    for r in records:
        v = view(r)
        key = tuple(_key(v.get(a)) for a in axes)
        groups.setdefault(key, []).append(r)
    return groups


def _stats(values) -> dict:
    vals = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    if not vals:
        return {"mean": None, "std": None, "min": None, "max": None, "n": 0}
    a = np.asarray(vals, dtype=np.float64)
    return {
        "mean": float(a.mean()),
        "std": float(a.std(ddof=1)) if len(a) > 1 else 0.0,
        "min": float(a.min()),
        "max": float(a.max()),
        "n": len(a),
    }


def summarize(records, axes=None, metric: str = "test_acc") -> list:
    """One row per group: the axes' values, run counts and statistics of ``metric``.

    Diverged and failed runs count in ``runs`` and ``diverged`` / ``errors`` but not in
    the statistics (which are over the runs that finished).

    Returns
    -------
    list of dict
        ``{**axes, runs, ok, diverged, errors, <metric>: stats, train_acc_eval: stats,
        steps_per_s: stats}``.

    Examples
    --------
    >>> recs = [{"config": {"norm": "b", "seed": s}, "status": "ok",
    ...          "final": {"test_acc": a}} for s, a in ((0, 0.9), (1, 0.8))]
    >>> row = summarize(recs, ["norm"])[0]
    >>> row["norm"], row["runs"], round(row["test_acc"]["mean"], 3)
    ('b', 2, 0.85)
    """
    axes = varying_axes(records) if axes is None else axes
    rows = []
    for key, recs in group_records(records, axes).items():
        ok = [r for r in recs if r.get("status") == "ok"]
        row = dict(zip(axes, key))
        row.update(
            runs=len(recs),
            ok=len(ok),
            diverged=sum(r.get("status") == "diverged" for r in recs),
            errors=sum(r.get("status") in ("failed", "error") for r in recs),
        )
        for m in (metric, "train_acc_eval", "test_acc_batch_stats"):
            row[m] = _stats([(r.get("final") or {}).get(m) for r in ok])
        row["steps_per_s"] = _stats([r.get("steps_per_s") for r in ok])
        rows.append(row)
    return rows


def fmt_mean_std(stats: dict, scale: float = 100.0, digits: int = 1) -> str:
    """``'97.2 ± 0.4'`` from a stats dict (``'—'`` when nothing finished).

    Examples
    --------
    >>> fmt_mean_std({"mean": 0.9712, "std": 0.004, "n": 3})
    '97.1 ± 0.4'
    """
    if not stats or stats.get("mean") is None:
        return "—"
    return f"{stats['mean'] * scale:.{digits}f} ± {stats['std'] * scale:.{digits}f}"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _gpu_name() -> str | None:
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout else None


def machine_info() -> dict:
    """Where and when results were produced: date, CPU, cores, versions.

    Examples
    --------
    >>> sorted(machine_info())[:3]
    ['cpu', 'date_utc', 'gpu']
    """
    import minigrad

    return {
        "date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "nproc": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "gpu": _gpu_name(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "minigrad": getattr(minigrad, "__version__", "?"),
    }
