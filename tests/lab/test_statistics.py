"""minigrad.experiments.statistics: verdicts computed from paired seeds and fitted slopes,
on synthetic records whose answer is known."""

import math

import numpy as np
import pytest

from minigrad.experiments.statistics import (
    Claim,
    decide,
    evaluate,
    pair_by_seed,
    paired_difference,
    trend,
)

T975 = {2: 4.302652729911275, 4: 2.7764451051977987, 9: 2.2621571627409915}  # t tables


def _records(values, seeds=None, key="test_error"):
    seeds = range(len(values)) if seeds is None else seeds
    return [{"seed": s, key: v, "lr": 0.1} for s, v in zip(seeds, values)]


def _claim(direction="greater", **kw):
    return Claim("A beats B", "a paper", "error of A minus error of B", direction, **kw)


def test_t_interval_matches_the_formula():
    a = [5.0, 6.5, 7.0, 5.5, 6.0]
    b = [4.0, 4.5, 5.5, 4.0, 5.5]
    d = np.subtract(a, b)
    v = paired_difference(a, b)
    half = T975[4] * d.std(ddof=1) / math.sqrt(5)
    assert v.n == 5 and v.estimate == pytest.approx(d.mean())
    assert v.ci_low == pytest.approx(d.mean() - half, rel=1e-12)
    assert v.ci_high == pytest.approx(d.mean() + half, rel=1e-12)
    assert v.differences == pytest.approx(d.tolist())


@pytest.mark.parametrize(
    "shift,direction,expected",
    [
        (2.0, "greater", "held"),
        (2.0, "less", "contradicted"),
        (-2.0, "less", "held"),
        (-2.0, "greater", "contradicted"),
        (0.0, "greater", "not resolved"),
        (0.0, "less", "not resolved"),
    ],
)
def test_verdicts(shift, direction, expected):
    rng = np.random.default_rng(0)
    base = rng.normal(10, 3, size=8)  # large spread between seeds...
    noise = rng.normal(0, 0.3, size=8)  # ...but small within a pair
    noise -= noise.mean()  # the true mean difference is exactly the shift
    a = _records(base + shift + noise)
    b = _records(base)
    v = evaluate(_claim(direction), a, b, value="test_error")
    assert v.verdict == expected
    assert v.summary().startswith(expected + ": error of A minus error of B = ")


def test_pairing_is_by_seed_not_by_position():
    # the same runs listed in different orders: pairing by position would mix seeds
    a = _records([10.0, 20.0, 30.0, 40.0], seeds=[3, 1, 0, 2])
    b = _records([39.0, 9.0, 29.0, 19.0], seeds=[2, 3, 0, 1])
    seeds, va, vb, unpaired = pair_by_seed(a, b, value="test_error")
    assert seeds == [0, 1, 2, 3]
    np.testing.assert_array_equal(va - vb, [1.0, 1.0, 1.0, 1.0])
    v = paired_difference(a, b, value="test_error", direction="greater")
    assert v.estimate == 1.0 and v.ci_low == v.ci_high == 1.0  # no spread
    assert v.verdict == "held"


def test_pairing_also_takes_mappings_and_sequences():
    assert pair_by_seed({7: 1.0, 8: 2.0}, {8: 0.5, 7: 0.0})[0] == [7, 8]
    seeds, va, vb, _ = pair_by_seed([1.0, 2.0], [0.0, 1.5])
    assert seeds == [0, 1] and (va - vb).tolist() == [1.0, 0.5]


def test_missing_pairs_are_dropped_and_reported():
    a = _records([5.0, 6.0, 7.0, 8.0], seeds=[0, 1, 2, 5])
    b = _records([4.0, 5.1, 6.0, 1.0], seeds=[0, 1, 2, 9])
    v = paired_difference(a, b, value="test_error")
    assert v.seeds == [0, 1, 2] and v.n == 3
    assert v.unpaired == {"a": [5], "b": [9]}
    assert v.estimate == pytest.approx(np.mean([1.0, 0.9, 1.0]))
    assert "unpaired seeds dropped (a: [5], b: [9])" in v.summary()


def test_duplicate_seed_and_missing_key_raise():
    with pytest.raises(ValueError, match="seed 1 appears twice in a"):
        pair_by_seed(_records([1.0, 2.0], seeds=[1, 1]), _records([1.0]), value="test_error")
    with pytest.raises(KeyError, match="lacks 'value'"):
        pair_by_seed(_records([1.0]), _records([1.0]))


def test_too_few_pairs_is_not_resolved():
    v = paired_difference([5.0], [1.0], direction="greater")
    assert v.verdict == "not resolved" and math.isnan(v.ci_low) and v.n == 1
    assert "too few paired seeds (1)" in v.summary()
    v = paired_difference({0: 1.0}, {1: 1.0})
    assert v.n == 0 and v.verdict == "not resolved"


def test_bootstrap_interval():
    rng = np.random.default_rng(3)
    d = rng.normal(1.0, 0.5, size=12)
    a, b = d + 5.0, np.full(12, 5.0)
    v = paired_difference(a, b, method="bootstrap", direction="greater")
    assert v.method == "bootstrap (BCa)" and v.verdict == "held"
    assert v.ci_low < d.mean() < v.ci_high
    # close to the t-interval for well-behaved data, and reproducible
    t = paired_difference(a, b)
    assert v.ci_low == pytest.approx(t.ci_low, abs=0.15)
    assert v.ci_high == pytest.approx(t.ci_high, abs=0.15)
    again = paired_difference(a, b, method="bootstrap")
    assert (again.ci_low, again.ci_high) == (v.ci_low, v.ci_high)
    null = paired_difference(rng.normal(0, 1, 12), np.zeros(12), method="bootstrap")
    assert null.ci_low < 0 < null.ci_high and null.verdict == "not resolved"
    flat = paired_difference([2.0, 2.0, 2.0], [1.0, 1.0, 1.0], method="bootstrap")
    assert (flat.ci_low, flat.ci_high, flat.verdict) == (1.0, 1.0, "held")


def test_slope_interval_matches_the_formula():
    x = np.repeat([1.0, 2.0, 3.0, 4.0], 3)  # e.g. log2 batch, 3 seeds each
    rng = np.random.default_rng(0)
    y = 2.0 + 0.8 * x + rng.normal(0, 0.4, size=x.size)
    v = trend(x, y, direction="increase")
    n = x.size
    sxx = ((x - x.mean()) ** 2).sum()
    slope = ((x - x.mean()) * (y - y.mean())).sum() / sxx
    resid = y - (y.mean() + slope * (x - x.mean()))
    se = math.sqrt((resid**2).sum() / (n - 2) / sxx)
    tq = 2.2281388519649385  # t(0.975, 10)
    assert v.estimate == pytest.approx(slope, rel=1e-12)
    assert v.ci_low == pytest.approx(slope - tq * se, rel=1e-9)
    assert v.ci_high == pytest.approx(slope + tq * se, rel=1e-9)
    assert v.verdict == "held" and v.n == 12
    assert trend(x, y, direction="decrease").verdict == "contradicted"


def test_slope_verdicts_and_errors():
    x = [1, 2, 3, 4, 5, 6]
    flat = [5.0, 5.3, 4.8, 5.2, 4.9, 5.1]  # non-monotonic, no trend
    c = _claim("greater", rule="trend")
    assert evaluate(c, x=x, y=flat).verdict == "not resolved"
    two = trend([1, 2], [1.0, 3.0])
    assert math.isnan(two.ci_low) and two.verdict == "not resolved" and two.estimate == 2.0
    with pytest.raises(ValueError, match="single distinct value"):
        trend([2, 2, 2], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="one length"):
        trend([1, 2, 3], [1.0, 2.0])


def test_decide_and_claim_validation():
    assert decide(0.1, 0.2, "greater") == "held"
    assert decide(-0.2, -0.1, "greater") == "contradicted"
    assert decide(-0.2, -0.1, -1) == "held"
    assert decide(0.0, 0.3, "greater") == "not resolved"  # touching 0 does not exclude it
    assert decide(float("nan"), float("nan"), "less") == "not resolved"
    with pytest.raises(ValueError, match="direction"):
        _claim("bigger")
    with pytest.raises(ValueError, match="rule"):
        _claim(rule="anova")
    with pytest.raises(ValueError, match="t-interval"):
        _claim(rule="trend", method="bootstrap")
    with pytest.raises(ValueError, match="confidence"):
        _claim(confidence=95)
    with pytest.raises(ValueError, match="paired claim takes"):
        evaluate(_claim(), x=[1, 2], y=[1, 2])
    with pytest.raises(ValueError, match="trend claim takes"):
        evaluate(_claim(rule="trend"), [1.0], [2.0])


def test_confidence_level_is_used():
    a, b = [5.0, 6.5, 7.0, 5.5, 6.0], [4.0, 4.5, 5.5, 4.0, 5.5]
    v95 = paired_difference(a, b)
    v99 = paired_difference(a, b, confidence=0.99)
    assert v99.ci_low < v95.ci_low and v99.ci_high > v95.ci_high
    assert "99% CI" in v99.summary()
