"""Learning-rate schedulers against PyTorch's lr sequences (optim_sched.npz)."""

import json

import numpy as np
import pytest
from conftest import load_fixture

import minigrad
from minigrad.optim import SGD, lr_scheduler

LAMBDAS = {"0.9**epoch": lambda epoch: 0.9**epoch}
NAMES = [
    "step",
    "multistep",
    "cosine",
    "cosine_long",
    "linear_warmup",
    "linear_decay",
    "lambda",
    "warmup_then_step",
]


def _make(name):
    data = load_fixture("optim_sched")
    p, q = minigrad.zeros(1, requires_grad=True), minigrad.zeros(1, requires_grad=True)
    opt = SGD([{"params": [p]}, {"params": [q], "lr": 0.3}], lr=1.0)
    scheds = []
    for cls, kw in json.loads(str(data[f"{name}.config"])):
        if "lr_lambda" in kw:
            kw["lr_lambda"] = LAMBDAS[kw["lr_lambda"]]
        scheds.append(getattr(lr_scheduler, cls)(opt, **kw))
    return opt, scheds, data[f"{name}.lrs"]


@pytest.mark.parametrize("name", NAMES)
def test_lr_sequence_matches_pytorch(name):
    opt, scheds, want = _make(name)
    got = []
    for _ in range(len(want)):
        got.append([g["lr"] for g in opt.param_groups])
        assert scheds[-1].get_last_lr() == got[-1]
        opt.step()
        for s in scheds:
            s.step()
    np.testing.assert_allclose(np.array(got), want, rtol=1e-12, atol=1e-15)
    assert len(np.unique(want[:, 0])) > 1  # the schedule does change the rate


@pytest.mark.parametrize("name", ["step", "multistep", "cosine", "linear_warmup", "lambda"])
def test_state_dict_resumes(name):
    opt, scheds, want = _make(name)
    for _ in range(5):
        opt.step()
        scheds[0].step()
    sd = scheds[0].state_dict()
    assert sd["last_epoch"] == 5 and "optimizer" not in sd
    opt_sd = opt.state_dict()
    opt2, scheds2, _ = _make(name)
    opt2.load_state_dict(opt_sd)
    scheds2[0].load_state_dict(sd)
    got = []
    for _ in range(5, len(want)):
        got.append([g["lr"] for g in opt2.param_groups])
        opt2.step()
        scheds2[0].step()
    np.testing.assert_allclose(np.array(got), want[5:], rtol=1e-12, atol=1e-15)


def test_state_dict_survives_checkpoint(tmp_path):
    opt, scheds, want = _make("multistep")
    for _ in range(3):
        opt.step()
        scheds[0].step()
    minigrad.save({"sched": scheds[0].state_dict(), "opt": opt.state_dict()}, tmp_path / "c.npz")
    ck = minigrad.load(tmp_path / "c.npz")
    opt2, scheds2, _ = _make("multistep")
    opt2.load_state_dict(ck["opt"])
    scheds2[0].load_state_dict(ck["sched"])
    for i in range(3, 10):
        np.testing.assert_allclose([g["lr"] for g in opt2.param_groups], want[i], rtol=1e-12)
        opt2.step()
        scheds2[0].step()


def test_errors():
    opt = SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)
    with pytest.raises(ValueError, match="step_size"):
        lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="starting multiplicative factor"):
        lr_scheduler.LinearLR(opt, start_factor=0.0)
    with pytest.raises(ValueError, match="ending multiplicative factor"):
        lr_scheduler.LinearLR(opt, end_factor=1.5)
    with pytest.raises(ValueError, match="expected 1 lr_lambdas"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0, lambda e: 1.0])
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=1, last_epoch=3)
