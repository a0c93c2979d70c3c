"""Elementwise ops: values against NumPy, gradients by finite differences to second order
(with broadcasting and non-contiguous inputs), dtype rules with Python scalars, errors."""

import numpy as np
import pytest
from conftest import to_numpy
from opcheck import F64, both, rand

import minigrad as mg


def away_from(x, points, gap=0.05):
    """Move values of ``x`` that lie within ``gap`` of a kink in ``points``."""
    a = to_numpy(x).copy()
    for p in points:
        near = np.abs(a - p) < gap
        a[near] = p + np.where(a[near] >= p, gap, -gap) * 2
    return mg.tensor(a, dtype=x.dtype, device=x.device, requires_grad=x.requires_grad)


# ----------------------------------------------------------------------- binary
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a.abs() ** b,
    "maximum": mg.maximum,
    "minimum": mg.minimum,
    "add_alpha": lambda a, b: mg.add(a, b, alpha=2.5),
    "sub_alpha": lambda a, b: mg.sub(a, b, alpha=-0.5),
}
SHAPES = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1, 3), (4, 1)), ((1,), (2, 2)), ((), (3,))]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradients(device, name, shapes):
    a, b = rand(device, *shapes[0]), rand(device, *shapes[1])
    if name == "div":
        b = away_from(b, [0.0], 0.3)
    if name == "pow":
        a = away_from(a, [0.0], 0.3)
    both(lambda p, q: BINARY[name](p, q) * BINARY[name](q, p), a, b)


def test_binary_noncontiguous_gradients(device):
    a, b = rand(device, 3, 4), rand(device, 4, 3)
    both(lambda p, q: p.T * q + q / (p.T**2 + 1), a, b)
    both(lambda p, q: p[:, ::2] - q[::2, :3].T, a, b)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "maximum", "minimum"])
def test_binary_values(device, name):
    a, b = rand(device, 2, 3, requires_grad=False), rand(device, 3, requires_grad=False)
    ref = {
        "add": np.add,
        "sub": np.subtract,
        "mul": np.multiply,
        "div": np.divide,
        "maximum": np.maximum,
        "minimum": np.minimum,
    }[name]
    np.testing.assert_allclose(to_numpy(BINARY[name](a, b)), ref(to_numpy(a), to_numpy(b)))


def test_scalar_operands_and_reflected(device):
    x = rand(device, 3)
    both(lambda a: 2.0 - a, x)
    both(lambda a: 3.0 / (a * a + 1), x)
    both(lambda a: 2.0**a, x)
    both(lambda a: (a * a + 1) ** 0.5, x)
    both(lambda a: a**3 + a**0, x)
    a = to_numpy(x.detach())
    np.testing.assert_allclose(to_numpy(1 - x.detach()), 1 - a)
    np.testing.assert_allclose(to_numpy(2.0 ** x.detach()), 2.0**a)


def test_tie_gradients_split_evenly(device):
    a = mg.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    b = mg.tensor([2.0, 2.0, 2.0], device=device, requires_grad=True)
    mg.maximum(a, b).sum().backward()
    assert to_numpy(a.grad).tolist() == [0.0, 0.5, 1.0]
    assert to_numpy(b.grad).tolist() == [1.0, 0.5, 0.0]


# ----------------------------------------------------------------------- unary
UNARY = {
    "neg": (lambda a: -a, np.negative),
    "abs": (mg.abs, np.abs),
    "exp": (mg.exp, np.exp),
    "log": (lambda a: mg.log(a.abs()), lambda a: np.log(np.abs(a))),
    "sqrt": (lambda a: a.abs().sqrt(), lambda a: np.sqrt(np.abs(a))),
    "rsqrt": (lambda a: a.abs().rsqrt(), lambda a: 1 / np.sqrt(np.abs(a))),
    "sin": (mg.sin, np.sin),
    "cos": (mg.cos, np.cos),
    "tanh": (mg.tanh, np.tanh),
    "sigmoid": (mg.sigmoid, lambda a: 1 / (1 + np.exp(-a))),
    "relu": (mg.relu, lambda a: np.maximum(a, 0)),
    "clamp": (lambda a: a.clamp(-0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7)),
    "clamp_min": (lambda a: mg.clamp(a, min=0.2), lambda a: np.maximum(a, 0.2)),
    "clamp_max": (lambda a: a.clamp(max=-0.1), lambda a: np.minimum(a, -0.1)),
    "clone": (mg.clone, np.copy),
}
KINKS = [0.0, -0.5, 0.7, 0.2, -0.1]


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(device, name):
    fn, ref = UNARY[name]
    x = away_from(rand(device, 2, 3), KINKS)
    np.testing.assert_allclose(to_numpy(fn(x.detach())), ref(to_numpy(x.detach())), rtol=1e-12)
    # squared, so the second derivative also exercises the op's own backward;
    # transposed and sliced inputs are made inside the function
    both(lambda a: fn(a) ** 2, x)
    both(lambda a: fn(a.T[::2]) ** 2, x)


def test_kink_gradients_follow_pytorch(device):
    x = mg.tensor([-1.0, 0.0, 1.0], device=device, requires_grad=True)
    (g,) = mg.grad(mg.relu(x).sum(), [x])
    assert to_numpy(g).tolist() == [0.0, 0.0, 1.0]
    (g,) = mg.grad(x.abs().sum(), [x])
    assert to_numpy(g).tolist() == [-1.0, 0.0, 1.0]
    (g,) = mg.grad(x.clamp(0.0, 1.0).sum(), [x])  # bounds included, like PyTorch
    assert to_numpy(g).tolist() == [0.0, 1.0, 1.0]


def test_relu_keeps_nan_and_gives_positive_zero(device):
    y = to_numpy(mg.relu(mg.tensor([-2.0, float("nan")], device=device)))
    assert y[0] == 0 and not np.signbit(y[0]) and np.isnan(y[1])


def test_sigmoid_is_stable(device):
    y = to_numpy(mg.sigmoid(mg.tensor([-1000.0, 1000.0], device=device)))
    assert y.tolist() == [0.0, 1.0]


def test_clamp_needs_a_bound(device):
    with pytest.raises(ValueError, match="clamp: at least one of min and max"):
        rand(device, 2).clamp()


# ----------------------------------------------------------------------- where / comparisons
def test_where(device):
    a, b = rand(device, 2, 3), rand(device, 3)
    cond = a.detach() > 0
    both(lambda p, q: mg.where(cond, p, q) ** 2, a, b)
    both(lambda p: mg.where(cond, p, 0.5) ** 2, a)
    np.testing.assert_array_equal(
        to_numpy(mg.where(cond, a, b)),
        np.where(to_numpy(cond), to_numpy(a.detach()), to_numpy(b.detach())),
    )
    assert mg.where(cond, 1.0, 0.0).dtype == mg.float32
    assert mg.where(cond, 1, 0).dtype == mg.int64
    with pytest.raises(TypeError, match="where: condition must be a bool tensor"):
        mg.where(a, a, b)


def test_comparisons(device):
    a = mg.tensor([1.0, 2.0, 3.0], device=device)
    b = mg.tensor([3.0, 2.0, 1.0], device=device)
    assert (a == b).tolist() == [False, True, False]
    assert (a != 2.0).tolist() == [True, False, True]
    assert (a < b).tolist() == [True, False, False]
    assert (a <= b).tolist() == [True, True, False]
    assert (a > b).tolist() == [False, False, True]
    assert (2.0 >= a).tolist() == [True, True, False]
    assert ((a > 1) & (b > 1)).tolist() == [False, True, False]
    assert ((a > 2) | (b > 2)).tolist() == [True, False, True]
    assert (~(a > 2)).tolist() == [True, True, False]
    assert (a > b).dtype == mg.bool
    assert not (a > b).requires_grad
    assert mg.sign(mg.tensor([-2.0, 0.0, 5.0], device=device)).tolist() == [-1.0, 0.0, 1.0]


# ----------------------------------------------------------------------- dtypes
def test_float32_stays_float32_with_python_scalars(device):
    x = mg.randn(3, device=device, requires_grad=True)
    outs = [
        x * 2.0,
        2.0 * x,
        x + 1,
        x - 0.5,
        1.5 / (x * x + 1),
        x**2,
        (x * x) ** 0.5,
        2.0**x,
        x * np.float64(2.0),
        mg.maximum(x, 0.5),
        mg.where(x > 0, x, 0.0),
        x.clamp(-0.1, 0.1),
        (x * x + 1).log().sqrt().rsqrt().exp(),
        x.sin().cos().tanh().sigmoid().relu().abs(),
    ]
    for y in outs:
        assert y.dtype == mg.float32
        (g,) = mg.grad(y.sum(), [x])
        assert g.dtype == mg.float32


def test_to_and_clone_gradients(device):
    x = rand(device, 3)
    both(lambda a: a.to(F64, copy=True) * a, x)
    both(lambda a: a.clone() * a, x)
    y = mg.randn(3, device=device, requires_grad=True)
    (g,) = mg.grad(y.to(F64).sum(), [y])
    assert g.dtype == mg.float32
    c = x.clone()
    assert c._data is not x._data and np.shares_memory(to_numpy(c), to_numpy(x)) is False


def test_binary_needs_a_tensor():
    from minigrad.ops.math.elementwise import add

    with pytest.raises(TypeError, match="Add: at least one operand must be a Tensor"):
        add(1.0, 2.0)


def test_broadcast_error_names_shapes(device):
    with pytest.raises(RuntimeError, match=r"add: the shapes \(2, 3\) and \(4,\) cannot be"):
        rand(device, 2, 3) + rand(device, 4)
    with pytest.raises(RuntimeError, match=r"maximum: the shapes \(2,\) and \(3, 1, 5\)"):
        mg.maximum(rand(device, 2), rand(device, 3, 1, 5))


def test_pow_gradients_at_zero_follow_pytorch(device):
    """0 ** b: d/db is 0 for b >= 0; d/da is 0 where b == 0 (values from PyTorch)."""
    x = mg.tensor(np.array([0.0, 1.0, 2.0]), device=device, requires_grad=True)
    y = mg.tensor(np.array([0.0, 2.0, -1.0]), device=device, requires_grad=True)
    with np.errstate(all="ignore"):
        gx, gy = mg.grad((x**y).sum(), [x, y])
        z = mg.tensor(np.array([0.0, 1.0, -1.0]), device=device, requires_grad=True)
        (gz,) = mg.grad((0.0**z).sum(), [z])
    np.testing.assert_allclose(to_numpy(gx), [0.0, 2.0, -0.25])
    np.testing.assert_allclose(to_numpy(gy), [0.0, 0.0, 2**-1 * np.log(2)])
    assert to_numpy(gz).tolist() == [0.0, 0.0, -np.inf]


def test_pow_tensor_exponent_gradients(device):
    a = away_from(rand(device, 2, 3), [0.0], 0.3).abs()
    b = rand(device, 3)
    both(lambda p, q: p**q, a, b)
    both(lambda q: 1.5**q, b)


def test_clamp_with_tensor_bounds(device):
    x = away_from(rand(device, 2, 3), [-0.3, 0.4])
    lo = mg.full((3,), -0.3, dtype=F64, device=device, requires_grad=True)
    hi = mg.full((2, 1), 0.4, dtype=F64, device=device, requires_grad=True)
    np.testing.assert_array_equal(
        to_numpy(x.detach().clamp(lo.detach(), hi.detach())),
        np.clip(to_numpy(x.detach()), -0.3, 0.4),
    )
    both(lambda a, p, q: a.clamp(p, q) ** 2, x, lo, hi)


def test_isnan_isinf_isfinite(device):
    x = mg.tensor([1.0, float("nan"), float("inf"), -float("inf")], device=device)
    assert mg.isnan(x).tolist() == [False, True, False, False]
    assert mg.isinf(x).tolist() == [False, False, True, True]
    assert mg.isfinite(x).tolist() == [True, False, False, False]


def test_comparison_broadcast_error_names_op(device):
    with pytest.raises(RuntimeError, match=r"lt: the shapes \(2,\) and \(3,\) cannot"):
        mg.lt(rand(device, 2), rand(device, 3))


def test_public_names_are_exported():
    """Every op module's __all__ is reachable from the top level or nn.functional."""
    import minigrad.nn.functional as F
    from minigrad.ops.math import compare, convert, elementwise, linalg, reduce
    from minigrad.ops.nn.activation import activation
    from minigrad.ops.shape import indexing, pad, shape

    for mod in (compare, convert, elementwise, indexing, linalg, pad, reduce, shape):
        for name in mod.__all__:
            if name in ("to", "getitem", "expand"):  # Tensor methods in PyTorch
                continue
            assert getattr(mg, name) is getattr(mod, name), name
    for name in activation.__all__:
        assert getattr(F, name) is getattr(activation, name), name
    assert mg.erf is activation.erf
    assert mg.concat is mg.concatenate is mg.cat
