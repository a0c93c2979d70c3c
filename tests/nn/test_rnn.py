"""Recurrent layers and cells (minigrad.nn.rnn, minigrad.ops.nn.rnn.rnn_cell): values and gradients
against PyTorch (tests/fixtures/rnn.npz, made by make_rnn_fixtures.py), gradcheck and
gradgradcheck in float64, shapes, state-dict keys, dropout between layers, errors; on both
CPU paths (NumPy, and the compiled step kernels of minigrad/ops/kernels/cpu/rnn_jit.py)."""

import json

import numpy as np
import pytest
from conftest import assert_same_bits_at_thread_counts, load_fixture, to_numpy

import minigrad
from minigrad import nn
from minigrad.autograd.checks import gradcheck, gradgradcheck
from minigrad.ops.nn.rnn.rnn_cell import gru_cell, lstm_cell, stack_steps, unbind_steps

# every test runs on NumPy's CPU path and on the compiled step kernels (ops/kernels/cpu/rnn_jit.py)
pytestmark = pytest.mark.usefixtures("cpu_kernels")

FIX = load_fixture("rnn")
CONFIGS = json.loads(str(FIX["configs"]))


def _t(a, device, requires_grad=False):
    t = minigrad.tensor(np.ascontiguousarray(a), device=device)
    t.requires_grad = requires_grad
    return t


@pytest.mark.parametrize("name", CONFIGS)
def test_matches_pytorch(name, device):
    meta = json.loads(str(FIX[f"{name}__meta"]))
    m = getattr(nn, meta["class"])(**meta["kwargs"], dtype=minigrad.float64, device=device)
    # the state dict has PyTorch's keys, in PyTorch's order, and a PyTorch state dict loads
    assert list(m.state_dict().keys()) == meta["state_dict_keys"]
    m.load_state_dict({k: _t(FIX[f"{name}__param__{k}"], device) for k in meta["params"]})
    x = _t(FIX[f"{name}__x"], device, True)
    states = []
    if meta["state"]:
        states = [_t(FIX[f"{name}__{n}"], device, True) for n in ("h0", "c0")
                  if f"{name}__{n}" in FIX]  # fmt: skip
    is_lstm = meta["class"].startswith("LSTM")
    hx = (tuple(states) if is_lstm else states[0]) if states else None
    res = m(x, hx)
    if meta["class"].endswith("Cell"):
        outs = list(res) if is_lstm else [res]
    else:
        outs = [res[0]] + (list(res[1]) if is_lstm else [res[1]])
    loss = 0
    for n, o in zip(meta["outputs"], outs):
        np.testing.assert_allclose(to_numpy(o), FIX[f"{name}__{n}"], rtol=1e-10, atol=1e-12)
        loss = loss + (o * _t(FIX[f"{name}__w_{n}"], device)).sum()
    loss.backward()
    np.testing.assert_allclose(to_numpy(x.grad), FIX[f"{name}__grad_x"], rtol=1e-9, atol=1e-12)
    for s, n in zip(states, ("h0", "c0")):
        np.testing.assert_allclose(
            to_numpy(s.grad), FIX[f"{name}__grad_{n}"], rtol=1e-9, atol=1e-12
        )
    for k in meta["params"]:
        np.testing.assert_allclose(
            to_numpy(getattr(m, k).grad), FIX[f"{name}__grad__{k}"], rtol=1e-9, atol=1e-12,
            err_msg=k,
        )  # fmt: skip


# ------------------------------------------------------------------ fused cells, float64
def test_lstm_cell_gradcheck(device):
    B, H = 2, 3
    xg = minigrad.randn(B, 4 * H, dtype=minigrad.float64, device=device, requires_grad=True)
    hg = minigrad.randn(B, 4 * H, dtype=minigrad.float64, device=device, requires_grad=True)
    c = minigrad.randn(B, H, dtype=minigrad.float64, device=device, requires_grad=True)
    assert gradcheck(lambda a, b, c: lstm_cell(a, b, c), (xg, hg, c))
    assert gradgradcheck(lambda a, b, c: lstm_cell(a, b, c), (xg, hg, c))
    # only one of the two outputs used: the other's gradient is None in backward
    assert gradcheck(lambda a, b, c: lstm_cell(a, b, c)[0], (xg, hg, c))
    assert gradgradcheck(lambda a, b, c: lstm_cell(a, b, c)[1], (xg, hg, c))


def test_gru_cell_gradcheck(device):
    B, H = 2, 3
    xg = minigrad.randn(B, 3 * H, dtype=minigrad.float64, device=device, requires_grad=True)
    hg = minigrad.randn(B, 3 * H, dtype=minigrad.float64, device=device, requires_grad=True)
    h = minigrad.randn(B, H, dtype=minigrad.float64, device=device, requires_grad=True)
    assert gradcheck(gru_cell, (xg, hg, h))
    assert gradgradcheck(gru_cell, (xg, hg, h))


def test_cell_wrong_gradient_is_caught(device):
    """The fixture and gradcheck comparisons can fail: a perturbed closed form is caught."""
    from minigrad.ops.nn.rnn import rnn_cell

    B, H = 2, 2
    kw = {"dtype": minigrad.float64, "device": device, "requires_grad": True}
    args = [minigrad.randn(B, 3 * H, **kw), minigrad.randn(B, 3 * H, **kw)]
    args.append(minigrad.randn(B, H, **kw))
    orig = rnn_cell.GRUCellFunction._backward_arrays

    def wrong(self, gy, hg, h):
        gx, ghg, gh = orig(self, gy, hg, h)
        return gx, ghg, gh * 1.01

    rnn_cell.GRUCellFunction._backward_arrays = wrong
    try:
        assert not gradcheck(gru_cell, args, raise_exception=False)
    finally:
        rnn_cell.GRUCellFunction._backward_arrays = orig


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_compiled_step_kernels_agree_with_numpy(mode):
    """The compiled kernels run (their results are computed, not NumPy's) and agree."""
    from minigrad.ops.kernels.cpu import rnn_jit

    if not minigrad.jit.available():
        pytest.skip('numba: Numba is not installed (pip install "minigrad-lab[jit]")')
    rng = np.random.default_rng(1)
    B, H = 5, 7
    G = 4 if mode == "LSTM" else 3
    xg, hg = (rng.standard_normal((B, G * H)).astype(np.float32) for _ in range(2))
    s = rng.standard_normal((B, H)).astype(np.float32)
    gys = [rng.standard_normal((B, H)).astype(np.float32) for _ in range(2)]
    res = {}
    for flag in (False, True):
        with minigrad.jit.enabled_as(flag):
            ts = [minigrad.tensor(a, requires_grad=True) for a in (xg, hg, s)]
            out = (lstm_cell if mode == "LSTM" else gru_cell)(*ts)
            outs = out if isinstance(out, tuple) else (out,)
            loss = sum((o * minigrad.tensor(g)).sum() for o, g in zip(outs, gys))
            loss.backward()
            res[flag] = [to_numpy(o) for o in outs] + [to_numpy(t.grad) for t in ts]
    for a, b in zip(res[False], res[True]):
        np.testing.assert_allclose(a, b, rtol=2e-6, atol=2e-6)
    assert rnn_jit.handles(xg, hg, s)
    kernel = rnn_jit._lstm_bwd if mode == "LSTM" else rnn_jit._gru_bwd
    assert kernel._compiled is not None  # the compiled path did run


def test_tanh_f32_ulp():
    """The float32 LSTM kernel's rational tanh: within 5 ulp of the correctly rounded
    tanh on a dense grid of float32 in [-12, 12] and on 2M random float32 bit patterns in
    [1e-30, 10] (both signs); odd, exact at 0, NaN propagates, +-inf gives +-1."""
    from minigrad.ops.kernels.cpu import rnn_jit

    if not minigrad.jit.available():
        pytest.skip('numba: Numba is not installed (pip install "minigrad-lab[jit]")')
    rng = np.random.default_rng(0)
    lo, hi = np.float32(1e-30).view(np.int32), np.float32(10.0).view(np.int32)
    bits = rng.integers(lo, hi, 2_000_000, dtype=np.int32)
    pos = np.concatenate([np.linspace(0, 12, 1_000_001, dtype=np.float32), bits.view(np.float32)])
    x = np.concatenate([pos, -pos])
    out = np.empty_like(x)
    rnn_jit._tanh_f32.compiled()(0, x.size, x, out)
    ref = np.tanh(x.astype(np.float64)).astype(np.float32)
    ulp = np.abs(out.view(np.int32).astype(np.int64) - ref.view(np.int32).astype(np.int64))
    assert ulp.max() <= 5, (x[ulp.argmax()], out[ulp.argmax()], ref[ulp.argmax()])
    assert ulp.mean() < 1.0
    np.testing.assert_array_equal(out[pos.size :], -out[: pos.size])  # odd
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-38], np.float32)
    o = np.empty_like(special)
    rnn_jit._tanh_f32.compiled()(0, special.size, special, o)
    assert np.isnan(o[0]) and o[1] == 1 and o[2] == -1
    assert o[3] == 0 and np.signbit(o[4]) and o[5] == np.float32(1e-38)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_float32_layer_compiled_agrees_with_numpy(mode):
    """A float32 two-layer bidirectional layer (the compiled sequence kernels: one pass
    forward with the rational tanh, the biases added in the kernel, the bias gradient
    summed in the backward kernel) against the NumPy path: outputs and every gradient."""
    if not minigrad.jit.available():
        pytest.skip('numba: Numba is not installed (pip install "minigrad-lab[jit]")')
    minigrad.manual_seed(3)
    m = getattr(nn, mode)(5, 16, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((7, 6, 5)).astype(np.float32) * 2
    h0 = rng.standard_normal((4, 6, 16)).astype(np.float32)
    w_out = rng.standard_normal((7, 6, 32)).astype(np.float32)
    res = {}
    for flag in (False, True):
        with minigrad.jit.enabled_as(flag):
            xt = minigrad.tensor(x, requires_grad=True)
            states = [
                minigrad.tensor(h0, requires_grad=True) for _ in range(2 if mode == "LSTM" else 1)
            ]
            out, hn = m(xt, tuple(states) if mode == "LSTM" else states[0])
            hn = hn[0] if mode == "LSTM" else hn
            for p in m.parameters():
                p.grad = None
            ((out * minigrad.tensor(w_out)).sum() + hn.sum()).backward()
            res[flag] = [to_numpy(out), to_numpy(hn), to_numpy(xt.grad)]
            res[flag] += [to_numpy(s.grad) for s in states] + [
                to_numpy(p.grad) for p in m.parameters()
            ]
    for a, b in zip(res[False], res[True]):
        np.testing.assert_allclose(b, a, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("which", ["out", "h_n", "last"])
def test_sequence_function_gradcheck(mode, reverse, which, device):
    """The whole-sequence Function, with only some outputs used (the others get no
    gradient), in both directions; gradgradcheck goes through its replay backward."""
    from minigrad.ops.nn.rnn.rnn_sequence import recurrent_sequence

    G, T, B, H = (4 if mode == "LSTM" else 3), 3, 2, 2
    kw = {"dtype": minigrad.float64, "device": device, "requires_grad": True}
    xg, h0, w, b = (minigrad.randn(T, B, G * H, **kw), minigrad.randn(B, H, **kw),
                    minigrad.randn(G * H, H, **kw), minigrad.randn(G * H, **kw))  # fmt: skip
    c0 = minigrad.randn(B, H, **kw) if mode == "LSTM" else None

    def fn(xg, h0, w, b, *c):
        res = recurrent_sequence(mode, xg, h0, c[0] if c else None, w, b, reverse=reverse)
        return {"out": res[0], "h_n": res[1], "last": res[-1]}[which]

    args = (xg, h0, w, b) + ((c0,) if c0 is not None else ())
    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("loss", ["sum", "weighted", "states"])
def test_lstm_compiled_agrees_with_numpy_for_each_output_gradient(batch_first, loss):
    """float32 bidirectional two-layer LSTM: the compiled path against the NumPy path, for
    an output gradient broadcast over time (a sum: one copy serves every step), one per
    step, and none (only the final states used); input strided (batch_first) or not."""
    if not minigrad.jit.available():
        pytest.skip('numba: Numba is not installed (pip install "minigrad-lab[jit]")')
    minigrad.manual_seed(5)
    m = nn.LSTM(5, 16, num_layers=2, bidirectional=True, batch_first=batch_first)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((6, 7, 5)).astype(np.float32)
    h0, c0 = (rng.standard_normal((4, 6 if batch_first else 7, 16)).astype(np.float32)
              for _ in range(2))  # fmt: skip
    w_out = minigrad.tensor(rng.standard_normal((6, 7, 32)).astype(np.float32))
    res = {}
    for flag in (False, True):
        with minigrad.jit.enabled_as(flag):
            xt = minigrad.tensor(x, requires_grad=True)
            states = [minigrad.tensor(a, requires_grad=True) for a in (h0, c0)]
            out, (hn, cn) = m(xt, tuple(states))
            # the output: Cat of the two directions' outputs (transposed when batch_first)
            cat = out.grad_fn.inputs[0].grad_fn if batch_first else out.grad_fn
            impls = {(type(t.grad_fn).__name__, t.grad_fn.impl) for t in cat.inputs}
            assert impls == {("RecurrentSequence", "cpu-compiled" if flag else "numpy")}
            for p in m.parameters():
                p.grad = None
            if loss == "sum":
                total = out.sum()
            elif loss == "weighted":
                total = (out * w_out).sum()
            else:
                total = (hn * hn).sum() + cn.sum()
            total.backward()
            res[flag] = [to_numpy(out), to_numpy(hn), to_numpy(cn), to_numpy(xt.grad)]
            res[flag] += [to_numpy(s.grad) for s in states]
            res[flag] += [to_numpy(p.grad) for p in m.parameters()]
    for a, b in zip(res[False], res[True]):
        np.testing.assert_allclose(b, a, rtol=2e-5, atol=2e-5)


_THREADS_CHILD = """
import hashlib, numpy as np, minigrad
from minigrad import nn
minigrad.manual_seed(0)
m = nn.LSTM(32, 128, bidirectional=True)
x = minigrad.tensor(np.random.default_rng(1).standard_normal((8, 64, 32)).astype(np.float32),
                    requires_grad=True)
out, (h, c) = m(x)
(out.sum() + (h * c).sum()).backward()
d = hashlib.sha256()
for t in [out, h, c, x.grad] + [p.grad for p in m.parameters()]:
    d.update(np.ascontiguousarray(t.detach().numpy()).tobytes())
print(d.hexdigest())
"""


def test_lstm_bits_do_not_depend_on_the_thread_counts(cpu_kernels):
    """The W5 LSTM's shapes (8 steps, both directions), forward and backward, in processes
    with 1 and 2 threads for BLAS and for minigrad: the same bits."""
    assert_same_bits_at_thread_counts(_THREADS_CHILD, cpu_kernels)


def test_output_does_not_alias_saved_states(device):
    """Changing the output in place after the forward leaves the gradients right."""
    m = nn.LSTM(3, 4, device=device, dtype=minigrad.float64)  # (one direction: no cat)
    x = minigrad.randn(5, 2, 3, device=device, dtype=minigrad.float64, requires_grad=True)
    out, (h, c) = m(x)
    wrt = [x, m.weight_hh_l0]
    ref = minigrad.autograd.grad(out.sum() + h.sum(), wrt, retain_graph=True)
    with minigrad.no_grad():
        out._data[...] = 0
        h._data[...] = 0
    for g, r in zip(minigrad.autograd.grad(out.sum() + h.sum(), wrt), ref):
        np.testing.assert_array_equal(to_numpy(g), to_numpy(r))


def test_steps_gradcheck(device):
    x = minigrad.randn(3, 2, dtype=minigrad.float64, device=device, requires_grad=True)

    def f(x):
        s = unbind_steps(x)
        return stack_steps([s[2] * s[0], s[1]])  # a step unused, reordered

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def _functional(m, names):
    """fn(x, h0[, c0], *params) running module m with the given tensors as parameters."""

    def fn(x, *rest):
        ns = len(rest) - len(names)
        for k, p in zip(names, rest[ns:]):
            m._parameters[k] = p
        states = rest[:ns]
        hx = None
        if states:
            hx = tuple(states) if m.mode == "LSTM" else states[0]
        out, hn = m(x, hx)
        return (out,) + (tuple(hn) if m.mode == "LSTM" else (hn,))

    return fn


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"])
def test_layer_gradcheck_all_inputs(mode, device):
    """Input, initial states and every weight of a 2-layer bidirectional layer."""
    kw = {"num_layers": 2, "bidirectional": True, "dtype": minigrad.float64, "device": device}
    if mode.startswith("RNN"):
        m = nn.RNN(2, 2, nonlinearity="tanh" if mode == "RNN_TANH" else "relu", **kw)
    else:
        m = getattr(nn, mode)(2, 2, **kw)
    names = list(m._flat_weights_names)
    params = [getattr(m, k).detach().requires_grad_() for k in names]
    x = minigrad.randn(3, 2, 2, dtype=minigrad.float64, device=device, requires_grad=True)
    states = [minigrad.randn(4, 2, 2, dtype=minigrad.float64, device=device, requires_grad=True)
              for _ in range(2 if mode == "LSTM" else 1)]  # fmt: skip
    assert gradcheck(_functional(m, names), (x, *states, *params))


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_layer_gradgradcheck(mode, device):
    m = getattr(nn, mode)(2, 2, bidirectional=True, dtype=minigrad.float64, device=device)
    names = list(m._flat_weights_names)
    params = [getattr(m, k).detach().requires_grad_() for k in names]
    x = minigrad.randn(2, 1, 2, dtype=minigrad.float64, device=device, requires_grad=True)
    assert gradgradcheck(_functional(m, names), (x, *params))


# ------------------------------------------------------------------ module semantics
def test_state_dict_keys_and_shapes():
    m = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    sd = m.state_dict()
    assert list(sd)[:8] == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
        "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
        "bias_hh_l0_reverse",
    ]  # fmt: skip
    assert sd["weight_ih_l0"].shape == (20, 3)
    assert sd["weight_ih_l1"].shape == (20, 10)  # layer 1 reads both directions
    assert sd["weight_hh_l1_reverse"].shape == (20, 5)
    assert len(list(nn.GRU(3, 5, bias=False).parameters())) == 2


@pytest.mark.parametrize("cls,gates", [("RNN", 1), ("LSTM", 4), ("GRU", 3)])
def test_default_init_range(cls, gates):
    m = getattr(nn, cls)(4, 16)
    values = []
    for p in m.parameters():
        a = to_numpy(p)
        assert a.dtype == np.float32 and np.abs(a).max() <= 0.25  # U(-1/4, 1/4)
        values.append(a.ravel())
    values = np.concatenate(values)  # 128+ draws: they fill the range, both signs
    assert np.abs(values).max() > 0.2 and values.min() < -0.2 and abs(values.mean()) < 0.05
    assert m.weight_ih_l0.shape == (gates * 16, 4)


def test_float32_stays_float32(device):
    m = nn.GRU(3, 4, device=device)
    x = minigrad.randn(5, 2, 3, device=device, requires_grad=True)
    out, hn = m(x)
    assert out.dtype == minigrad.float32 and hn.dtype == minigrad.float32
    out.sum().backward()
    assert x.grad.dtype == minigrad.float32 and m.weight_hh_l0.grad.dtype == minigrad.float32


def test_batch_first_equals_time_first(device):
    m = nn.LSTM(3, 4, num_layers=2, device=device)
    mb = nn.LSTM(3, 4, num_layers=2, batch_first=True, device=device)
    mb.load_state_dict(m.state_dict())
    x = minigrad.randn(6, 2, 3, device=device)
    o, (h, c) = m(x)
    ob, (hb, cb) = mb(x.transpose(0, 1))
    np.testing.assert_allclose(to_numpy(ob.transpose(0, 1)), to_numpy(o), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(hb), to_numpy(h), rtol=1e-6)
    assert hb.shape == (2, 2, 4)  # states are never batch first


def test_unbatched_equals_batch_of_one(device):
    m = nn.GRU(3, 4, bidirectional=True, device=device)
    x = minigrad.randn(5, 3, device=device)
    o, h = m(x)
    o1, h1 = m(x.unsqueeze(1))
    assert o.shape == (5, 8) and h.shape == (2, 4)
    np.testing.assert_allclose(to_numpy(o), to_numpy(o1.squeeze(1)), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(h), to_numpy(h1.squeeze(1)), rtol=1e-6)


def test_layer_equals_its_cell_stepped(device):
    """nn.LSTM with one layer is nn.LSTMCell applied step by step with the same weights."""
    m = nn.LSTM(3, 4, device=device)
    cell = nn.LSTMCell(3, 4, device=device)
    cell.load_state_dict({k[:-3]: v for k, v in m.state_dict().items()})
    x = minigrad.randn(5, 2, 3, device=device)
    out, (hn, cn) = m(x)
    h = c = minigrad.zeros(2, 4, device=device)
    for t in range(5):
        h, c = cell(x[t], (h, c))
        np.testing.assert_allclose(to_numpy(h), to_numpy(out[t]), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(to_numpy(c), to_numpy(cn[0]), rtol=1e-5, atol=1e-7)


def test_dropout_between_layers(device):
    m = nn.GRU(3, 8, num_layers=2, dropout=0.5, device=device)
    ref = nn.GRU(3, 8, num_layers=2, device=device)
    ref.load_state_dict(m.state_dict())
    x = minigrad.randn(4, 16, 3, device=device)
    o_train, _ = m(x)
    o_ref, _ = ref(x)
    assert not np.allclose(to_numpy(o_train), to_numpy(o_ref))
    m.eval()
    np.testing.assert_allclose(to_numpy(m(x)[0]), to_numpy(o_ref), rtol=1e-6)
    # a single layer has nothing between layers: no dropout even in training (and a warning)
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        one = nn.GRU(3, 8, dropout=0.5, device=device)
    ref1 = nn.GRU(3, 8, device=device)
    ref1.load_state_dict(one.state_dict())
    np.testing.assert_allclose(to_numpy(one(x)[0]), to_numpy(ref1(x)[0]), rtol=1e-6)


def test_repr():
    assert repr(nn.LSTM(10, 20, 2)) == "LSTM(10, 20, num_layers=2)"
    assert repr(nn.GRU(1, 2, batch_first=True, bidirectional=True)) == (
        "GRU(1, 2, batch_first=True, bidirectional=True)"
    )
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4, nonlinearity='relu')"
    assert repr(nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"


def test_errors():
    m = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(RuntimeError, match="input_size. Expected 3, got 5"):
        m(minigrad.randn(2, 1, 5))
    with pytest.raises(RuntimeError, match=r"hidden state of size \(2, 1, 4\)"):
        m(minigrad.randn(2, 1, 3), (minigrad.zeros(1, 1, 4), minigrad.zeros(2, 1, 4)))
    with pytest.raises(RuntimeError, match="tuple"):
        m(minigrad.randn(2, 1, 3), minigrad.zeros(2, 1, 4))
    with pytest.raises(RuntimeError, match="dtype"):
        m(minigrad.randn(2, 1, 3, dtype=minigrad.float64))
    with pytest.raises(ValueError, match="2D .unbatched. or 3D"):
        m(minigrad.randn(3))
    with pytest.raises(ValueError, match="dropout"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(RuntimeError, match="inconsistent input_size"):
        nn.GRUCell(3, 4)(minigrad.randn(2, 5))
    with pytest.raises(RuntimeError, match=r"shape \(3, 4\), expected \(2, 4\)"):
        nn.GRUCell(3, 4)(minigrad.randn(2, 3), minigrad.zeros(3, 4))
    with pytest.raises(RuntimeError, match="lstm_cell"):
        lstm_cell(minigrad.zeros(1, 8), minigrad.zeros(1, 8), minigrad.zeros(1, 3))


def test_trains(device):
    """A GRU learns to output the running sum's sign of its input (loss drops)."""
    from minigrad.optim import Adam

    m = nn.GRU(1, 8, device=device)
    head = nn.Linear(8, 1, device=device)
    opt = Adam(list(m.parameters()) + list(head.parameters()), lr=0.05)
    x = minigrad.randn(6, 32, 1, device=device)
    y = minigrad.tensor((np.cumsum(to_numpy(x), 0) > 0).astype(np.float32), device=device)
    losses = []
    for _ in range(60):
        out, _ = m(x)
        loss = nn.functional.binary_cross_entropy_with_logits(head(out), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
