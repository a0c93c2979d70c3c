"""Optimizers with real modules: float32 end to end, checkpoints of model + optimizer,
and the digits examples (short runs)."""

import os
import sys

import numpy as np
import pytest
from conftest import to_numpy

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.data import DataLoader, TensorDataset, load_digits
from minigrad.optim import SGD, Adam, AdamW

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")


def _mlp():
    return nn.Sequential(nn.Linear(64, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 10))


def _batch(device):
    x, y = load_digits("train", flatten=True, device=device)
    return x[:32], y[:32]


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4),
        lambda ps: Adam(ps, lr=1e-2, amsgrad=True, weight_decay=1e-4),
        lambda ps: AdamW(ps, lr=1e-2),
    ],
)
def test_training_step_stays_float32(make, device):
    model = _mlp().to(device)
    params = list(model.parameters())
    before = [p._data for p in params]
    opt = make(params)
    x, y = _batch(device)
    for _ in range(2):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    assert loss.dtype == minigrad.float32
    for name, p in model.named_parameters():
        assert p.dtype == minigrad.float32 and p.grad.dtype == minigrad.float32, name
    for name, b in model.named_buffers():
        if b.dtype.kind == "f":
            assert b.dtype == minigrad.float32, name
    for state in opt.state.values():
        for v in state.values():
            if isinstance(v, minigrad.Tensor):
                assert v.dtype == minigrad.float32
    # parameters were updated in place: same Parameter objects, same arrays, new values
    assert all(p is q for p, q in zip(params, model.parameters()))
    assert all(p._data is a for p, a in zip(params, before))
    assert float(loss.item()) < 2.5


def test_training_reduces_loss(device):
    minigrad.manual_seed(0)
    model = _mlp().to(device)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = load_digits("train", flatten=True, device=device)
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, seed=0)
    first = last = None
    for _ in range(2):
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            first = float(loss.item()) if first is None else first
            last = float(loss.item())
    assert last < 0.5 * first


def test_checkpoint_model_and_optimizer_resume_exactly(tmp_path, device):
    x, y = _batch(device)

    def step(model, opt):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    minigrad.manual_seed(1)
    model = _mlp().to(device)
    opt = Adam(model.parameters(), lr=1e-2)
    for _ in range(3):
        step(model, opt)
    path = tmp_path / "ckpt.npz"
    minigrad.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 3}, path)

    minigrad.manual_seed(2)  # a different init, overwritten by the checkpoint
    model2 = _mlp().to(device)
    opt2 = Adam(model2.parameters(), lr=0.5)
    ck = minigrad.load(path, map_location=device)
    model2.load_state_dict(ck["model"])
    opt2.load_state_dict(ck["opt"])
    assert ck["epoch"] == 3
    for _ in range(2):
        step(model, opt)
        step(model2, opt2)
    for (n, a), b in zip(model.state_dict().items(), model2.state_dict().values()):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b), err_msg=n)


def test_checkpoint_for_a_different_model_is_refused(tmp_path):
    path = tmp_path / "ckpt.npz"
    minigrad.save(_mlp().state_dict(), path)
    sd = minigrad.load(path)
    wrong = nn.Sequential(nn.Linear(64, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 10))
    with pytest.raises(RuntimeError, match="0.weight"):
        wrong.load_state_dict(sd)
    del sd["3.bias"]
    with pytest.raises(RuntimeError, match="3.bias"):
        _mlp().load_state_dict(sd)


def _run_example(name, argv):
    sys.path.insert(0, EXAMPLES)
    try:
        module = __import__(name)
        return module.main(argv)
    finally:
        sys.path.remove(EXAMPLES)


def test_mlp_example_runs(tmp_path, capsys):
    acc = _run_example(
        "train_mlp_digits", ["--epochs", "3", "--checkpoint", str(tmp_path / "m.npz")]
    )
    out = capsys.readouterr().out
    assert sum(line.startswith("epoch") for line in out.splitlines()) == 3
    assert f"reloaded checkpoint: {acc:.2%}" in out
    assert acc > 0.85


@pytest.mark.slow
def test_cnn_example_runs(capsys):
    acc = _run_example("train_cnn_digits", ["--epochs", "1"])
    assert "test acc" in capsys.readouterr().out
    assert acc > 0.5
