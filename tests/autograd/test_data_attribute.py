"""``Tensor.data`` as in PyTorch: a tensor that shares the values, outside the graph
(in-place changes through it are not recorded and not seen by the version check, unlike
``detach()``); assigning a tensor to ``.data`` replaces the values."""

import numpy as np
import pytest
from conftest import to_numpy

import minigrad as mg
import minigrad.nn as nn


def test_data_is_a_tensor_sharing_memory_outside_the_graph(device):
    w = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    d = w.data
    assert isinstance(d, mg.Tensor) and not d.requires_grad and d.grad_fn is None
    d.mul_(3.0)  # allowed (no grad), and w sees it
    np.testing.assert_array_equal(to_numpy(w), [3.0, 6.0])
    assert w.requires_grad and w.is_leaf


def test_inplace_through_data_is_not_seen_by_autograd(device):
    w = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (w * w).sum()
    w.data.mul_(2.0)  # PyTorch: no error; backward reads the new values
    y.backward()
    np.testing.assert_array_equal(to_numpy(w.grad), [4.0, 8.0])
    v = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    z = (v * v).sum()
    v.detach().mul_(2.0)  # detach shares the version counter: caught
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_assigning_data_replaces_values_and_shape(device):
    w = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    w.data = mg.zeros(3, 2, device=device)
    assert w.shape == (3, 2) and w.requires_grad and w.is_leaf
    (w * 2).sum().backward()
    np.testing.assert_array_equal(to_numpy(w.grad), np.full((3, 2), 2.0))
    with pytest.raises(TypeError, match="must be a Tensor"):
        w.data = np.zeros(3)


def test_pytorch_idioms_through_data(device):
    mg.manual_seed(0)
    m = nn.Linear(4, 3, device=device)
    m.weight.data.normal_(0.0, 0.02)
    m.bias.data.zero_()
    assert abs(float(m.weight.std())) < 0.05 and float(m.bias.abs().sum()) == 0.0
    target = nn.Linear(4, 3, device=device)
    want = [0.5 * to_numpy(p.detach()) + 0.5 * to_numpy(tp.detach())
            for tp, p in zip(target.parameters(), m.parameters())]  # fmt: skip
    for tp, p in zip(target.parameters(), m.parameters()):  # a soft (Polyak) update
        tp.data.copy_(0.5 * p.data + 0.5 * tp.data)
    for tp, w in zip(target.parameters(), want):
        np.testing.assert_allclose(to_numpy(tp.detach()), w, rtol=1e-6)
    for p in m.parameters():  # a hand-written SGD step on .data
        p.grad = mg.ones_like(p)
        p.data.add_(p.grad.data, alpha=-0.1)
    np.testing.assert_allclose(to_numpy(m.bias.detach()), np.full(3, -0.1), rtol=1e-6)
