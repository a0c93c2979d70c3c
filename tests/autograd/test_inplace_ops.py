"""In-place ops as in PyTorch: the ``<op>_`` of every common unary op, ``clamp_min``/
``clamp_max``, ``random_``/``exponential_``; results that must not be cast into the
tensor's dtype are refused (a float result into an integer tensor); floating-point
exceptions are silent.
"""

import warnings

import numpy as np
import pytest
from conftest import to_numpy

import minigrad as mg

UNARY = [
    "relu", "sigmoid", "tanh", "log", "log2", "log10", "log1p", "expm1", "rsqrt", "sin",
    "cos", "tan", "floor", "ceil", "trunc", "frac", "sign", "reciprocal", "square", "exp2",
    "erf", "round", "sqrt", "exp", "abs", "neg",
]  # fmt: skip

X = [0.3, 1.7, 2.5, 0.9]  # positive (log, rsqrt), no ties at .5 boundaries except 2.5


@pytest.mark.parametrize("name", UNARY)
def test_inplace_unary_equals_out_of_place(device, name):
    x = mg.tensor(X, dtype=mg.float64, device=device)
    want = to_numpy(getattr(x, name)())
    y = x.clone()
    out = getattr(y, f"{name}_")()
    assert out is y
    np.testing.assert_array_equal(to_numpy(y), want)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "log", "sin", "square", "reciprocal"])
def test_inplace_unary_in_the_graph_has_the_same_gradient(device, name):
    w = mg.tensor(X, dtype=mg.float64, device=device, requires_grad=True)
    g = mg.tensor([1.0, -2.0, 0.5, 3.0], dtype=mg.float64, device=device)
    getattr(w * 1.5, name)().backward(g)
    want = to_numpy(w.grad)
    w.grad = None
    h = w * 1.5
    getattr(h, f"{name}_")()
    h.backward(g)
    np.testing.assert_allclose(to_numpy(w.grad), want, rtol=1e-15)


def test_clamp_min_and_max(device):
    x = mg.tensor([-2.0, 0.5, 3.0], device=device, requires_grad=True)
    y = mg.clamp_min(x, 0.0) + x.clamp_max(1.0)
    np.testing.assert_array_equal(to_numpy(y), [-2.0, 1.0, 4.0])
    y.sum().backward()
    np.testing.assert_array_equal(to_numpy(x.grad), [1.0, 2.0, 1.0])
    z = x.detach().clone()
    z.clamp_min_(0.0).clamp_max_(1.0)
    np.testing.assert_array_equal(to_numpy(z), [0.0, 0.5, 1.0])


def test_random_draws_whole_numbers_in_the_range(device):
    mg.manual_seed(0)
    v = to_numpy(mg.empty(2000, device=device).random_(3))
    assert set(v.tolist()) == {0.0, 1.0, 2.0}
    v = to_numpy(mg.zeros(2000, dtype=mg.int64, device=device).random_(5, 8))
    assert v.dtype == np.int64 and set(v.tolist()) == {5, 6, 7}
    v = to_numpy(mg.empty(2000, device=device).random_())  # [0, 2**24]: float32 exact
    assert v.min() >= 0 and v.max() <= 2**24 and (v == np.floor(v)).all() and v.max() > 2**20
    with pytest.raises(RuntimeError, match="from_ < to"):
        mg.empty(2, device=device).random_(3, 3)


def test_exponential_has_the_rate(device):
    mg.manual_seed(0)
    v = to_numpy(mg.empty(20000, dtype=mg.float64, device=device).exponential_(4.0))
    assert v.min() >= 0
    # mean 1/4, standard error 0.25/sqrt(20000) = 0.0018: 5 standard errors
    assert abs(v.mean() - 0.25) < 0.009
    with pytest.raises(RuntimeError, match="lambd > 0"):
        mg.empty(2, device=device).exponential_(0.0)


@pytest.mark.parametrize(
    "dtype,op",
    [
        (mg.int64, lambda t: t.mul_(1.5)),
        (mg.int64, lambda t: t.div_(2)),
        (mg.int32, lambda t: t.add_(mg.full_like(t, 0.5, dtype=mg.float32))),
        (mg.int64, lambda t: t.sqrt_()),
        (mg.bool_, lambda t: t.add_(2)),
    ],
)
def test_result_that_does_not_cast_is_refused(device, dtype, op):
    t = mg.ones(2, dtype=dtype, device=device)
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        op(t)
    assert (to_numpy(t) == 1).all()  # untouched


def test_results_that_cast_are_kept_in_the_tensors_dtype(device):
    t = mg.ones(2, device=device)
    t.mul_(mg.tensor([2.0, 3.0], dtype=mg.float64, device=device))  # Double into Float
    assert t.dtype == mg.float32 and to_numpy(t).tolist() == [2.0, 3.0]
    i = mg.ones(2, dtype=mg.int64, device=device)
    i.add_(mg.tensor([True, False], device=device)).mul_(3)
    assert i.dtype == mg.int64 and to_numpy(i).tolist() == [6, 3]


def test_result_cast_is_refused_in_the_graph_too(device):
    w = mg.tensor([1.5, 2.5], device=device, requires_grad=True)
    i = mg.ones(2, dtype=mg.int64, device=device)
    with pytest.raises(RuntimeError, match="result type Float can't be cast.*Long"):
        i.mul_(w)


def test_inplace_ops_are_silent(device):
    x = mg.tensor([-1.0, 0.0, 2.0, 3e38], device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.mul_(1e10)
        x.div_(0.0)
        x.sqrt_()
        x.log_()
    v = to_numpy(x)
    assert np.isnan(v[0]) and np.isnan(v[1]) and v[3] == np.inf
