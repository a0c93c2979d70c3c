"""What every study shares: its folder layout, the declared claims, the report frame.

A study declares its claims (:class:`~minigrad.experiments.statistics.Claim`: the claim's
words and source, the quantity compared, the predicted direction, the rule) in its class
definition, before anything runs. After the runs, :meth:`Study.evidence` picks from the
records the per-seed values each claim compares (or the points of a trend), and the
verdict is computed by :func:`~minigrad.experiments.statistics.evaluate` from a paired
confidence interval: nobody writes it. A ``--quick`` run is a smoke test: its report says
so and gives no verdict.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np

from minigrad.experiments.grid import read_results, run_grid
from minigrad.experiments.report import machine_section, read_meta, table, write_meta
from minigrad.experiments.results import fmt_mean_std, summarize, view

__all__ = [
    "Study",
    "SCALE",
    "QUICK_NOTE",
    "DEFAULT_SEEDS",
    "data_settings",
    "seeds",
    "value",
    "per_seed",
    "paired_cells",
    "run_configs",
    "final",
    "mean_std",
    "pct",
    "table",
    "fmt_mean_std",
    "summarize",
    "view",
    "by",
    "claims_markdown",
]

#: Seeds per setting of a full study run (every comparison pairs them).
DEFAULT_SEEDS = 5

SCALE = (
    "**Scale.** mnist1d at its standard size (Greydanus 2020: 4,000 training and 1,000 "
    "test signals of length 40 in 10 classes, generated locally by the `mnist1d` package "
    "of the `datasets` extra), small models (thousands to tens of thousands of "
    "parameters), every setting run with the same seeds; a seed fixes the initial weights "
    "and the order of the batches, so two settings with the same seed differ only in the "
    "setting compared. Each claim's verdict comes from the 95% confidence interval of the "
    "paired per-seed difference (or of a fitted slope): **held** when it excludes 0 on the "
    "side the claim predicts, **contradicted** when it excludes 0 on the other side, **not "
    "resolved** when it contains 0."
)

QUICK_NOTE = (
    "**Smoke test.** This is a `--quick` run: a tiny grid (64 of the bundled 8x8 digits, "
    "one seed, one epoch) that checks the study runs end to end. Its numbers mean nothing "
    "and it gives no verdict; run the study without `--quick` for one."
)


def data_settings(quick: bool) -> dict:
    """The data fields of a study's runs: mnist1d at its standard size, or (``quick``)
    64 training and 64 test digits and one epoch.

    Examples
    --------
    >>> data_settings(False)
    {'dataset': 'mnist1d'}
    >>> data_settings(True)["subset"]
    64
    """
    if quick:
        return {"dataset": "digits", "subset": 64, "test_subset": 64, "epochs": 1}
    return {"dataset": "mnist1d"}


def seeds(quick: bool, n: int = DEFAULT_SEEDS) -> list:
    """The seeds of every setting: ``[0]`` for a smoke test, else ``0..n-1``.

    Examples
    --------
    >>> seeds(True), seeds(False)
    ([0], [0, 1, 2, 3, 4])
    """
    return [0] if quick else list(range(n))


def final(record, key="test_acc"):
    """A final metric of a finished run, else ``None``."""
    if record.get("status") != "ok":
        return None
    return (record.get("final") or {}).get(key)


def value(record, key: str = "test_err"):
    """One number of a finished run (``None`` for a diverged or failed one).

    ``test_err`` / ``test_acc`` are the final test error / accuracy in percent (eval
    mode); ``train_acc`` the final training accuracy in eval mode, in percent; other keys
    are read from the run's ``final`` row, then from the record itself.

    Examples
    --------
    >>> round(value({"status": "ok", "final": {"test_acc": 0.9}}), 6)
    10.0
    >>> value({"status": "diverged", "final": {}}) is None
    True
    """
    if record.get("status") != "ok":
        return None
    fin = record.get("final") or {}
    if key in ("test_err", "test_acc"):
        acc = fin.get("test_acc")
        if acc is None:
            return None
        return 100 * (1 - acc) if key == "test_err" else 100 * acc
    if key == "train_acc":
        acc = fin.get("train_acc_eval")
        return None if acc is None else 100 * acc
    v = fin.get(key, record.get(key))
    return None if v is None or not math.isfinite(float(v)) else float(v)


def by(records, **match) -> list:
    """The records whose config (with tags) matches every ``key=value``."""
    return [r for r in records if all(view(r).get(k) == v for k, v in match.items())]


def per_seed(records, key="test_err", **match) -> dict:
    """``{seed: value}`` of the finished runs matching ``match`` (``key`` a name for
    :func:`value` or a callable of the record)."""
    out = {}
    for r in by(records, **match):
        v = key(r) if callable(key) else value(r, key)
        if v is not None and math.isfinite(v):
            out[r["config"]["seed"]] = float(v)
    return out


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


def paired_cells(a: dict, b: dict, digits: int = 1) -> str:
    """``mean [lo, hi]`` of the paired differences ``a - b`` (95% t-interval), for tables.

    Examples
    --------
    >>> paired_cells({0: 3.0, 1: 4.0, 2: 5.0}, {0: 1.0, 1: 1.5, 2: 2.0})
    '+2.5 [1.3, 3.7]'
    """
    from minigrad.experiments.statistics import paired_difference

    v = paired_difference(a, b)
    if v.n == 0:
        return "—"
    if math.isnan(v.ci_low):
        return f"{v.estimate:+.{digits}f}"
    return f"{v.estimate:+.{digits}f} [{v.ci_low:.{digits}f}, {v.ci_high:.{digits}f}]"


_SIGN_WORDS = {1: "positive (> 0)", -1: "negative (< 0)"}


def claims_markdown(claims: dict, module: str = "") -> str:
    """The report section quoting each declared claim, its source, quantity and rule."""
    where = f" (`{module}`)" if module else ""
    lines = [
        f"Declared in the study's definition{where} before any run: each claim in its "
        "source's words, the quantity that tests it, the sign the claim predicts, and the "
        "rule that decides.",
        "",
    ]
    for i, (key, c) in enumerate(claims.items(), 1):
        lines += [f"**{i}. `{key}`**", "", f"> {c.text.strip()}", "", f"- Source: {c.source}"]
        lines.append(f"- Quantity: {c.quantity}; the claim predicts it is {_SIGN_WORDS[c.sign]}.")
        pc = f"{100 * c.confidence:g}%"
        if c.rule == "paired":
            how = "t-interval" if c.method == "t" else "bootstrap (BCa) interval"
            lines.append(
                f"- Rule: paired by seed (same seed: same initial weights and batch order, one "
                f"setting changed); {pc} {how} of the mean per-seed difference."
            )
        else:
            lines.append(
                f"- Rule: least-squares slope over every run (each seed a point), with its {pc} "
                "t-interval."
            )
        if c.published:
            lines.append(f"- Published: {c.published}")
        lines.append("")
    return "\n".join(lines)


class Study:
    """A named study: a preset grid, its declared claims, an analysis.

    Subclasses set ``NAME``, ``TITLE``, ``SETUP`` (markdown) and ``CLAIMS`` (``{key:
    Claim}``), and implement :meth:`configs`, :meth:`analyze` (tables and figures) and
    :meth:`evidence` (what each claim compares); a study with its own training loop
    overrides :meth:`run`.
    """

    NAME = ""
    TITLE = ""
    SETUP = ""
    CLAIMS: dict = {}
    #: Scale paragraph of a full run's report.
    SCALE = SCALE

    def configs(self, quick: bool) -> list:
        """The grid of :class:`RunConfig` (``quick``: a tiny smoke-test version)."""
        raise NotImplementedError

    def run(self, out: Path, quick: bool, progress, executor="serial") -> list:
        """Train the grid (resumable) on ``executor`` and return the records."""
        return run_configs(self.configs(quick), out, progress, executor=executor)

    def analyze(self, records, out: Path) -> str:
        """Markdown: tables and figures computed from the records (no verdict)."""
        raise NotImplementedError

    def evidence(self, records) -> dict:
        """``{claim key: dict(a=..., b=...)}`` (paired: ``{seed: value}`` per side) or
        ``dict(x=[...], y=[...])`` (trend), optionally with ``note`` (markdown)."""
        raise NotImplementedError

    def verdicts(self, records) -> list:
        """Each declared claim with its computed :class:`Verdict` (``None`` when the
        records hold nothing to compare), as ``(key, claim, verdict, note)``."""
        from minigrad.experiments.statistics import evaluate

        ev = self.evidence(records)
        out = []
        for key, claim in self.CLAIMS.items():
            data = dict(ev.get(key) or {})
            note = data.pop("note", "")
            verdict = None
            try:
                if claim.rule == "paired" and data.get("a") and data.get("b"):
                    verdict = evaluate(claim, data["a"], data["b"])
                elif claim.rule == "trend" and len(set(data.get("x") or [])) > 1:
                    verdict = evaluate(claim, x=data["x"], y=data["y"])
            except ValueError as exc:
                note = f"{note} ({exc})".strip()
            out.append((key, claim, verdict, note))
        return out

    def verdict_markdown(self, verdicts) -> str:
        lines = []
        for key, _claim, v, note in verdicts:
            if v is None:
                lines.append(f"- `{key}`: **not resolved**: no finished runs to compare. {note}")
                continue
            lines.append(f"- `{key}`: **{v.summary()}**.")
            if note:
                lines.append(f"  {note}")
        return "\n".join(lines)

    def report(self, out: Path) -> Path:
        """Write ``out/report.md`` (and ``out/verdicts.json``) from the records in ``out``."""
        out = Path(out)
        records = read_results(out)
        meta = read_meta(out)
        quick = bool(meta.get("quick"))
        body = self.analyze(records, out)
        module = f"minigrad/experiments/studies/{type(self).__module__.rsplit('.', 1)[-1]}.py"
        lines = [
            f"# Study `{self.NAME}`: {self.TITLE}",
            "",
            "## Claims tested",
            "",
            claims_markdown(self.CLAIMS, module),
            "## Setup",
            "",
            self.SETUP.strip(),
            "",
            QUICK_NOTE if quick else self.SCALE,
            "",
            body.strip(),
            "",
            "## Verdict",
            "",
        ]
        verdicts = self.verdicts(records)
        if quick:
            lines += ["No verdict: this is a smoke test (`--quick`).", ""]
        else:
            lines += [self.verdict_markdown(verdicts), ""]
        _write_verdicts(out / "verdicts.json", self, verdicts, quick)
        total = sum(float(r.get("time_s") or 0.0) for r in records)
        lines += [
            "## Data",
            "",
            f"Every run's configuration and results: [results.jsonl](results.jsonl) "
            f"({len(records)} runs, {total:.0f} s of training in total, summed over runs); "
            "the verdicts as data: [verdicts.json](verdicts.json).",
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


def _write_verdicts(path: Path, study, verdicts, quick: bool) -> None:
    """The claims and computed verdicts as JSON (the findings page reads them)."""
    rows = []
    for key, claim, v, note in verdicts:
        row = {"key": key, "claim": dataclasses.asdict(claim), "note": note}
        if v is not None and not quick:
            d = dataclasses.asdict(v)
            d["summary"] = v.summary()
            row["verdict"] = {k: (None if isinstance(x, float) and math.isnan(x) else x)
                              for k, x in d.items()}  # fmt: skip
        rows.append(row)
    blob = {"study": study.NAME, "title": study.TITLE, "quick": quick, "claims": rows}
    path.write_text(json.dumps(blob, indent=2, default=str) + "\n")


def run_configs(configs, out, progress, run_fn=None, executor="serial"):
    """Run a study's grid (resumable, on ``executor``, keeping only ``results.jsonl``);
    see :func:`minigrad.experiments.grid.run_grid`."""
    return run_grid(
        configs, out, run_fn=run_fn, progress=progress, keep_run_dirs=False, executor=executor
    )
