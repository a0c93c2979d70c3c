"""Normalized recurrent cells (minigrad.nn.rnn_norm): LayerNorm LSTM/GRU (Ba et al. 2016)
and the BatchNorm LSTM with per-step statistics (Cooijmans et al. 2017): formulas against
a NumPy reference, gradcheck/gradgradcheck in float64, shapes, per-step statistics."""

import numpy as np
import pytest
from conftest import to_numpy

import minigrad
from minigrad import nn
from minigrad.autograd.checks import gradcheck, gradgradcheck

F64 = minigrad.float64


def _np(t):
    return to_numpy(t).astype(np.float64)


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _ln(x, g, b, eps=1e-5):
    m, v = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b


def _bn(x, g, b, mean, var, eps=1e-5):
    return (x - mean) / np.sqrt(var + eps) * g + b


def _randomize(m):
    """Non-trivial gains and biases, so the test sees every parameter."""
    rng = np.random.default_rng(5)
    for p in m.parameters():
        p._data[...] = rng.uniform(-1, 1, p.shape) + (1.0 if p.ndim == 1 else 0.0)


# ------------------------------------------------------------------ formulas
def test_layernorm_lstm_cell_formula(device):
    cell = nn.LayerNormLSTMCell(3, 4, dtype=F64, device=device)
    _randomize(cell)
    x = minigrad.randn(5, 3, dtype=F64, device=device)
    h0, c0 = (minigrad.randn(5, 4, dtype=F64, device=device) for _ in range(2))
    h, c = cell(x, (h0, c0))
    P = {k: _np(v) for k, v in cell.named_parameters()}
    a = _ln(_np(x) @ P["weight_ih"].T, P["ln_ih.weight"], P["ln_ih.bias"]) + _ln(
        _np(h0) @ P["weight_hh"].T, P["ln_hh.weight"], P["ln_hh.bias"]
    )
    i, f, g, o = np.split(a, 4, -1)
    c_ref = _sig(f) * _np(c0) + _sig(i) * np.tanh(g)
    h_ref = _sig(o) * np.tanh(_ln(c_ref, P["ln_cell.weight"], P["ln_cell.bias"]))
    np.testing.assert_allclose(_np(c), c_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(h), h_ref, rtol=1e-10, atol=1e-12)


def test_layernorm_gru_cell_formula(device):
    cell = nn.LayerNormGRUCell(3, 4, dtype=F64, device=device)
    _randomize(cell)
    x = minigrad.randn(5, 3, dtype=F64, device=device)
    h0 = minigrad.randn(5, 4, dtype=F64, device=device)
    P = {k: _np(v) for k, v in cell.named_parameters()}
    xg = _ln(_np(x) @ P["weight_ih"].T, P["ln_ih.weight"], P["ln_ih.bias"])
    hg = _ln(_np(h0) @ P["weight_hh"].T, P["ln_hh.weight"], P["ln_hh.bias"])
    r = _sig(xg[:, :4] + hg[:, :4])
    z = _sig(xg[:, 4:8] + hg[:, 4:8])
    n = np.tanh(xg[:, 8:] + r * hg[:, 8:])
    np.testing.assert_allclose(_np(cell(x, h0)), (1 - z) * n + z * _np(h0), rtol=1e-10)


def test_bnlstm_cell_formula_train_and_eval(device):
    cell = nn.BNLSTMCell(3, 4, max_length=3, momentum=1.0, dtype=F64, device=device)
    _randomize(cell)
    x = minigrad.randn(6, 3, dtype=F64, device=device)
    h0, c0 = (minigrad.randn(6, 4, dtype=F64, device=device) for _ in range(2))
    P = {k: _np(v) for k, v in cell.named_parameters()}

    def ref(stats):
        wx, wh = _np(x) @ P["weight_ih"].T, _np(h0) @ P["weight_hh"].T
        sx = stats(wx, "ih")
        sh = stats(wh, "hh")
        a = _bn(wx, P["gamma_ih"], 0, *sx) + _bn(wh, P["gamma_hh"], 0, *sh) + P["bias"]
        i, f, g, o = np.split(a, 4, -1)
        c = _sig(f) * _np(c0) + _sig(i) * np.tanh(g)
        sc = stats(c, "cell")
        return _sig(o) * np.tanh(_bn(c, P["gamma_cell"], P["beta_cell"], *sc)), c

    h, c = cell(x, (h0, c0), t=1)
    h_ref, c_ref = ref(lambda v, _: (v.mean(0), v.var(0)))  # batch statistics
    np.testing.assert_allclose(_np(h), h_ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(_np(c), c_ref, rtol=1e-9, atol=1e-12)
    # momentum 1: slot 1 now holds this batch's statistics (unbiased variance); 0, 2 untouched
    np.testing.assert_allclose(_np(cell.running_mean_cell)[1], c_ref.mean(0), rtol=1e-9)
    np.testing.assert_allclose(_np(cell.running_var_cell)[1], c_ref.var(0, ddof=1), rtol=1e-9)
    assert np.all(_np(cell.running_mean_ih)[[0, 2]] == 0)
    assert np.all(_np(cell.running_var_hh)[[0, 2]] == 1)
    cell.eval()  # evaluation: the running statistics of slot 1
    h, _ = cell(x, (h0, c0), t=1)
    rs = {w: (_np(getattr(cell, f"running_mean_{w}"))[1], _np(getattr(cell, f"running_var_{w}"))[1])
          for w in ("ih", "hh", "cell")}  # fmt: skip
    np.testing.assert_allclose(_np(h), ref(lambda v, w: rs[w])[0], rtol=1e-9, atol=1e-12)


def test_bnlstm_gamma_init_and_names():
    cell = nn.BNLSTMCell(3, 4, max_length=7)
    for g in (cell.gamma_ih, cell.gamma_hh, cell.gamma_cell):
        np.testing.assert_allclose(to_numpy(g), 0.1, rtol=1e-6)
    assert np.all(to_numpy(cell.beta_cell) == 0) and np.all(to_numpy(cell.bias) == 0)
    assert cell.running_mean_ih.shape == (7, 16) and cell.running_var_cell.shape == (7, 4)
    sd = nn.BNLSTM(3, 4, max_length=7).state_dict()
    assert "cells.0.running_mean_hh" in sd and "cells.0.gamma_cell" in sd


# ------------------------------------------------------------------ per-step statistics
def _per_step_inputs(T, B, device, dtype=minigrad.float32):
    """A sequence whose scale grows with t: each step has its own statistics."""
    rng = np.random.default_rng(0)
    x = (
        rng.standard_normal((T, B, 3)) * np.arange(1, T + 1)[:, None, None]
        + np.arange(T)[:, None, None]
    )
    return minigrad.tensor(x.astype(np.dtype(dtype)), device=device)


def test_bnlstm_keeps_statistics_per_step(device):
    m = nn.BNLSTM(3, 4, max_length=6, momentum=1.0, device=device, dtype=F64)
    x = _per_step_inputs(4, 8, device, F64)
    m(x)
    cell = m.cells[0]
    w = _np(cell.weight_ih)
    for t in range(4):  # each slot holds its own step's input-projection statistics
        proj = _np(x[t]) @ w.T
        np.testing.assert_allclose(_np(cell.running_mean_ih)[t], proj.mean(0), rtol=1e-9)
        np.testing.assert_allclose(_np(cell.running_var_ih)[t], proj.var(0, ddof=1), rtol=1e-9)
    means = _np(cell.running_mean_ih)
    assert not np.allclose(means[0], means[3])
    assert np.all(means[4:] == 0) and np.all(_np(cell.running_var_ih)[4:] == 1)  # unseen


def test_bnlstm_eval_uses_each_steps_statistics_and_the_last_beyond(device):
    m = nn.BNLSTM(3, 4, max_length=3, device=device, dtype=F64)
    m.train()
    for _ in range(5):
        m(_per_step_inputs(3, 8, device, F64))
    m.eval()
    x = _per_step_inputs(6, 8, device, F64)  # twice the training length
    out, _ = m(x)
    cell = m.cells[0]
    # step by step with the cell: step t uses slot min(t, 2)
    h = c = minigrad.zeros(8, 4, dtype=F64, device=device)
    for t in range(6):
        h, c = cell(x[t], (h, c), t=min(t, 2))
        np.testing.assert_allclose(_np(out[t]), _np(h), rtol=1e-12)
    # and a wrong slot gives a different output (the slots do differ)
    h1, _ = cell(x[0], None, t=2)
    assert not np.allclose(_np(h1), _np(out[0]))
    # training beyond max_length: batch statistics, and no slot written past the end
    m.train()
    before = _np(cell.running_mean_ih).copy()
    m(_per_step_inputs(6, 8, device, F64))
    after = _np(cell.running_mean_ih)
    assert not np.allclose(after, before)  # slots 0..2 updated
    assert after.shape == (3, 16)


# ------------------------------------------------------------------ gradients
def _inputs(device, B=3, n_in=2, H=2):
    kw = {"dtype": F64, "device": device, "requires_grad": True}
    return minigrad.randn(B, n_in, **kw), minigrad.randn(B, H, **kw), minigrad.randn(B, H, **kw)


@pytest.mark.parametrize("cls", ["LayerNormLSTMCell", "LayerNormGRUCell", "BNLSTMCell"])
def test_cells_gradcheck(cls, device):
    kw = {"max_length": 2} if cls == "BNLSTMCell" else {}
    cell = getattr(nn, cls)(2, 2, dtype=F64, device=device, **kw)
    _randomize(cell)
    names = [k for k, _ in cell.named_parameters()]
    params = [p.detach().requires_grad_() for _, p in cell.named_parameters()]
    x, h, c = _inputs(device)
    is_gru = cls == "LayerNormGRUCell"

    def fn(x, h, c, *ps):
        for k, p in zip(names, ps):
            mod, _, attr = k.rpartition(".")
            (cell.get_submodule(mod) if mod else cell)._parameters[attr] = p
        if is_gru:
            return cell(x, h)
        return cell(x, (h, c), t=1) if cls == "BNLSTMCell" else cell(x, (h, c))

    out = fn(x, h, c, *params)
    loss = sum(o.sum() for o in (out if isinstance(out, tuple) else (out,)))
    grads = minigrad.autograd.grad(loss, params)
    assert all(float(g.abs().sum()) > 0 for g in grads)  # every parameter is in the graph
    assert gradcheck(fn, (x, h, c, *params))
    assert gradgradcheck(fn, (x, h, c, *params[:2]))


@pytest.mark.parametrize("cls", ["LayerNormLSTM", "LayerNormGRU", "BNLSTM"])
def test_layers_gradcheck_and_shapes(cls, device):
    kw = {"max_length": 2} if cls == "BNLSTM" else {}
    m = getattr(nn, cls)(2, 3, num_layers=2, dtype=F64, device=device, **kw)
    x = minigrad.randn(3, 4, 2, dtype=F64, device=device, requires_grad=True)

    def fn(x):
        out, hn = m(x)
        return (out,) + (tuple(hn) if isinstance(hn, tuple) else (hn,))

    outs = fn(x)
    assert outs[0].shape == (3, 4, 3) and all(o.shape == (2, 4, 3) for o in outs[1:])
    assert gradcheck(fn, (x,))


def test_layers_batch_first_unbatched_and_states(device):
    m = nn.LayerNormGRU(2, 3, batch_first=True, device=device)
    x = minigrad.randn(4, 5, 2, device=device)
    out, h = m(x)
    assert out.shape == (4, 5, 3) and h.shape == (1, 4, 3)
    np.testing.assert_allclose(to_numpy(out[:, -1]), to_numpy(h[0]), rtol=1e-6)
    out1, h1 = m(x[0])  # unbatched (L, H_in)
    np.testing.assert_allclose(to_numpy(out1), to_numpy(out[0]), rtol=1e-5, atol=1e-6)
    lstm = nn.LayerNormLSTM(2, 3, device=device)
    h0, c0 = (minigrad.randn(1, 4, 3, device=device) for _ in range(2))
    out, (h, c) = lstm(x.transpose(0, 1), (h0, c0))
    assert out.shape == (5, 4, 3) and c.shape == (1, 4, 3)
    with pytest.raises(RuntimeError, match=r"expected initial states of shape \(1, 4, 3\)"):
        lstm(x.transpose(0, 1), (h0[:, :2], c0))
    with pytest.raises(ValueError, match="BatchNorm needs"):
        nn.BNLSTM(2, 3, max_length=4, device=device)(minigrad.randn(5, 2, device=device))


def test_layernorm_is_batch_size_independent(device):
    """LN uses each sample's own statistics: a sample's output does not depend on the
    batch it is in (BN's does)."""
    ln = nn.LayerNormLSTM(3, 4, device=device, dtype=F64)
    bn = nn.BNLSTM(3, 4, max_length=5, device=device, dtype=F64)
    x = _per_step_inputs(5, 8, device, F64)
    for m in (ln, bn):
        full = _np(m(x)[0])[:, :2]
        part = _np(m(x[:, :2])[0])
        same = np.allclose(full, part, rtol=1e-10)
        assert same == (m is ln)
