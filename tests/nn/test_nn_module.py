"""Module and Parameter: registration, buffers, iteration, modes, devices and dtypes,
zero_grad, state_dict round trips and load errors, hooks, repr."""

import copy
from collections import OrderedDict

import numpy as np
import pytest
from conftest import to_numpy

import minigrad
from minigrad import nn


class Net(nn.Module):
    """Parameters, a persistent and a non-persistent buffer, an integer buffer and
    nested sub-modules, like a small model with a normalization layer."""

    def __init__(self, device=None):
        super().__init__()
        self.fc = nn.Linear(3, 4, device=device)
        self.body = nn.Sequential(nn.Linear(4, 4, device=device), nn.ReLU())
        self.scale = nn.Parameter(minigrad.ones(4, device=device))
        self.register_buffer("running_mean", minigrad.zeros(4, device=device))
        self.register_buffer("num_batches_tracked", minigrad.tensor(0, device=device))
        self.register_buffer("cache", minigrad.zeros(2, device=device), persistent=False)

    def forward(self, x):
        return self.body(self.fc(x)) * self.scale


# PyTorch's order: a module's own parameters, then its own buffers, then each child's
KEYS = ["scale", "running_mean", "num_batches_tracked", "fc.weight", "fc.bias",
        "body.0.weight", "body.0.bias"]  # fmt: skip


def test_parameter_is_a_leaf_tensor_with_repr(device):
    p = nn.Parameter(minigrad.tensor([1.0, 2.0], device=device))
    assert isinstance(p, minigrad.Tensor) and p.is_leaf and p.requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor([1., 2.]")
    assert "requires_grad=True" in repr(p)
    assert not nn.Parameter(minigrad.ones(2, device=device), requires_grad=False).requires_grad
    assert not hasattr(p, "__dict__")  # __slots__ kept
    (p * 2).sum().backward()
    np.testing.assert_array_equal(to_numpy(p.grad), [2.0, 2.0])
    assert type((p * 2).detach()) is minigrad.Tensor
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(minigrad.tensor([1, 2], device=device))


def test_parameter_shares_memory_with_source(device):
    t = minigrad.zeros(3, device=device)
    p = nn.Parameter(t)
    t._data[0] = 5.0
    assert p._data[0].item() == 5.0


def test_registration_by_assignment(device):
    m = Net(device)
    assert [n for n, _ in m.named_parameters()] == [KEYS[0]] + KEYS[3:]
    assert [n for n, _ in m.named_buffers()] == ["running_mean", "num_batches_tracked", "cache"]
    assert [n for n, _ in m.named_children()] == ["fc", "body"]
    assert [n for n, _ in m.named_modules()] == ["", "fc", "body", "body.0", "body.1"]
    assert len(list(m.modules())) == 5 and len(list(m.children())) == 2
    assert m.fc is m._modules["fc"] and m.scale is m._parameters["scale"]
    assert m.running_mean is m._buffers["running_mean"]
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["scale"]
    # buffers are never parameters
    ids = {id(p) for p in m.parameters()}
    assert all(id(b) not in ids for b in m.buffers())


def test_reassignment_moves_between_stores():
    m = nn.Module()
    m.x = nn.Parameter(minigrad.ones(1))
    m.x = nn.Linear(1, 1)  # now a module, no longer a parameter
    assert "x" not in m._parameters and "x" in m._modules
    m.register_buffer("b", minigrad.ones(1))
    m.b = minigrad.zeros(1)  # plain tensor assignment to a buffer updates the buffer
    assert m._buffers["b"].item() == 0.0
    with pytest.raises(TypeError, match="cannot assign 'int' as buffer 'b'"):
        m.b = 3
    m.register_parameter("w", nn.Parameter(minigrad.ones(1)))
    with pytest.raises(TypeError, match="parameter 'w'"):
        m.w = minigrad.ones(1)
    m.w = None
    assert m.w is None and list(m.named_parameters()) == [
        ("x.weight", m.x.weight), ("x.bias", m.x.bias)
    ]  # fmt: skip
    del m.x
    assert "x" not in m._modules
    with pytest.raises(AttributeError, match="has no attribute 'x'"):
        m.x  # noqa: B018


def test_registration_errors():
    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(minigrad.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    m = nn.Module()
    with pytest.raises(KeyError, match="be empty or contain"):
        m.register_buffer("a.b", minigrad.ones(1))
    with pytest.raises(TypeError, match="Parameter or None required"):
        m.register_parameter("p", minigrad.ones(1))
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("m", 3)
    m.plain = 1
    with pytest.raises(KeyError, match="attribute 'plain' already exists"):
        m.register_buffer("plain", minigrad.ones(1))


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    m = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(m.parameters())) == 2
    assert [n for n, _ in m.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(m.modules())) == 3


def test_train_eval_recursive():
    m = Net()
    assert all(x.training for x in m.modules())
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    m.body.train(False)
    assert m.training and not m.body[0].training
    with pytest.raises(ValueError, match="boolean"):
        m.train("yes")


def test_to_dtype_keeps_parameter_identity_and_integer_buffers(device):
    m = Net(device)
    params = list(m.parameters())
    (m(minigrad.randn(2, 3, device=device))).sum().backward()
    assert m.double() is m
    assert [id(p) for p in m.parameters()] == [id(p) for p in params]
    assert all(p.dtype == minigrad.float64 for p in m.parameters())
    assert all(p.grad.dtype == minigrad.float64 for p in m.parameters())
    assert m.running_mean.dtype == minigrad.float64
    assert m.num_batches_tracked.dtype == minigrad.int64
    m.to(minigrad.float32)
    assert all(p.dtype == minigrad.float32 for p in m.parameters())
    m.to(device=device, dtype=minigrad.float64)
    assert m.fc.weight.dtype == minigrad.float64 and m.fc.weight.device == device
    with pytest.raises(TypeError, match="floating point"):
        m.to(minigrad.int64)


def test_to_device_moves_buffers_and_parameters(device):
    m = Net().to(device)
    assert all(t.device == device for t in list(m.parameters()) + list(m.buffers()))
    m.cpu()
    assert all(t.device == minigrad.device("cpu") for t in m.state_dict().values())


def test_zero_grad(device):
    m = Net(device)
    m(minigrad.randn(2, 3, device=device)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    for p in m.parameters():
        assert p.grad.shape == p.shape and not bool(p.grad._data.any())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_requires_grad_and_apply(device):
    m = Net(device)
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "Linear", "ReLU", "Sequential", "Net"]


def test_state_dict_keys_values_and_round_trip(device):
    m = Net(device)
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict) and list(sd) == KEYS
    assert all(not t.requires_grad for t in sd.values())
    assert sd["num_batches_tracked"].dtype == minigrad.int64
    assert m.state_dict(keep_vars=True)["scale"] is m.scale
    snapshot = {k: minigrad.tensor(to_numpy(v).copy(), device=device) for k, v in sd.items()}
    other = Net(device)
    w = other.fc.weight
    result = other.load_state_dict(snapshot)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert other.fc.weight is w  # copied in place
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(to_numpy(v), to_numpy(sd[k]))
    x = minigrad.randn(2, 3, device=device)
    np.testing.assert_array_equal(to_numpy(m(x)), to_numpy(other(x)))


def test_load_state_dict_lists_every_problem(device):
    m = Net(device)
    sd = dict(m.state_dict())
    del sd["fc.bias"]
    sd["extra.weight"] = minigrad.ones(1, device=device)
    sd["fc.weight"] = minigrad.ones(5, 5, device=device)
    sd["scale"] = minigrad.ones(4, dtype=minigrad.float64, device=device)
    before = to_numpy(m.body[0].weight).copy()
    sd["body.0.weight"] = minigrad.zeros(4, 4, device=device)
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(sd)
    msg = str(info.value)
    assert 'Missing key(s) in state_dict: "fc.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in msg
    assert "size mismatch for fc.weight" in msg and "(5, 5)" in msg and "(4, 3)" in msg
    assert "dtype mismatch for scale" in msg and "float64" in msg
    np.testing.assert_array_equal(to_numpy(m.body[0].weight), before)  # nothing copied


def test_load_state_dict_non_strict_returns_keys(device):
    m = Net(device)
    sd = m.state_dict()
    del sd["scale"]
    sd["bogus"] = minigrad.ones(1, device=device)
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["scale"] and result.unexpected_keys == ["bogus"]
    sd["fc.weight"] = minigrad.ones(1, device=device)
    with pytest.raises(RuntimeError, match="size mismatch for fc.weight"):
        m.load_state_dict(sd, strict=False)  # shape mismatches are errors even then


def test_non_persistent_buffer_excluded_from_state_dict():
    m = Net()
    assert "cache" not in m.state_dict()
    assert "cache" in dict(m.named_buffers())


def test_forward_hooks(device):
    m = nn.Linear(2, 2, device=device)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    y = m(minigrad.ones(3, 2, device=device))
    np.testing.assert_allclose(to_numpy(y), np.broadcast_to(to_numpy(m.bias) + 1, (3, 2)))
    assert calls == [(3, 2)]
    h1.remove()
    h2.remove()
    m(minigrad.ones(1, 2, device=device))
    assert calls == [(3, 2)]


def test_missing_forward_raises():
    with pytest.raises(NotImplementedError, match='missing "forward"'):
        nn.Module()(1)


def test_repr_nested():
    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.seq = nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.1))
            self.act = nn.LeakyReLU(0.2)

    assert repr(Tiny()) == (
        "Tiny(\n"
        "  (seq): Sequential(\n"
        "    (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "    (1): Dropout(p=0.1, inplace=False)\n"
        "  )\n"
        "  (act): LeakyReLU(negative_slope=0.2)\n"
        ")"
    )


def test_deepcopy_gives_independent_parameters():
    m = Net()
    c = copy.deepcopy(m)
    assert type(c.scale) is nn.Parameter and c.scale is not m.scale
    with minigrad.no_grad():
        c.scale.fill_(3.0)
    assert m.scale._data[0].item() == 1.0
    assert list(c.state_dict()) == KEYS


def test_get_submodule():
    m = Net()
    assert m.get_submodule("body.0") is m.body[0]
    assert m.get_submodule("") is m
    with pytest.raises(AttributeError, match="no submodule `nope`"):
        m.get_submodule("body.nope")
