"""Sequential, ModuleList and ModuleDict."""

from collections import OrderedDict

import numpy as np
import pytest
from conftest import to_numpy

import minigrad
from minigrad import nn


def test_sequential_runs_in_order_and_indexes(device):
    a, r, b = nn.Linear(3, 4, device=device), nn.ReLU(), nn.Linear(4, 2, device=device)
    m = nn.Sequential(a, r, b)
    x = minigrad.randn(5, 3, device=device)
    np.testing.assert_allclose(to_numpy(m(x)), to_numpy(b(r(a(x)))), rtol=1e-6)
    assert len(m) == 3 and m[0] is a and m[-1] is b and list(m) == [a, r, b]
    head = m[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [a, r]
    assert [n for n, _ in head.named_children()] == ["0", "1"]
    with pytest.raises(IndexError, match="index 3 is out of range for length 3"):
        m[3]


def test_sequential_ordered_dict_append_insert_delete():
    m = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert list(m.state_dict()) == ["fc.weight", "fc.bias"]
    assert isinstance(m.act, nn.Tanh)
    s = nn.Sequential(nn.ReLU())
    assert s.append(nn.Linear(1, 1)) is s and len(s) == 2
    s.insert(0, nn.Sigmoid())
    assert [type(x).__name__ for x in s] == ["Sigmoid", "ReLU", "Linear"]
    del s[1]
    assert [type(x).__name__ for x in s] == ["Sigmoid", "Linear"]
    assert list(s.state_dict()) == ["1.weight", "1.bias"]  # renumbered like PyTorch
    s[0] = nn.Tanh()
    assert isinstance(s[0], nn.Tanh)


def test_module_list(device):
    layers = nn.ModuleList([nn.Linear(2, 2, device=device) for _ in range(2)])
    layers.append(nn.ReLU())
    layers.extend([nn.Linear(2, 1, device=device)])
    assert len(layers) == 4 and isinstance(layers[-1], nn.Linear)
    assert len(list(layers.parameters())) == 6
    assert isinstance(layers[1:], nn.ModuleList) and len(layers[1:]) == 3
    del layers[0]
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2"]
    x = minigrad.randn(3, 2, device=device)
    for layer in layers:
        x = layer(x)
    assert x.shape == (3, 1)
    with pytest.raises(NotImplementedError):
        layers(x)


def test_module_list_repr_collapses_repeats():
    r = repr(nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU()]))
    assert r == (
        "ModuleList(\n  (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)\n"
        "  (2): ReLU()\n)"
    )


def test_module_dict():
    d = nn.ModuleDict({"enc": nn.Linear(3, 2)})
    d["act"] = nn.ReLU()
    d.update([("dec", nn.Linear(2, 3))])
    assert list(d) == ["enc", "act", "dec"] and len(d) == 3 and "act" in d
    assert list(d.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    assert isinstance(d.pop("act"), nn.ReLU) and list(d.keys()) == ["enc", "dec"]
    assert [type(m).__name__ for m in d.values()] == ["Linear", "Linear"]
    with pytest.raises(KeyError):
        d["nope"]
    with pytest.raises(KeyError, match="already exists"):
        d["keys"] = nn.ReLU()  # would shadow a method
