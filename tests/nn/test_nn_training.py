"""Whole training steps with Linear layers and the loss modules: dtypes stay float32,
the loss goes down, and the loss modules equal the functional losses."""

import numpy as np
import pytest
from conftest import to_numpy

import minigrad
from minigrad import nn
from minigrad.nn import functional as F


def _sgd_step(model, lr=0.1):
    with minigrad.no_grad():
        for p in model.parameters():
            p.sub_(p.grad * lr)
    model.zero_grad()


def test_training_step_keeps_float32_and_learns(device):
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16, device=device), nn.ReLU(), nn.Dropout(0.1),
                          nn.Linear(16, 3, device=device))  # fmt: skip
    x = minigrad.randn(32, 8, device=device)
    y = minigrad.tensor(to_numpy(x)[:, :3].argmax(1), device=device)  # learnable labels
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    losses = []
    for _ in range(30):
        out = model(x)
        loss = loss_fn(out, y)
        assert out.dtype == minigrad.float32 and loss.dtype == minigrad.float32
        loss.backward()
        for p in model.parameters():
            assert p.dtype == minigrad.float32 and p.grad.dtype == minigrad.float32
        _sgd_step(model, lr=0.5)
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    model.eval()
    acc = (to_numpy(model(x)).argmax(1) == to_numpy(y)).mean()
    assert acc > 0.9


@pytest.mark.parametrize(
    "module, functional, target_kind",
    [
        (nn.CrossEntropyLoss(ignore_index=1, reduction="sum"),
         lambda x, t: F.cross_entropy(x, t, ignore_index=1, reduction="sum"), "class"),
        (nn.NLLLoss(reduction="none"), lambda x, t: F.nll_loss(x, t, reduction="none"), "class"),
        (nn.MSELoss(), F.mse_loss, "float"),
        (nn.L1Loss(reduction="sum"), lambda x, t: F.l1_loss(x, t, reduction="sum"), "float"),
        (nn.SmoothL1Loss(beta=0.3), lambda x, t: F.smooth_l1_loss(x, t, beta=0.3), "float"),
        (nn.BCEWithLogitsLoss(), F.binary_cross_entropy_with_logits, "prob"),
    ],
)  # fmt: skip
def test_loss_modules_equal_functional(module, functional, target_kind, device):
    x = minigrad.randn(5, 4, dtype=minigrad.float64, device=device)
    if target_kind == "class":
        t = minigrad.tensor([0, 1, 3, 2, 1], device=device)
    elif target_kind == "float":
        t = minigrad.randn(5, 4, dtype=minigrad.float64, device=device)
    else:
        t = minigrad.rand(5, 4, dtype=minigrad.float64, device=device)
    np.testing.assert_array_equal(to_numpy(module(x, t)), to_numpy(functional(x, t)))


def test_loss_module_weights_are_buffers_moved_by_to(device):
    w = minigrad.tensor([1.0, 2.0, 0.5])
    m = nn.CrossEntropyLoss(weight=w).to(device)
    assert m.weight.device == device and list(m.parameters()) == []
    assert list(m.state_dict()) == ["weight"]
    x = minigrad.randn(4, 3, device=device)
    t = minigrad.tensor([0, 1, 2, 1], device=device)
    np.testing.assert_allclose(to_numpy(m(x, t)), to_numpy(F.cross_entropy(x, t, weight=m.weight)))
    pw = nn.BCEWithLogitsLoss(pos_weight=minigrad.tensor([2.0, 1.0, 1.0])).to(device)
    assert [n for n, _ in pw.named_buffers()] == ["pos_weight"]


def test_loss_module_reprs_and_errors():
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"
    assert repr(nn.CrossEntropyLoss(ignore_index=0)) == "CrossEntropyLoss(ignore_index=0)"
    with pytest.raises(ValueError, match="reduction='avg' is not valid"):
        nn.L1Loss(reduction="avg")
