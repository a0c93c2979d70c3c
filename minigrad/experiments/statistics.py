"""Decisions from seeds: paired differences with confidence intervals, trends with a fitted
slope, and a computed verdict for a declared :class:`Claim`.

A study declares its claim before it runs: the claim's words and source, the quantity
compared (e.g. "test error of BN minus test error of GN at batch 2, in points"), the
direction the claim predicts for it, and the rule that decides:

- ``rule="paired"``: two settings run with the same seeds (same initialization, same data
  order, one setting changed); the quantity is the per-seed difference ``a - b``, and
  its mean gets a 95% confidence interval (Student's t-interval, or a bootstrap
  interval of the mean with ``method="bootstrap"``).
- ``rule="trend"``: one quantity measured at several values of a setting (error vs
  batch size); the quantity is the slope of a least-squares line (``scipy.stats.linregress``)
  with its t-interval, instead of a comparison of two end points.

The verdict is computed from the interval, never written by hand:

========================  =================================================
``"held"``                the interval excludes 0 on the side the claim predicts
``"contradicted"``        the interval excludes 0 on the other side
``"not resolved"``        the interval contains 0 (or there are too few pairs)
========================  =================================================

Seeds present on only one side cannot be paired: they are dropped from the difference
and listed in the result (``unpaired``), so a report can say so.

SciPy (the ``lab`` and ``test`` extras) is imported only when an interval is computed.

Examples
--------
>>> from minigrad.experiments.statistics import Claim, evaluate
>>> claim = Claim(
...     text="BatchNorm's error rises at tiny batches, where GroupNorm's does not",
...     source="Wu & He 2018, Figure 1",
...     quantity="test error of BN minus GN at batch 2 (points)",
...     direction="greater",
... )
>>> bn = {0: 12.1, 1: 11.4, 2: 13.0, 3: 12.2, 4: 11.9}
>>> gn = {0: 8.0, 1: 8.3, 2: 7.9, 3: 8.8, 4: 8.1}
>>> v = evaluate(claim, bn, gn)
>>> v.verdict, v.n
('held', 5)
>>> print(v.summary())  # doctest: +NORMALIZE_WHITESPACE
held: test error of BN minus GN at batch 2 (points) = 3.90
(95% CI 2.94 to 4.86; 5 paired seeds; t-interval)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Claim",
    "Verdict",
    "pair_by_seed",
    "paired_difference",
    "trend",
    "decide",
    "evaluate",
]

_DIRECTIONS = {
    "greater": 1,
    "positive": 1,
    ">": 1,
    "increase": 1,
    "less": -1,
    "negative": -1,
    "<": -1,
    "decrease": -1,
}
VERDICTS = ("held", "contradicted", "not resolved")


@dataclass(frozen=True)
class Claim:
    """A claim a study tests, declared before it runs.

    Parameters
    ----------
    text : str
        The claim, in the source's words (or a faithful paraphrase).
    source : str
        Where it is made (paper, section, figure).
    quantity : str
        What is compared, with its unit: for ``rule="paired"`` the per-seed difference
        ``a - b`` (say which is ``a``); for ``rule="trend"`` the slope of ``y`` against
        ``x``.
    direction : str
        The sign the claim predicts for the quantity: ``"greater"`` (``> 0``) or
        ``"less"`` (``< 0``); ``"positive"``/``"negative"``, ``">"``/``"<"`` and
        ``"increase"``/``"decrease"`` are accepted too.
    rule : str
        ``"paired"`` (default) or ``"trend"``.
    confidence : float
        Confidence level of the interval (default 0.95).
    method : str
        ``"t"`` (default) or ``"bootstrap"`` (paired rule only).
    published : str, optional
        The published number to show beside ours (e.g. ``"GN 24.1% vs BN 34.7% at batch
        2"``), for the findings page.

    Raises
    ------
    ValueError
        If ``direction``, ``rule``, ``method`` or ``confidence`` is not one of the above.

    Examples
    --------
    >>> from minigrad.experiments.statistics import Claim
    >>> c = Claim("LN works at any batch size", "Ba et al. 2016", "error at batch 2 minus "
    ...           "error at batch 128 (points)", "less")
    >>> c.sign
    -1
    """

    text: str
    source: str
    quantity: str
    direction: str
    rule: str = "paired"
    confidence: float = 0.95
    method: str = "t"
    published: str | None = None

    def __post_init__(self):
        if self.direction not in _DIRECTIONS:
            raise ValueError(
                f"Claim: direction must be one of {sorted(_DIRECTIONS)}, got {self.direction!r}"
            )
        if self.rule not in ("paired", "trend"):
            raise ValueError(f"Claim: rule must be 'paired' or 'trend', got {self.rule!r}")
        if self.method not in ("t", "bootstrap"):
            raise ValueError(f"Claim: method must be 't' or 'bootstrap', got {self.method!r}")
        if self.rule == "trend" and self.method != "t":
            raise ValueError("Claim: a trend's slope interval is a t-interval (method='t')")
        if not 0 < self.confidence < 1:
            raise ValueError(f"Claim: confidence must be in (0, 1), got {self.confidence!r}")

    @property
    def sign(self) -> int:
        """+1 when the claim predicts a positive quantity, -1 when negative."""
        return _DIRECTIONS[self.direction]


@dataclass
class Verdict:
    """The outcome of a test: the estimate, its interval, and the computed verdict.

    Attributes
    ----------
    verdict : str
        ``"held"``, ``"contradicted"`` or ``"not resolved"``.
    estimate : float
        Mean paired difference, or fitted slope.
    ci_low, ci_high : float
        The confidence interval (NaN when it cannot be computed: fewer than 2 pairs, or
        fewer than 3 points for a slope).
    n : int
        Pairs (paired rule) or points (trend rule) used.
    confidence : float
        The interval's level.
    method : str
        How the interval was computed (``"t-interval"``, ``"bootstrap (BCa)"``,
        ``"slope t-interval"``...).
    quantity : str
        What the estimate measures.
    unpaired : dict
        Seeds present only in ``a`` (key ``"a"``) or only in ``b`` (``"b"``), dropped.
    seeds : list
        The seeds paired, in order.
    differences : list of float
        The per-seed differences (paired rule).

    Examples
    --------
    >>> from minigrad.experiments.statistics import paired_difference
    >>> v = paired_difference({0: 1.0, 1: 2.0, 2: 3.0}, {0: 1.5, 1: 2.5, 2: 3.0, 3: 9.0})
    >>> v.unpaired
    {'a': [], 'b': [3]}
    """

    verdict: str
    estimate: float
    ci_low: float
    ci_high: float
    n: int
    confidence: float
    method: str
    quantity: str = "difference"
    unpaired: dict = field(default_factory=lambda: {"a": [], "b": []})
    seeds: list = field(default_factory=list)
    differences: list = field(default_factory=list)

    def summary(self, digits: int = 2) -> str:
        """One sentence: verdict, estimate, interval, sample size, method, dropped seeds.

        Examples
        --------
        >>> from minigrad.experiments.statistics import paired_difference
        >>> print(paired_difference([1.0, 2.0], [1.0, 1.0]).summary())
        not resolved: difference = 0.50 (95% CI -5.85 to 6.85; 2 paired seeds; t-interval)
        """
        pct = f"{100 * self.confidence:g}%"
        unit = "points" if "slope" in self.method else "paired seeds"
        if math.isnan(self.ci_low):
            ci = f"no {pct} CI: too few {unit} ({self.n})"
        else:
            ci = f"{pct} CI {self.ci_low:.{digits}f} to {self.ci_high:.{digits}f}"
        s = (
            f"{self.verdict}: {self.quantity} = {self.estimate:.{digits}f} ({ci}; {self.n} "
            f"{unit}; {self.method})"
        )
        dropped = [f"{k}: {v}" for k, v in self.unpaired.items() if v]
        if dropped:
            s += f"; unpaired seeds dropped ({', '.join(dropped)})"
        return s


def _by_seed(side, name, seed_key, value_key):
    """``{seed: value}`` from a mapping, a sequence of records, or a plain sequence."""
    if isinstance(side, dict):
        return {k: float(v) for k, v in side.items()}
    out = {}
    for i, r in enumerate(side):
        if isinstance(r, dict):
            lacking = [k for k in (seed_key, value_key) if k not in r]
            if lacking:
                raise KeyError(
                    f"pair_by_seed: record {i} of {name} lacks {' and '.join(map(repr, lacking))} "
                    f"(its keys: {sorted(r)}); pass value=/seed= to name the keys"
                )
            seed, value = r[seed_key], r[value_key]
        else:
            seed, value = i, r  # a plain sequence: position is the seed
        if seed in out:
            raise ValueError(f"pair_by_seed: seed {seed!r} appears twice in {name}")
        out[seed] = float(value)
    return out


def pair_by_seed(a, b, value: str = "value", seed: str = "seed"):
    """Pair two sides' values by seed.

    Parameters
    ----------
    a, b
        Each a mapping ``{seed: value}``, a sequence of records (dicts with keys
        ``seed`` and ``value``), or a plain sequence of numbers (the position is the seed).
    value, seed : str
        Record keys of the value and of the seed.

    Returns
    -------
    seeds : list
        Seeds on both sides, sorted.
    a_values, b_values : numpy.ndarray
        The paired values, in the order of ``seeds``.
    unpaired : dict
        ``{"a": seeds only in a, "b": seeds only in b}``.

    Raises
    ------
    ValueError
        If a seed appears twice on one side.

    Examples
    --------
    >>> from minigrad.experiments.statistics import pair_by_seed
    >>> recs_a = [{"seed": 1, "err": 5.0}, {"seed": 0, "err": 4.0}]
    >>> recs_b = [{"seed": 0, "err": 3.0}, {"seed": 2, "err": 1.0}]
    >>> pair_by_seed(recs_a, recs_b, value="err")
    ([0], array([4.]), array([3.]), {'a': [1], 'b': [2]})
    """
    da = _by_seed(a, "a", seed, value)
    db = _by_seed(b, "b", seed, value)
    seeds = sorted(set(da) & set(db), key=_sort_key)
    unpaired = {
        "a": sorted(set(da) - set(db), key=_sort_key),
        "b": sorted(set(db) - set(da), key=_sort_key),
    }
    return (
        seeds,
        np.array([da[s] for s in seeds], dtype=np.float64),
        np.array([db[s] for s in seeds], dtype=np.float64),
        unpaired,
    )


def _sort_key(s):
    return (0, s, "") if isinstance(s, int | float) else (1, 0, str(s))


def decide(ci_low: float, ci_high: float, direction) -> str:
    """The verdict of an interval for a claim predicting ``direction``.

    Parameters
    ----------
    ci_low, ci_high : float
        The interval (NaN: not computable).
    direction : str or int
        ``"greater"``/``"less"`` (or any :class:`Claim` spelling), or +1/-1.

    Returns
    -------
    str
        ``"held"``, ``"contradicted"`` or ``"not resolved"``.

    Examples
    --------
    >>> from minigrad.experiments.statistics import decide
    >>> decide(0.5, 2.0, "greater"), decide(0.5, 2.0, "less"), decide(-1.0, 2.0, "greater")
    ('held', 'contradicted', 'not resolved')
    """
    sign = direction if isinstance(direction, int) else _DIRECTIONS[direction]
    if math.isnan(ci_low) or math.isnan(ci_high) or ci_low <= 0 <= ci_high:
        return "not resolved"
    positive = ci_low > 0
    return "held" if positive == (sign > 0) else "contradicted"


def paired_difference(a, b, *, confidence: float = 0.95, method: str = "t", direction=None,
                      value: str = "value", seed: str = "seed", quantity: str = "difference",
                      n_resamples: int = 9999, random_state: int = 0) -> Verdict:  # fmt: skip
    """Mean of the per-seed differences ``a - b`` with its confidence interval.

    Parameters
    ----------
    a, b
        The two settings' results (see :func:`pair_by_seed`).
    confidence : float
        Level of the interval (default 0.95).
    method : str
        ``"t"``: Student's t-interval of the mean difference (``scipy.stats.t``);
        ``"bootstrap"``: BCa bootstrap interval of the mean (``scipy.stats.bootstrap``,
        percentile where BCa is undefined, e.g. all differences equal).
    direction : str, optional
        The claim's predicted sign; without it the verdict says only whether the
        interval excludes 0 (``"held"`` meaning a positive difference).
    value, seed : str
        Record keys.
    quantity : str
        Name of the difference, for :meth:`Verdict.summary`.
    n_resamples, random_state : int
        Bootstrap resamples and seed (the interval is reproducible).

    Returns
    -------
    Verdict

    Raises
    ------
    ValueError
        For an unknown method.

    Examples
    --------
    >>> from minigrad.experiments.statistics import paired_difference
    >>> v = paired_difference([3.0, 4.0, 5.5, 4.5], [1.0, 2.5, 3.0, 2.0], direction="less")
    >>> v.verdict, round(v.estimate, 3)
    ('contradicted', 2.125)
    """
    if method not in ("t", "bootstrap"):
        raise ValueError(f"paired_difference: method must be 't' or 'bootstrap', got {method!r}")
    seeds, va, vb, unpaired = pair_by_seed(a, b, value=value, seed=seed)
    d = va - vb
    n = d.size
    est = float(d.mean()) if n else float("nan")
    lo = hi = float("nan")
    label = "t-interval"
    if n >= 2:
        from scipy import stats

        if method == "t":
            sem = float(d.std(ddof=1)) / math.sqrt(n)
            if sem == 0:
                lo = hi = est
            else:
                lo, hi = (float(v) for v in stats.t.interval(confidence, n - 1, est, sem))
        else:
            lo, hi, label = _bootstrap(d, confidence, n_resamples, random_state, stats)
    verdict = decide(lo, hi, direction if direction is not None else 1)
    return Verdict(
        verdict, est, lo, hi, n, confidence, label, quantity, unpaired, seeds, d.tolist()
    )


def _bootstrap(d, confidence, n_resamples, random_state, stats):
    if np.all(d == d[0]):  # no spread: every resample has the same mean
        return float(d[0]), float(d[0]), "bootstrap (degenerate)"
    rng = np.random.default_rng(random_state)
    kw = dict(confidence_level=confidence, n_resamples=n_resamples, rng=rng)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BCa warns where it is undefined; we fall back
        res = stats.bootstrap((d,), np.mean, method="BCa", **kw)
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if math.isnan(lo) or math.isnan(hi):
        res = stats.bootstrap((d,), np.mean, method="percentile", rng=np.random.default_rng(
            random_state), confidence_level=confidence, n_resamples=n_resamples)  # fmt: skip
        return (
            float(res.confidence_interval.low),
            float(res.confidence_interval.high),
            "bootstrap (percentile)",
        )
    return lo, hi, "bootstrap (BCa)"


def trend(x, y, *, confidence: float = 0.95, direction=None, quantity: str = "slope") -> Verdict:
    """Least-squares slope of ``y`` against ``x`` with its t-interval.

    Every run is one point (several seeds at one ``x`` give several points), so the
    interval reflects the seed-to-seed noise around the line.

    Parameters
    ----------
    x, y : sequence of float
        One entry per run (e.g. ``x`` = log2 batch size, ``y`` = test error).
    confidence : float
        Level of the interval (default 0.95).
    direction : str, optional
        The claim's predicted sign of the slope.
    quantity : str
        Name of the slope, for :meth:`Verdict.summary`.

    Returns
    -------
    Verdict
        ``estimate`` is the slope; the interval is ``slope +- t * stderr`` with
        ``n - 2`` degrees of freedom (``scipy.stats.linregress``).

    Raises
    ------
    ValueError
        If ``x`` and ``y`` differ in length, or ``x`` has a single distinct value.

    Examples
    --------
    >>> from minigrad.experiments.statistics import trend
    >>> v = trend([1, 2, 3, 4, 5], [2.1, 3.9, 6.2, 8.0, 9.9], direction="increase")
    >>> v.verdict, round(v.estimate, 2)
    ('held', 1.97)
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(
            f"trend: x and y must be 1-D of one length, got shapes {x.shape} and {y.shape}"
        )
    if x.size and np.all(x == x[0]):
        raise ValueError(f"trend: x has a single distinct value ({x[0]}); no slope to fit")
    n = x.size
    lo = hi = est = float("nan")
    if n >= 2:
        from scipy import stats

        res = stats.linregress(x, y)
        est = float(res.slope)
        if n >= 3:
            half = float(stats.t.ppf((1 + confidence) / 2, n - 2)) * float(res.stderr)
            lo, hi = est - half, est + half
    verdict = decide(lo, hi, direction if direction is not None else 1)
    return Verdict(verdict, est, lo, hi, n, confidence, "slope t-interval", quantity)


def evaluate(claim: Claim, a=None, b=None, *, x=None, y=None, value: str = "value",
             seed: str = "seed") -> Verdict:  # fmt: skip
    """Test ``claim`` on results: the paired difference ``a - b``, or the slope of ``y``
    on ``x``, as its rule says.

    Parameters
    ----------
    claim : Claim
        The declared claim.
    a, b
        The two settings' results (paired rule; see :func:`pair_by_seed`).
    x, y : sequence of float
        The points (trend rule).
    value, seed : str
        Record keys (paired rule).

    Returns
    -------
    Verdict

    Raises
    ------
    ValueError
        If the data given do not fit the claim's rule.

    Examples
    --------
    >>> from minigrad.experiments.statistics import Claim, evaluate
    >>> c = Claim("Error grows with batch size", "Keskar et al. 2017",
    ...           "slope of test error (points) per doubling of the batch", "greater",
    ...           rule="trend")
    >>> evaluate(c, x=[1, 2, 3, 4], y=[5.0, 5.2, 4.9, 5.1]).verdict
    'not resolved'
    """
    if claim.rule == "paired":
        if a is None or b is None or x is not None or y is not None:
            raise ValueError("evaluate: a paired claim takes the two sides a and b (not x, y)")
        return paired_difference(
            a, b, confidence=claim.confidence, method=claim.method, direction=claim.direction,
            value=value, seed=seed, quantity=claim.quantity,
        )  # fmt: skip
    if x is None or y is None or a is not None or b is not None:
        raise ValueError("evaluate: a trend claim takes the points x and y (not a, b)")
    return trend(x, y, confidence=claim.confidence, direction=claim.direction,
                 quantity=claim.quantity)  # fmt: skip
