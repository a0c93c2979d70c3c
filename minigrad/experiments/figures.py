"""PNG figures with matplotlib (the optional ``plot`` extra, imported lazily).

Every function returns the path it wrote, or ``None`` when matplotlib is missing; the
report then says how to get the figures (``pip install "minigrad-lab[plot]"``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = [
    "have_matplotlib",
    "pyplot",
    "save",
    "metric_vs_axis",
    "curves",
    "ci_lines",
    "curve_panels",
    "mean_ci",
    "PLOT_HINT",
]

PLOT_HINT = (
    'Figures need matplotlib: `pip install "minigrad-lab[plot]"`, then `minigrad report DIR`.'
)


def have_matplotlib() -> bool:
    """Whether matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend, or ``None``."""
    if not have_matplotlib():
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path) -> Path:
    """Save a figure as PNG (dpi 120) and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120, format="png")
    pyplot().close(fig)
    return path


def metric_vs_axis(
    rows,
    axis,
    path,
    line_axis="norm",
    metric="test_acc",
    ylabel=None,
    title=None,
    error=False,
    logx=None,
    xlabel=None,
):
    """Mean (± std over seeds) of a metric against one axis, one line per ``line_axis``.

    Parameters
    ----------
    rows : list of dict
        Output of :func:`minigrad.experiments.results.summarize`.
    axis : str
        The x axis (a numeric config field, e.g. ``batch_size``).
    path : str or Path
    line_axis : str or None
        Field that separates the lines.
    metric : str
        Stats key in the rows.
    error : bool
        Plot the error rate (``100 * (1 - acc)``) instead of accuracy in percent.
    logx : bool, optional
        Log-scale x (default: when the values span more than a factor 8).
    xlabel : str, optional
        The x axis label in words (default: ``axis``).
    """
    plt = pyplot()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    lines: dict = {}
    for row in rows:
        lines.setdefault(row.get(line_axis) if line_axis else None, []).append(row)
    xs_all = []
    for label, rs in lines.items():
        pts = [
            (r[axis], r[metric]["mean"], r[metric]["std"])
            for r in rs
            if r[metric]["mean"] is not None and isinstance(r[axis], (int, float))
        ]
        if not pts:
            continue
        pts.sort()
        x, m, s = (np.array(v, dtype=float) for v in zip(*pts))
        y = 100 * (1 - m) if error else 100 * m
        ax.errorbar(x, y, yerr=100 * s, marker="o", capsize=3, label=str(label))
        xs_all += list(x)
    if xs_all and (logx or (logx is None and min(xs_all) > 0 and max(xs_all) / min(xs_all) > 8)):
        ax.set_xscale("log", base=2 if axis == "batch_size" else 10)
        ticks = sorted(set(xs_all))
        if len(ticks) <= 10:
            ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
            ax.minorticks_off()
    ax.set_xlabel(xlabel or axis)
    ax.set_ylabel(ylabel or (f"{metric} error (%)" if error else f"{metric} (%)"))
    if title:
        ax.set_title(title)
    if len(lines) > 1:
        ax.legend(title=line_axis, fontsize=8)
    ax.grid(alpha=0.3)
    return save(fig, path)


def curves(series, path, xlabel="epoch", ylabel="test accuracy (%)", title=None, scale=100.0):
    """Mean curve over seeds with a min-max band, one per label.

    Parameters
    ----------
    series : dict
        ``label -> list of (xs, ys)`` pairs, one per seed.
    path : str or Path
    """
    plt = pyplot()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, runs in series.items():
        runs = [(np.asarray(x, float), np.asarray(y, float)) for x, y in runs if len(x)]
        if not runs:
            continue
        n = min(len(x) for x, _ in runs)
        x = runs[0][0][:n]
        ys = np.stack([y[:n] for _, y in runs]) * scale
        (line,) = ax.plot(x, ys.mean(0), label=str(label))
        if len(runs) > 1:
            ax.fill_between(x, ys.min(0), ys.max(0), color=line.get_color(), alpha=0.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return save(fig, path)


def mean_ci(values, confidence: float = 0.95) -> tuple:
    """``(mean, half width of the t-interval, n)`` of the finite values.

    Examples
    --------
    >>> m, h, n = mean_ci([1.0, 2.0, 3.0])
    >>> m, round(float(h), 3), n
    (2.0, 2.484, 3)
    """
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    if not len(v):
        return float("nan"), float("nan"), 0
    if len(v) < 2:
        return float(v.mean()), 0.0, 1
    try:
        from scipy import stats

        t = float(stats.t.ppf((1 + confidence) / 2, len(v) - 1))
    except ImportError:  # without SciPy: the normal quantile (a narrower interval)
        t = 1.959963984540054
    half = t * float(v.std(ddof=1))
    return float(v.mean()), half / np.sqrt(len(v)), len(v)


def ci_lines(groups, path, xlabel, ylabel, title=None, logx=None, legend_title=None, ax=None):
    """One line per group: the mean over seeds at each x with its 95% t-interval as bars.

    Parameters
    ----------
    groups : dict
        ``label -> {x: [values, one per seed]}``.
    path : str or Path or None
        Where to save (``None`` with ``ax``: draw into ``ax`` only).
    xlabel, ylabel : str
        Axis labels, in words with units.
    logx : bool, optional
        Log-2 x axis (default: when the x values span more than a factor 8).
    ax : matplotlib Axes, optional
        Draw into this panel instead of a new figure.
    """
    plt = pyplot()
    if plt is None:
        return None
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4))
    xs_all = []
    for label, pts in groups.items():
        rows = sorted((x, *mean_ci(v)[:2]) for x, v in pts.items() if mean_ci(v)[2])
        if not rows:
            continue
        x, m, h = (np.array(c, dtype=float) for c in zip(*rows))
        ax.errorbar(x, m, yerr=h, marker="o", capsize=3, label=str(label))
        xs_all += list(x)
    if xs_all and (logx or (logx is None and min(xs_all) > 0 and max(xs_all) / min(xs_all) > 8)):
        ax.set_xscale("log", base=2)
        ticks = sorted(set(xs_all))
        if len(ticks) <= 10:
            ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
            ax.minorticks_off()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if len(groups) > 1:
        ax.legend(title=legend_title, fontsize=8)
    ax.grid(alpha=0.3)
    return save(fig, path) if fig is not None and path is not None else None


def curve_panels(panels, path, xlabel="epoch", ylabel="test accuracy (%)", title=None,
                 scale=100.0):  # fmt: skip
    """One panel per setting (e.g. per batch size), each with the mean curve over seeds
    and a band from the lowest to the highest seed, one line per label.

    Parameters
    ----------
    panels : dict
        ``panel title -> {label -> list of (xs, ys) pairs, one per seed}``.
    path : str or Path
    """
    plt = pyplot()
    if plt is None or not panels:
        return None
    n = len(panels)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.6), sharey=True, squeeze=False)
    for ax, (name, series) in zip(axes[0], panels.items()):
        for label, runs in series.items():
            runs = [(np.asarray(x, float), np.asarray(y, float)) for x, y in runs if len(x)]
            if not runs:
                continue
            k = min(len(x) for x, _ in runs)
            x = runs[0][0][:k]
            ys = np.stack([y[:k] for _, y in runs]) * scale
            (line,) = ax.plot(x, ys.mean(0), label=str(label))
            if len(runs) > 1:
                ax.fill_between(x, ys.min(0), ys.max(0), color=line.get_color(), alpha=0.15)
        ax.set_title(str(name), fontsize=10)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(ylabel)
    axes[0][-1].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=11)
    return save(fig, path)
