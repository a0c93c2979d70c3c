"""The raw-array first-order backward (``Function.raw_backward``).

A first-order ``backward``/``grad`` runs the formulas of opted-in Functions on arrays;
``create_graph=True`` runs the same formulas on Tensors. Both must give the same
gradients bit for bit (values and dtypes), including broadcasting, Python-number
operands, mixed dtypes (which fall back to the Tensor formula), hooks, ``retain_grad``,
``retain_graph`` and in-place detection.
"""

import numpy as np
import pytest
from conftest import assert_raw_backward_matches, to_numpy

import minigrad
from minigrad.autograd import Function
from minigrad.ops.math.elementwise import Add, Div, Mul, Sub
from minigrad.ops.math.unary import Exp, Log, Neg, Rsqrt, Sigmoid, Sqrt, Tanh


def _leaf(rng, shape, dtype, device, positive=False):
    a = rng.standard_normal(shape)
    if positive:
        a = np.abs(a) + 0.5
    return minigrad.tensor(a.astype(dtype), device=device, requires_grad=True)


_same = assert_raw_backward_matches


BINARY = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a / b,
    lambda a, b: 0.5 - a * b,
    lambda a, b: (a * 0.999 + 0.001).tanh() * b,
]
UNARY = [
    lambda x: -x,
    lambda x: x.exp(),
    lambda x: x.log(),
    lambda x: x.sqrt(),
    lambda x: x.rsqrt(),
    lambda x: x.tanh(),
    lambda x: x.sigmoid(),
    lambda x: 2.0 / x + 3 * x,
]


def test_the_ops_in_this_file_use_the_raw_path():
    for cls in (Add, Sub, Mul, Div, Neg, Exp, Log, Sqrt, Rsqrt, Tanh, Sigmoid):
        assert cls.raw_backward


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)),
                                    ((5,), ())])  # fmt: skip
@pytest.mark.parametrize("k", range(len(BINARY)))
def test_binary_raw_matches_tensor_formula(device, dtype, shapes, k):
    rng = np.random.default_rng(k)
    a = _leaf(rng, shapes[0], dtype, device, positive=True)
    b = _leaf(rng, shapes[1], dtype, device, positive=True)
    _same(BINARY[k], [a, b])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", range(len(UNARY)))
def test_unary_raw_matches_tensor_formula(device, dtype, k):
    x = _leaf(np.random.default_rng(k), (4, 3), dtype, device, positive=True)
    _same(UNARY[k], [x])


@pytest.mark.parametrize(
    "da,db", [(np.float32, np.float64), (np.float64, np.float32), (np.float16, np.float32)]
)
def test_mixed_dtypes_take_the_tensor_formula_and_agree(device, da, db):
    rng = np.random.default_rng(0)
    a = _leaf(rng, (3, 4), da, device)
    b = _leaf(rng, (), db, device)  # a 0-d operand: PyTorch keeps a's dtype
    ga, gb = _same(lambda a, b: (a * b - b) / (b + 2.0), [a, b])
    assert ga.dtype == np.dtype(da) and gb.dtype == np.dtype(db)


def test_integer_operand_keeps_the_float_gradient_dtype(device):
    a = _leaf(np.random.default_rng(1), (3,), np.float32, device)
    n = minigrad.tensor(np.array([1, 2, 4]), device=device)
    (ga,) = _same(lambda a: a * n + a / n, [a])
    assert ga.dtype == np.float32
    nn = np.array([1.0, 2.0, 4.0])
    g = np.linspace(-1, 1, 3) + 0.25  # the output gradient assert_raw_backward_matches uses
    np.testing.assert_allclose(to_numpy(ga), (nn + 1 / nn) * g, rtol=1e-6)


def test_w4_chain_gradients_match_the_tensor_formulas(device):
    rng = np.random.default_rng(2)
    x = _leaf(rng, (10,), np.float32, device)
    w = minigrad.tensor(np.full(10, 1.0001, np.float32), device=device, requires_grad=True)

    def chain(x, w):
        y = x
        for i in range(40):
            k = i % 4
            y = y * 0.999 if k == 0 else y + 0.001 if k == 1 else y.tanh() if k == 2 else y * w
        return y

    _same(chain, [x, w])


def test_hooks_and_retain_grad_see_tensors_in_a_raw_walk(device):
    x = _leaf(np.random.default_rng(3), (3,), np.float64, device)
    y = x * 2.0
    z = y.tanh()
    y.retain_grad()
    seen = []
    z.register_hook(lambda g: seen.append(type(g)) or g * 3)
    y.register_hook(lambda g: seen.append(type(g)))
    z.sum().backward()
    assert seen == [minigrad.Tensor, minigrad.Tensor]
    t = np.tanh(2 * to_numpy(x))
    np.testing.assert_allclose(to_numpy(y.grad), 3 * (1 - t * t), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(x.grad), 6 * (1 - t * t), rtol=1e-12)


def test_retain_graph_runs_a_raw_node_twice(device):
    x = _leaf(np.random.default_rng(4), (3,), np.float64, device)
    y = (x * x).tanh()
    y.sum().backward(retain_graph=True)
    first = to_numpy(x.grad).copy()
    y.sum().backward()
    np.testing.assert_array_equal(to_numpy(x.grad), 2 * first)
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()


def test_inplace_change_is_detected_before_a_raw_formula_runs(device):
    x = _leaf(np.random.default_rng(5), (3,), np.float32, device)
    a = x * 1.0
    y = a * a
    a.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_a_failing_raw_formula_leaves_the_node_usable():
    class Flaky(Function):
        raw_backward = True
        fail = True

        def forward(self, x):
            return x * 2

        def backward(self, gy):
            if Flaky.fail:
                raise ValueError("boom")
            (x,) = self.inputs
            assert isinstance(x, np.ndarray) and isinstance(gy, np.ndarray)
            return gy * 2

    x = minigrad.tensor(np.ones(3), requires_grad=True)
    y = Flaky()(x)
    with pytest.raises(ValueError, match="boom"):
        y.sum().backward(retain_graph=True)
    assert isinstance(y.grad_fn.inputs[0], minigrad.Tensor)
    Flaky.fail = False
    y.sum().backward()
    np.testing.assert_array_equal(x.grad._data, [2.0, 2.0, 2.0])


def test_anomaly_mode_uses_the_tensor_formulas():
    seen = []

    class Probe(Function):
        raw_backward = True

        def forward(self, x):
            return x + 0

        def backward(self, gy):
            seen.append(type(gy))
            return gy

    x = minigrad.tensor(np.ones(2), requires_grad=True)
    Probe()(x).sum().backward()
    with minigrad.autograd.detect_anomaly():
        Probe()(x).sum().backward()
    assert seen == [np.ndarray, minigrad.Tensor]


def test_root_gradient_of_another_dtype_takes_the_tensor_formula(device):
    x = _leaf(np.random.default_rng(6), (4,), np.float32, device)

    def run(create_graph):
        y = (x * 0.5).tanh() * x
        g = minigrad.tensor(np.linspace(-1, 1, 4), device=device)  # float64 for float32 y
        return minigrad.grad(y, x, g, create_graph=create_graph)[0]

    raw, ten = run(False), run(True)
    assert raw.dtype == ten.dtype == np.float32
    np.testing.assert_array_equal(to_numpy(raw), to_numpy(ten.detach()))


def test_grad_of_an_intermediate_and_multi_output_nodes_in_a_raw_walk(device):
    x = _leaf(np.random.default_rng(7), (3, 4), np.float64, device)
    a = x * 2.0
    parts = minigrad.split(a.tanh(), 2, dim=1)  # a node with two outputs
    out = (parts[0] * parts[1]).sum() + (a * a).sum()
    ga, gx = minigrad.grad(out, [a, x], retain_graph=True)
    ga2, gx2 = minigrad.grad(out, [a, x], create_graph=True)
    np.testing.assert_array_equal(to_numpy(ga), to_numpy(ga2.detach()))
    np.testing.assert_array_equal(to_numpy(gx), to_numpy(gx2.detach()))
    np.testing.assert_allclose(to_numpy(gx), 2 * to_numpy(ga), rtol=1e-15)


@pytest.mark.parametrize("k", range(len(BINARY)))
def test_zero_dim_raw_gradients_are_arrays_and_match(device, k):
    rng = np.random.default_rng(k)
    a = _leaf(rng, (), np.float32, device, positive=True)  # NumPy gives scalars here
    b = _leaf(rng, (), np.float32, device, positive=True)
    for g in _same(BINARY[k], [a, b]):
        assert g.shape == () and g.dtype == np.float32
        assert not isinstance(g._data, np.generic)
