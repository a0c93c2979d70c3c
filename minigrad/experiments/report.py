"""``minigrad report DIR``: a markdown report of a grid with tables and figures."""

from __future__ import annotations

import json
from pathlib import Path

from minigrad.experiments import figures
from minigrad.experiments.conclusion import axis_words, conclusion_markdown
from minigrad.experiments.results import (
    fmt_mean_std,
    machine_info,
    malformed_note,
    scan_results,
    summarize,
    varying_axes,
    view,
)

__all__ = ["write_report", "table", "machine_section", "write_meta", "read_meta"]

META_FILE = "meta.json"


def table(header, rows) -> str:
    """A markdown table.

    Examples
    --------
    >>> print(table(["a", "b"], [[1, 2]]))
    | a | b |
    |---|---|
    | 1 | 2 |
    """
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(str, r)) + " |" for r in rows]
    return "\n".join(lines)


def write_meta(out_dir, command: str, extra=None) -> dict:
    """Record the command line and the machine in ``out_dir/meta.json``."""
    from minigrad.experiments.runner import write_json

    meta = {"command": command, "machine": machine_info(), **(extra or {})}
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    write_json(Path(out_dir) / META_FILE, meta)
    return meta


def read_meta(out_dir) -> dict:
    """The ``meta.json`` of a folder, or ``{}``."""
    p = Path(out_dir) / META_FILE
    return json.loads(p.read_text()) if p.exists() else {}


def machine_section(meta: dict) -> str:
    """Markdown lines naming the command, date and machine of a result."""
    m = meta.get("machine") or machine_info()
    lines = ["## Provenance", ""]
    if meta.get("command"):
        lines += ["Command:", "", "```", meta["command"], "```", ""]
    lines.append(
        f"Date {m.get('date_utc')}; {m.get('nproc')} CPU cores ({m.get('cpu')})"
        + (f", GPU {m['gpu']}" if m.get("gpu") else "")
        + f"; Python {m.get('python')}, NumPy {m.get('numpy')}, minigrad {m.get('minigrad')}; "
        f"{m.get('platform')}."
    )
    return "\n".join(lines) + "\n"


_LOG_AXES = ("batch_size", "lr", "base_lr", "init_scale", "weight_decay")


def _log_label(axis: str) -> str:
    words = axis_words(axis)
    return words[:-1] + "; log scale)" if words.endswith(")") else words + " (log scale)"


def _fixed_settings(records, axes) -> str:
    cfg = view(records[0])
    skip = set(axes) | {"seed", "data_root"}
    if "base_lr" in cfg:
        skip.add("lr")
    return ", ".join(f"{k}={v}" for k, v in cfg.items() if k not in skip and v is not None)


def _curve_series(records, label_axes):
    series: dict = {}
    for r in records:
        if r.get("status") != "ok":
            continue
        hist = r.get("history") or []
        xs = [h["epoch"] for h in hist if h.get("test_acc") is not None]
        ys = [h["test_acc"] for h in hist if h.get("test_acc") is not None]
        v = view(r)
        label = ", ".join(f"{a}={v.get(a)}" for a in label_axes) or "run"
        series.setdefault(label, []).append((xs, ys))
    return series


def _write_csv(path, rows, axes) -> None:
    """One line per group: the axes, run counts, and mean/std/min/max of each metric."""
    import csv

    metrics = ("test_acc", "train_acc_eval", "steps_per_s")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [*axes, "runs", "ok", "diverged", "errors"]
            + [f"{m}_{s}" for m in metrics for s in ("mean", "std", "min", "max")]
        )
        for r in rows:
            w.writerow(
                [*(r[a] for a in axes), r["runs"], r["ok"], r["diverged"], r["errors"]]
                + [r[m][s] for m in metrics for s in ("mean", "std", "min", "max")]
            )


def write_report(out_dir, title: str | None = None, intro: str = "") -> Path:
    """Write ``out_dir/report.md`` (and ``out_dir/figures/*.png``) from ``results.jsonl``.

    Tables give, per setting, the mean ± sample standard deviation over seeds of the final
    test accuracy (the models are evaluated with running statistics, i.e. in eval mode),
    and count diverged and failed runs.

    Parameters
    ----------
    out_dir : str or Path
        A folder holding ``results.jsonl``.
    title : str, optional
    intro : str
        Markdown placed under the title.

    Returns
    -------
    Path
        The report's path.

    Raises
    ------
    FileNotFoundError
        When the folder holds no results file.
    ValueError
        When the results file holds no valid record (the message counts the malformed
        lines). Some malformed lines among valid ones are skipped and noted in the report.

    Examples
    --------
    >>> import tempfile
    >>> from minigrad.experiments.config import RunConfig
    >>> from minigrad.experiments.grid import run_grid
    >>> from minigrad.experiments.report import write_report
    >>> out = tempfile.mkdtemp()
    >>> _ = run_grid([RunConfig(model="mlp", norm="batch", width=8, epochs=1, subset=200,
    ...                         test_subset=100)], out, progress="none", log=lambda s: None)
    >>> write_report(out).name
    'report.md'
    """
    out = Path(out_dir)
    results_file = out / "results.jsonl"
    if not results_file.is_file():
        raise FileNotFoundError(f"no results in {results_file}: run a grid there first")
    records, malformed = scan_results(results_file)
    if not records:
        detail = f"; {malformed_note(results_file, malformed)}" if malformed else ""
        raise ValueError(f"{results_file} holds no valid result record{detail}")
    axes = varying_axes(records)
    rows = summarize(records, axes)
    meta = read_meta(out)
    lines = [f"# {title or 'Normalization comparison'}", ""]
    if intro:
        lines += [intro.strip(), ""]
    n_ok = sum(r.get("status") == "ok" for r in records)
    n_div = sum(r.get("status") == "diverged" for r in records)
    n_err = sum(r.get("status") in ("failed", "error") for r in records)
    seeds = sorted({r["config"].get("seed") for r in records})
    scaled = "base_lr" in view(records[0])
    if malformed:
        lines += [f"**Note:** {malformed_note('results.jsonl', malformed)}.", ""]
    lines += [
        f"{len(records)} runs ({n_ok} finished, {n_div} diverged, {n_err} failed) over "
        f"seeds {seeds}. Varying: {', '.join(axes) or 'nothing'}. Fixed: "
        f"{_fixed_settings(records, axes)}.",
        "",
        (
            "Learning rates scale linearly with the batch size: lr = base_lr * batch_size / 32. "
            if scaled
            else ""
        )
        + "Accuracy in percent, mean ± sample standard deviation over seeds, on the test split "
        "in eval mode (running statistics). Diverged runs (NaN/Inf loss) are counted, not "
        "averaged.",
        "",
    ]
    header = [*axes, "runs", "diverged", "test acc (%)", "min", "max", "train acc (%)", "steps/s"]
    body = []
    for row in rows:
        st = row["test_acc"]
        body.append(
            [
                *(row[a] for a in axes),
                row["runs"],
                row["diverged"] + row["errors"],
                fmt_mean_std(st),
                "—" if st["min"] is None else f"{100 * st['min']:.1f}",
                "—" if st["max"] is None else f"{100 * st['max']:.1f}",
                fmt_mean_std(row["train_acc_eval"]),
                "—" if row["steps_per_s"]["mean"] is None else f"{row['steps_per_s']['mean']:.0f}",
            ]
        )
    conclusion = conclusion_markdown(records, axes)
    if conclusion:
        lines += ["## Conclusion", "", conclusion, ""]
    lines += ["## Results", "", table(header, body), ""]
    _write_csv(out / "summary.csv", rows, axes)
    lines += ["The same table as CSV: [summary.csv](summary.csv).", ""]

    others = [a for a in axes if a != "norm"]
    # with linear scaling the learning rate follows the batch size: not an axis of its own
    tied = [a for a in others if not (scaled and a == "lr")]
    if "norm" in axes and len(tied) == 1:
        other = tied[0]
        norms = list(dict.fromkeys(r["norm"] for r in rows))
        values = list(dict.fromkeys(r[other] for r in rows))
        cell = {(r["norm"], r[other]): fmt_mean_std(r["test_acc"]) for r in rows}
        pivot = [[n, *(cell.get((n, v), "—") for v in values)] for n in norms]
        lines += [
            f"### Test accuracy (%) by norm and {other}",
            "",
            table(["norm", *(f"{other}={v}" for v in values)], pivot),
            "",
        ]

    lines += ["## Figures", ""]
    fig_dir = out / "figures"
    made = []
    if figures.have_matplotlib():
        numeric = [
            a
            for a in tied
            if all(isinstance(r[a], (int, float)) and r[a] is not True for r in rows)
        ]
        for a in numeric:
            groups: dict = {}
            line_axis = "norm" if "norm" in axes else (others[0] if a != others[0] else None)
            for r in records:
                if r.get("status") != "ok":
                    continue
                v = view(r)
                acc = (r.get("final") or {}).get("test_acc")
                label = v.get(line_axis) if line_axis else "runs"
                if acc is not None:
                    groups.setdefault(label, {}).setdefault(v[a], []).append(100 * acc)
            p = figures.ci_lines(
                groups,
                fig_dir / f"test_acc_vs_{a}.png",
                xlabel=_log_label(a) if a in _LOG_AXES else axis_words(a),
                logx=True if a in _LOG_AXES else None,
                ylabel="final test accuracy (%), eval mode",
                title=f"final test accuracy vs {axis_words(a).split(' (')[0]}",
                legend_title=axis_words(line_axis) if line_axis else None,
            )
            made.append(
                (
                    f"Final test accuracy against {axis_words(a).split(' (')[0]}, one line per "
                    f"{axis_words(line_axis) if line_axis else 'group'}: the mean over seeds; "
                    "the bars are its 95% confidence interval (t-interval over seeds)",
                    p,
                )
            )
        panel_axes = [x for x in others if x != "lr"] or others
        if "norm" in axes and panel_axes and len(others) <= 2:
            panels: dict = {}
            for r in records:
                if r.get("status") != "ok":
                    continue
                v = view(r)
                name = ", ".join(f"{axis_words(x).split(' (')[0]} {v.get(x)}" for x in panel_axes)
                if "lr" in others and "lr" not in panel_axes:
                    name += f" (lr {v.get('lr'):g})"
                hist = [h for h in r.get("history") or [] if h.get("test_acc") is not None]
                panels.setdefault(name, {}).setdefault(v["norm"], []).append(
                    ([h["epoch"] for h in hist], [h["test_acc"] for h in hist])
                )
            p = figures.curve_panels(
                panels,
                fig_dir / "test_acc_curves.png",
                xlabel="epoch",
                ylabel="test accuracy (%), eval mode",
            )
            made.append(
                (
                    "Test accuracy after each epoch, one panel per "
                    + ", ".join(axis_words(x).split(" (")[0] for x in panel_axes)
                    + ", one line per normalization: the line is the mean over seeds, the "
                    "band runs from the lowest to the highest seed",
                    p,
                )
            )
        else:
            series = _curve_series(records, axes)
            if len(series) <= 12:
                p = figures.curves(
                    series,
                    fig_dir / "test_acc_curves.png",
                    ylabel="test accuracy (%), eval mode",
                    title="test accuracy during training",
                )
                made.append(
                    (
                        "Test accuracy after each epoch: the line is the mean over seeds, the "
                        "band runs from the lowest to the highest seed",
                        p,
                    )
                )
        for caption, p in made:
            if p is not None:
                lines += [f"![{caption}](figures/{p.name})", "", f"*{caption}.*", ""]
    else:
        lines += [figures.PLOT_HINT, ""]
    total = sum(float(r.get("time_s") or 0.0) for r in records)
    lines += [
        "## Data",
        "",
        f"Every run's configuration and results: [results.jsonl](results.jsonl); {total:.0f} s "
        "of training in total (summed over runs).",
        "",
        machine_section(meta),
    ]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path
