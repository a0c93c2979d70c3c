"""The fused optimizer updates (minigrad/optim/fused.py): one compiled pass per parameter,
bit for bit the NumPy update, for every option of SGD and Adam/AdamW, in float32 and
float64; what the loop does not take falls back to NumPy."""

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.optim import SGD, Adam, AdamW, fused

if not minigrad.jit.available():
    pytest.skip(
        'numba: Numba is not installed (pip install "minigrad-lab[jit]")', allow_module_level=True
    )


@pytest.fixture(autouse=True)
def _compiled_on():
    """The fused loops run only with the compiled kernels on: on for these tests even
    under MINIGRAD_JIT=0 (the NumPy reference is the same run with the loops refused)."""
    with minigrad.jit.enabled_as(True):
        yield


def _trajectory(monkeypatch, use_fused, dtype, cls, kw, steps=12):
    """Parameters and optimizer state after ``steps`` training steps of a small MLP with
    BatchNorm, with the fused loops on (every update must take them) or off."""
    calls = []
    for name in ("sgd", "adam"):
        orig = getattr(fused, name)

        def spy(*a, orig=orig):
            done = orig(*a)
            calls.append(done)
            return done

        monkeypatch.setattr(fused, name, spy if use_fused else (lambda *a: False))
    minigrad.manual_seed(0)
    m = nn.Sequential(nn.Linear(12, 10), nn.BatchNorm1d(10), nn.ReLU(), nn.Linear(10, 3)).to(dtype)
    opt = cls(m.parameters(), lr=0.05, **kw)
    rng = np.random.default_rng(1)
    x = minigrad.tensor(rng.standard_normal((16, 12)), dtype=dtype)
    y = minigrad.tensor(rng.integers(0, 3, 16))
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(m(x), y).backward()
        opt.step()
    monkeypatch.undo()
    assert all(calls) and (len(calls) > 0) == use_fused
    state = [t._data.copy() for s in opt.state.values() for t in s.values() if hasattr(t, "data")]
    return [p._data.copy() for p in m.parameters()] + state


CASES = [
    (SGD, {}),
    (SGD, {"momentum": 0.9}),
    (SGD, {"momentum": 0.9, "dampening": 0.3}),
    (SGD, {"momentum": 0.9, "nesterov": True}),
    (SGD, {"weight_decay": 1e-2}),
    (SGD, {"momentum": 0.8, "weight_decay": 1e-2, "nesterov": True, "maximize": True}),
    (SGD, {"momentum": 0.7, "dampening": 0.1, "weight_decay": 3e-3, "maximize": True}),
    (Adam, {}),
    (Adam, {"amsgrad": True, "weight_decay": 1e-2}),
    (Adam, {"betas": (0.8, 0.99), "eps": 1e-6, "maximize": True}),
    (AdamW, {}),
    (AdamW, {"amsgrad": True, "weight_decay": 0.1, "maximize": True}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cls,kw", CASES, ids=lambda c: getattr(c, "__name__", None) or str(c))
def test_fused_is_bit_identical_to_numpy(monkeypatch, cls, kw, dtype):
    dt = getattr(minigrad, dtype)
    ref = _trajectory(monkeypatch, False, dt, cls, kw)
    got = _trajectory(monkeypatch, True, dt, cls, kw)
    assert len(got) == len(ref)
    for a, b in zip(got, ref):
        assert a.dtype == b.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))
    assert not np.array_equal(ref[0], _trajectory(monkeypatch, True, dt, cls, kw, steps=1)[0])


def test_what_the_loop_does_not_take_falls_back():
    p = minigrad.tensor(np.ones((3, 4), np.float32))
    g = np.ones((4, 3), np.float32).T  # not C-contiguous
    assert not fused.sgd(p, g, {}, 0.1, 0.9, 0.0, 0.0, False)
    assert not fused.sgd(minigrad.tensor([1, 2]), np.ones(2, np.int64), {}, 0.1, 0, 0, 0, False)
    m = np.zeros((3, 4), np.float64)  # state of another dtype
    assert not fused.adam(p, np.ones((3, 4), np.float32), m, m, None, 0.1, 0.9, 0.99, 1e-8, 0, 0, 1)
    np.testing.assert_array_equal(p.numpy(), 1)  # nothing was written
    with minigrad.jit.enabled_as(False):
        assert not fused.sgd(p, np.ones((3, 4), np.float32), {}, 0.1, 0.0, 0.0, 0.0, False)
    # and through the optimizer: a non-contiguous gradient still gets the NumPy update
    w = minigrad.tensor(np.ones((3, 4), np.float32), requires_grad=True)
    w.grad = minigrad.tensor(g)
    SGD([w], lr=0.5, momentum=0.9).step()
    np.testing.assert_array_equal(w.detach().numpy(), 0.5)


def test_momentum_buffer_from_fused_path_round_trips():
    """The buffer the fused loop creates is an ordinary state tensor: a state dict saved
    after fused steps continues identically in a fresh optimizer."""
    w = minigrad.tensor(np.linspace(-1, 1, 6, dtype=np.float32), requires_grad=True)
    opt = SGD([w], lr=0.1, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    buf = opt.state[w]["momentum_buffer"]
    assert isinstance(buf, minigrad.Tensor) and buf.dtype == minigrad.float32
    w2 = minigrad.tensor(w.detach().numpy(), requires_grad=True)
    opt2 = SGD([w2], lr=0.1)
    opt2.load_state_dict(opt.state_dict())
    for o, t in ((opt, w), (opt2, w2)):
        o.zero_grad()
        (t * t).sum().backward()
        o.step()
    np.testing.assert_array_equal(w.detach().numpy(), w2.detach().numpy())
