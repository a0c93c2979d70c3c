"""matmul: NumPy's 1-D and batch-broadcasting rules, gradients to second order, errors."""

import numpy as np
import pytest
from conftest import to_numpy

import minigrad as mg
from minigrad.autograd import gradcheck, gradgradcheck

F64 = mg.float64

SHAPES = [
    ((3,), (3,)),  # dot product, 0-d result
    ((3,), (3, 2)),  # vector @ matrix
    ((2, 3), (3,)),  # matrix @ vector
    ((2, 3), (3, 4)),
    ((2, 2, 3), (3, 2)),  # batch @ matrix
    ((3,), (2, 3, 2)),  # vector @ batch
    ((2, 1, 2, 3), (3, 3, 2)),  # broadcast batch dimensions
    ((2, 3, 2), (2,)),  # batch @ vector
]


@pytest.mark.parametrize("sa,sb", SHAPES, ids=str)
def test_matmul_values_and_gradients(device, sa, sb):
    a = mg.randn(*sa, dtype=F64, device=device, requires_grad=True)
    b = mg.randn(*sb, dtype=F64, device=device, requires_grad=True)
    out = a @ b
    np.testing.assert_allclose(to_numpy(out), to_numpy(a.detach()) @ to_numpy(b.detach()))
    assert gradcheck(mg.matmul, (a, b))
    assert gradgradcheck(lambda p, q: (p @ q) ** 2, (a, b))


def test_matmul_noncontiguous(device):
    a = mg.randn(4, 3, dtype=F64, device=device, requires_grad=True)
    b = mg.randn(2, 4, dtype=F64, device=device, requires_grad=True)
    assert gradcheck(lambda p, q: p.T @ q.T, (a, b))
    assert gradgradcheck(lambda p, q: p[::2].T @ q[:, ::2], (a, b))
    assert gradgradcheck(lambda p: p.T @ p, (a,))  # the same tensor on both sides


def test_matmul_with_constant_and_array(device):
    a = mg.randn(2, 3, dtype=F64, device=device, requires_grad=True)
    w = mg.randn(3, 2, dtype=F64, device=device)
    assert gradgradcheck(lambda p: (p @ w) ** 2, (a,))
    if device.type == "cpu":
        arr = np.ones((3, 1))
        np.testing.assert_allclose(
            to_numpy(a.detach() @ arr), to_numpy(a.detach()).sum(1, keepdims=True)
        )
        np.testing.assert_allclose(
            to_numpy(np.ones((1, 2)) @ a.detach()), to_numpy(a.detach()).sum(0, keepdims=True)
        )


def test_matmul_float32(device):
    a = mg.randn(2, 3, device=device, requires_grad=True)
    b = mg.randn(3, device=device, requires_grad=True)
    y = a @ b
    assert y.dtype == mg.float32
    ga, gb = mg.grad(y.sum(), [a, b])
    assert ga.dtype == gb.dtype == mg.float32


def test_matmul_errors(device):
    a = mg.randn(2, 3, device=device)
    with pytest.raises(
        RuntimeError, match=r"matmul: shapes \(2, 3\) and \(2, 3\) cannot be multiplied \(3 != 2\)"
    ):
        a @ a
    with pytest.raises(RuntimeError, match="at least 1 dimension"):
        mg.matmul(a, mg.tensor(2.0, device=device))
    with pytest.raises(RuntimeError, match="same dtype"):
        a @ mg.randn(3, dtype=F64, device=device)
