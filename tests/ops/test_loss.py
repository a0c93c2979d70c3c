"""Losses against PyTorch reference values (tests/fixtures/nn_losses.npz, made by
tests/fixtures/make_nn_fixtures.py), plus finite-difference checks and stability."""

import json

import numpy as np
import pytest
from conftest import load_fixture, to_numpy
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad
from minigrad.autograd import gradcheck, gradgradcheck
from minigrad.nn import functional as F

FIX = load_fixture("nn_losses")
CASES = sorted({k.split("__")[0] for k in FIX.files})
TOL = {"f64": dict(rtol=1e-10, atol=1e-12), "f32": dict(rtol=1e-5, atol=1e-6)}


def _case(key, device):
    fn = getattr(F, str(FIX[f"{key}__fn"]))
    opts = json.loads(str(FIX[f"{key}__opts"]))
    x = minigrad.tensor(FIX[f"{key}__input"], device=device, requires_grad=True)
    t = minigrad.tensor(FIX[f"{key}__target"], device=device)
    extra = {
        name: minigrad.tensor(FIX[f"{key}__{name}"], device=device)
        for name in ("weight", "pos_weight")
        if f"{key}__{name}" in FIX.files
    }
    return fn, x, t, extra, opts


@pytest.mark.parametrize("key", CASES)
def test_loss_matches_pytorch(key, device):
    fn, x, t, extra, opts = _case(key, device)
    loss = fn(x, t, **extra, **opts)
    tol = TOL[key.rsplit("_", 1)[1]]
    assert loss.dtype == x.dtype
    assert loss.shape == FIX[f"{key}__loss"].shape
    np.testing.assert_allclose(to_numpy(loss), FIX[f"{key}__loss"], **tol)
    loss.backward(minigrad.tensor(FIX[f"{key}__gy"], device=device))
    assert x.grad.dtype == x.dtype
    np.testing.assert_allclose(to_numpy(x.grad), FIX[f"{key}__grad"], **tol)


# Finite differences: every option of every loss, first and second order, float64.
FD_CASES = [k for k in CASES if k.endswith("_f64") and "big" not in k]


@pytest.mark.parametrize("key", FD_CASES)
def test_loss_gradcheck(key, device):
    fn, x, t, extra, opts = _case(key, device)
    if fn is F.l1_loss or fn is F.smooth_l1_loss:
        # keep |x - t| away from the kinks, where finite differences are meaningless
        d = x._data - t._data
        near = abs(abs(d) - opts.get("beta", 0.0)) < 1e-3
        assert not bool(near.any())
    if fn is F.binary_cross_entropy:
        x._data[...] = x.xp.clip(x._data, 0.1, 0.9)

    def f(inp):
        return fn(inp, t, **extra, **opts)

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_cross_entropy_gradgrad_wrt_incoming_gradient(device):
    # reduction='none' makes the incoming gradient a vector: check d(grad)/d(gy) too
    x = minigrad.randn(4, 3, dtype=minigrad.float64, device=device, requires_grad=True)
    w = minigrad.tensor([0.5, 2.0, 1.0], dtype=minigrad.float64, device=device)
    t = minigrad.tensor([0, 2, -100, 1], device=device)
    gy = minigrad.rand(4, dtype=minigrad.float64, device=device, requires_grad=True)

    def g(x, gy):
        loss = F.cross_entropy(x, t, weight=w, reduction="none", label_smoothing=0.2)
        (gx,) = minigrad.grad(loss, x, gy, create_graph=True)
        return gx

    assert gradcheck(g, (x, gy))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_second_order_with_mean_and_sum(reduction, device):
    x = minigrad.randn(3, 4, dtype=minigrad.float64, device=device, requires_grad=True)
    t = minigrad.tensor([3, 0, 1], device=device)
    gy = minigrad.tensor(1.3, dtype=minigrad.float64, device=device, requires_grad=True)

    def g(x, gy):
        loss = F.cross_entropy(x, t, reduction=reduction)
        (gx,) = minigrad.grad(loss, x, gy, create_graph=True)
        return gx

    assert gradcheck(g, (x, gy))


def test_cross_entropy_large_logits_are_finite(device):
    for dt in (minigrad.float32, minigrad.float64):
        x = minigrad.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=dt, device=device,
                            requires_grad=True)  # fmt: skip
        t = minigrad.tensor([1, 0], device=device)
        loss = F.cross_entropy(x, t, label_smoothing=0.1)
        loss.backward()
        assert np.isfinite(to_numpy(loss)).all()
        assert np.isfinite(to_numpy(x.grad)).all()
        assert loss.item() > 1e3  # the wrong class is 2e4 below the best: a huge loss


def test_bce_with_logits_large_logits_are_finite(device):
    x = minigrad.tensor([1e4, -1e4, 1e4], device=device, requires_grad=True)
    y = minigrad.tensor([0.0, 1.0, 1.0], device=device)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="sum")
    loss.backward()
    np.testing.assert_allclose(to_numpy(loss), 2e4, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(x.grad), [1.0, -1.0, 0.0], atol=1e-6)


def test_cross_entropy_matches_log_softmax_plus_nll(device):
    # invariant: the fused op equals its definition, for K-dim input and weights
    x = minigrad.randn(2, 4, 3, dtype=minigrad.float64, device=device)
    t = minigrad.tensor([[0, 3, 1], [2, 2, -100]], device=device)
    w = minigrad.rand(4, dtype=minigrad.float64, device=device) + 0.5
    a = F.cross_entropy(x, t, weight=w)
    b = F.nll_loss(F.log_softmax(x, 1), t, weight=w)
    np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-12)


def test_cross_entropy_keeps_float32(device):
    x = minigrad.randn(8, 5, device=device, requires_grad=True)
    t = minigrad.randint(0, 5, (8,), device=device)
    w = minigrad.rand(5, dtype=minigrad.float64, device=device)  # cast to the input dtype
    loss = F.cross_entropy(x, t, weight=w, label_smoothing=0.1)
    loss.backward()
    assert loss.dtype == minigrad.float32 and x.grad.dtype == minigrad.float32


def test_cross_entropy_all_ignored_is_nan_like_pytorch(device):
    x = minigrad.randn(2, 3, device=device, requires_grad=True)
    t = minigrad.tensor([-100, -100], device=device)
    with np.errstate(invalid="ignore", divide="ignore"):
        assert np.isnan(F.cross_entropy(x, t).item())
        assert F.cross_entropy(x, t, reduction="sum").item() == 0.0


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda x, t: F.cross_entropy(x, t[:2]), r"expected target of shape \(3,\)"),
        (lambda x, t: F.cross_entropy(x, t + 5), "out of bounds for 4 classes"),
        (lambda x, t: F.cross_entropy(x, t, reduction="avg"), "reduction='avg'"),
        (lambda x, t: F.cross_entropy(x, t, label_smoothing=1.5), "label_smoothing"),
        (lambda x, t: F.cross_entropy(x, t, weight=minigrad.ones(3)), r"shape \(4,\)"),
        (lambda x, t: F.nll_loss(x, t.to(minigrad.float32)), "integer class indices"),
        (lambda x, t: F.mse_loss(x, x[:2]), "same shape"),
    ],
)
def test_loss_errors(call, match, device):
    x = minigrad.randn(3, 4, device=device)
    t = minigrad.tensor([0, 3, 1], device=device)
    with pytest.raises((ValueError, IndexError, TypeError), match=match):
        call(x, t)


def test_binary_cross_entropy_rejects_non_probabilities(device):
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(minigrad.tensor([1.5], device=device),
                               minigrad.tensor([1.0], device=device))  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 5),
    c=st.integers(2, 6),
    shift=st.floats(-50, 50),
    ls=st.sampled_from([0.0, 0.3]),
    seed=st.integers(0, 2**16),
)
def test_cross_entropy_invariants(n, c, shift, ls, seed):
    # shifting a row of logits changes nothing; each gradient row sums to zero
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c))
    t = minigrad.tensor(rng.integers(0, c, n))
    w = minigrad.tensor(rng.uniform(0.5, 2.0, c), dtype=minigrad.float64)
    a = minigrad.tensor(x, dtype=minigrad.float64, requires_grad=True)
    b = minigrad.tensor(x + shift, dtype=minigrad.float64, requires_grad=True)
    la = F.cross_entropy(a, t, weight=w, label_smoothing=ls)
    lb = F.cross_entropy(b, t, weight=w, label_smoothing=ls)
    np.testing.assert_allclose(la.item(), lb.item(), rtol=1e-9, atol=1e-12)
    la.backward()
    lb.backward()
    np.testing.assert_allclose(to_numpy(a.grad), to_numpy(b.grad), atol=1e-9)
    np.testing.assert_allclose(to_numpy(a.grad).sum(1), 0.0, atol=1e-12)
    # PyTorch's formula: (1 - ls) * weighted NLL + ls / C * sum_j w_j * -log p_j, both
    # divided by the summed weights of the targets
    logp = x - x.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    wn, tn = to_numpy(w), to_numpy(t)
    nll = -(wn[tn] * logp[np.arange(n), tn]).sum()
    smooth = -(logp * wn).sum()
    want = ((1 - ls) * nll + ls / c * smooth) / wn[tn].sum()
    np.testing.assert_allclose(la.item(), want, rtol=1e-9)
