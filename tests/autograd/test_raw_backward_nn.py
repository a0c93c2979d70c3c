"""The raw-array first-order backward of linear and cross entropy (``raw_backward``).

A first-order walk runs :class:`~minigrad.ops.nn.linear.Linear`'s BLAS calls and the
cross-entropy gradient pass on arrays; ``create_graph=True`` runs the Tensor formulas.
Both must give the same gradients bit for bit (values and dtypes), for every shape and
option these ops take.
"""

import warnings

import numpy as np
import pytest
from conftest import assert_raw_backward_matches, to_numpy

import minigrad
import minigrad.nn.functional as F
from minigrad.ops.nn.linear import Linear
from minigrad.ops.nn.loss.cross_entropy import CrossEntropy


def _leaf(rng, shape, dtype, device):
    a = rng.standard_normal(shape).astype(dtype)
    return minigrad.tensor(a, device=device, requires_grad=True)


_same = assert_raw_backward_matches


def test_linear_and_cross_entropy_opt_in():
    assert Linear.raw_backward and CrossEntropy.raw_backward


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xshape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_raw_matches_tensor_formula(device, dtype, xshape, bias):
    rng = np.random.default_rng(len(xshape))
    x = _leaf(rng, xshape, dtype, device)
    w = _leaf(rng, (3, 4), dtype, device)
    leaves = [x, w] + ([_leaf(rng, (3,), dtype, device)] if bias else [])
    grads = _same(lambda *a: F.linear(*a), leaves)
    # and the values: gx = g @ W, gW = g2.T @ x2, gb = column sums of g2
    g = np.linspace(-1, 1, int(np.prod(xshape[:-1])) * 3).astype(dtype) + 0.25
    g2 = g.reshape(-1, 3)
    x2, w2 = to_numpy(x).reshape(-1, 4).astype(np.float64), to_numpy(w).astype(np.float64)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(to_numpy(grads[0]).reshape(-1, 4), g2 @ w2, rtol=tol, atol=tol)
    np.testing.assert_allclose(to_numpy(grads[1]), g2.T @ x2, rtol=tol, atol=tol)
    if bias:
        np.testing.assert_allclose(to_numpy(grads[2]), g2.sum(0), rtol=tol, atol=tol)


def test_linear_skips_the_input_gradient_it_does_not_need(device):
    rng = np.random.default_rng(7)
    x = minigrad.tensor(rng.standard_normal((5, 4)).astype(np.float32), device=device)
    w = _leaf(rng, (3, 4), np.float32, device)
    b = _leaf(rng, (3,), np.float32, device)
    y = F.linear(x, w, b)
    y.sum().backward()
    assert x.grad is None and w.grad is not None and b.grad is not None


CE_CASES = [
    {},
    {"reduction": "sum"},
    {"reduction": "none"},
    {"label_smoothing": 0.1},
    {"ignore_index": 2},
    {"weight": [0.5, 1.0, 2.0, 1.5]},
    {"weight": [0.5, 1.0, 2.0, 1.5], "label_smoothing": 0.2, "reduction": "none"},
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", range(len(CE_CASES)))
def test_cross_entropy_raw_matches_tensor_formula(device, dtype, k):
    opts = dict(CE_CASES[k])
    if "weight" in opts:
        opts["weight"] = minigrad.tensor(np.array(opts["weight"], dtype), device=device)
    rng = np.random.default_rng(k)
    x = _leaf(rng, (6, 4), dtype, device)
    t = minigrad.tensor(np.array([0, 2, 3, 1, 2, 0]), device=device)
    _same(lambda x: F.cross_entropy(x, t, **opts), [x])


def test_cross_entropy_rows_far_apart_stay_finite(device):
    # each row is shifted by its own max: a row 1e4 below another loses nothing
    x = minigrad.tensor(
        np.array([[1e4, 1e4 - 1, 1e4 - 2], [-1e4, -1e4 + 1, -1e4 + 3]], np.float32),
        device=device,
        requires_grad=True,
    )
    t = minigrad.tensor(np.array([0, 2]), device=device)
    loss = F.cross_entropy(x, t)
    loss.backward()
    z = np.array([[0.0, -1, -2], [-3, -2, 0]])
    lse = np.log(np.exp(z).sum(1))
    expect = (lse - z[[0, 1], [0, 2]]).mean()
    np.testing.assert_allclose(float(to_numpy(loss)), expect, rtol=1e-6)
    p = np.exp(z - lse[:, None])
    p[[0, 1], [0, 2]] -= 1
    np.testing.assert_allclose(to_numpy(x.grad), p / 2, rtol=1e-5, atol=1e-7)


def test_cross_entropy_retain_graph_twice_and_infinite_gradient_quietly(device):
    x = _leaf(np.random.default_rng(3), (5, 3), np.float32, device)
    t = minigrad.tensor(np.array([0, 1, 2, 1, 0]), device=device)
    loss = F.cross_entropy(x, t)
    loss.backward(retain_graph=True)
    first = to_numpy(x.grad).copy()
    loss.backward(retain_graph=True)  # the node's softmax was not overwritten
    np.testing.assert_array_equal(to_numpy(x.grad), 2 * first)
    x.grad = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an infinite incoming gradient warns nothing
        loss.backward(minigrad.tensor(np.float32(np.inf), device=device))
    g = to_numpy(x.grad)
    assert np.isinf(g[first != 0]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_raw_matches_tensor_formula(device, cpu_kernels, dtype):
    from minigrad.ops.math.unary import ReLU

    assert ReLU.raw_backward
    x = _leaf(np.random.default_rng(8), (6, 5), dtype, device)
    (gx,) = _same(lambda x: minigrad.relu(x * 1.5), [x])
    g = np.linspace(-1, 1, 30).reshape(6, 5).astype(dtype) + 0.25
    expect = np.where(to_numpy(x) * 1.5 > 0, g * 1.5, 0)
    np.testing.assert_array_equal(to_numpy(gx), expect.astype(dtype))
