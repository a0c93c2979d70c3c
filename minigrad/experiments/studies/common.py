"""What every study shares: its folder layout, the report frame, small statistics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from minigrad.experiments.grid import read_results, run_grid
from minigrad.experiments.report import machine_section, read_meta, table, write_meta
from minigrad.experiments.results import fmt_mean_std, summarize, view

__all__ = [
    "Study",
    "TOY_SCALE",
    "run_configs",
    "final",
    "mean_std",
    "pct",
    "table",
    "fmt_mean_std",
    "summarize",
    "view",
    "by",
]

TOY_SCALE = (
    "**Scale.** This is a toy-scale replication: the bundled 8x8 digits (1,438 training and "
    "359 test images), models with a few thousand parameters, a few epochs, 2-3 seeds, on "
    "a shared 2-core CPU. It tests whether the *direction* of the published effect shows up "
    "at this scale, not its size; a claim that does not hold here is reported as such."
)


class Study:
    """A named study: a preset grid, an analysis, and the claim it tests.

    Subclasses set ``NAME``, ``TITLE``, ``CLAIM`` (markdown, quoting CLAIMS.md), and
    implement :meth:`configs` and :meth:`analyze`; a study with its own training loop
    overrides :meth:`run`.
    """

    NAME = ""
    TITLE = ""
    CLAIM = ""
    SETUP = ""

    def configs(self, quick: bool) -> list:
        """The grid of :class:`RunConfig` (``quick``: a tiny smoke-test version)."""
        raise NotImplementedError

    def run(self, out: Path, quick: bool, progress, executor="serial") -> list:
        """Train the grid (resumable) on ``executor`` and return the records."""
        return run_configs(self.configs(quick), out, progress, executor=executor)

    def analyze(self, records, out: Path) -> str:
        """Markdown: tables, figures and the verdict, computed from the records."""
        raise NotImplementedError

    def report(self, out: Path) -> Path:
        """Write ``out/report.md`` from the records in ``out``."""
        out = Path(out)
        records = read_results(out)
        meta = read_meta(out)
        body = self.analyze(records, out)
        lines = [
            f"# Study `{self.NAME}`: {self.TITLE}",
            "",
            "## Claim tested",
            "",
            self.CLAIM.strip(),
            "",
            "## Setup",
            "",
            self.SETUP.strip(),
            "",
            TOY_SCALE,
            "",
        ]
        if meta.get("quick"):
            lines += ["**This is a `--quick` smoke run: the numbers mean nothing.**", ""]
        total = sum(float(r.get("time_s") or 0.0) for r in records)
        lines += [
            body.strip(),
            "",
            "## Data",
            "",
            f"Every run's configuration and results: [results.jsonl](results.jsonl) "
            f"({len(records)} runs, {total:.0f} s of training in total, summed over runs).",
            "",
            machine_section(meta),
        ]
        path = out / "report.md"
        path.write_text("\n".join(lines))
        return path

    def execute(
        self, out, quick: bool = False, progress="auto", command: str = "", executor="serial"
    ) -> Path:
        """Run the study into ``out`` (resuming a partial run) and write its report.

        ``executor`` (a name or an :class:`~minigrad.experiments.executor.Executor`) is
        where the study's runs execute: every study's grid goes through
        :func:`~minigrad.experiments.grid.run_grid`.
        """
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "study.json").write_text(json.dumps({"study": self.NAME, "quick": quick}) + "\n")
        write_meta(out, command or f"minigrad study {self.NAME} --out {out}", {"quick": quick})
        self.run(out, quick, progress, executor=executor)
        return self.report(out)


def run_configs(configs, out, progress, run_fn=None, executor="serial"):
    """Run a study's grid (resumable, on ``executor``, keeping only ``results.jsonl``);
    see :func:`minigrad.experiments.grid.run_grid`."""
    return run_grid(
        configs, out, run_fn=run_fn, progress=progress, keep_run_dirs=False, executor=executor
    )


def final(record, key="test_acc"):
    """A final metric of a finished run, else ``None``."""
    if record.get("status") != "ok":
        return None
    return (record.get("final") or {}).get(key)


def by(records, **match) -> list:
    """The records whose config (with tags) matches every ``key=value``."""
    return [r for r in records if all(view(r).get(k) == v for k, v in match.items())]


def mean_std(values) -> tuple:
    """``(mean, sample std, n)`` of the finite values (``(nan, nan, 0)`` if none)."""
    vals = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if not len(vals):
        return float("nan"), float("nan"), 0
    return float(vals.mean()), float(vals.std(ddof=1)) if len(vals) > 1 else 0.0, len(vals)


def pct(m, s=None, digits=1) -> str:
    """Percent text for a fraction and its spread."""
    if m is None or not np.isfinite(m):
        return "—"
    if s is None:
        return f"{100 * m:.{digits}f}"
    return f"{100 * m:.{digits}f} ± {100 * s:.{digits}f}"
