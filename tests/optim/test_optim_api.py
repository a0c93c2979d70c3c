"""RMSprop, Adagrad and the learning-rate schedulers against PyTorch's trajectories
(tests/fixtures/make_nn_api_fixtures.py -> nn_api.npz)."""

import json
import math

import numpy as np
import pytest

import minigrad
from minigrad import optim
from minigrad.optim import lr_scheduler
from tests.conftest import load_fixture, to_numpy

FIX = load_fixture("nn_api")
OPTIM_NAMES = sorted(
    {k.split(".")[1] for k in FIX.files if k.endswith(".config") and k.startswith("optim.")}
)
SCHED_NAMES = sorted(
    {k.split(".")[1] for k in FIX.files if k.startswith("sched.") and k.endswith(".config")}
)


def test_fixture_holds_every_config():
    assert len(OPTIM_NAMES) >= 10 and len(SCHED_NAMES) >= 15


@pytest.mark.parametrize("name", OPTIM_NAMES)
def test_optimizer_trajectory_matches_pytorch(name, device):
    cfg = json.loads(str(FIX[f"optim.{name}.config"]))
    x = minigrad.tensor(FIX["optim.x"], device=device)
    y = minigrad.tensor(FIX["optim.y"], device=device)
    w = minigrad.tensor(FIX["optim.w0"], device=device, requires_grad=True)
    b = minigrad.tensor(FIX["optim.b0"], device=device, requires_grad=True)
    kw = {k: v for k, v in cfg.items() if k not in ("cls", "b_lr")}
    groups = [{"params": [w]}, {"params": [b]}]
    if "b_lr" in cfg:
        groups[1]["lr"] = cfg["b_lr"]
    opt = getattr(optim, cfg["cls"])(groups, **kw)
    for step in range(FIX[f"optim.{name}.w"].shape[0]):
        opt.zero_grad()
        loss = 0.5 * ((minigrad.tanh(x @ w + b) - y) ** 2).sum()
        loss.backward()
        opt.step()
        np.testing.assert_allclose(
            to_numpy(w), FIX[f"optim.{name}.w"][step], rtol=1e-10, atol=1e-12
        )
        np.testing.assert_allclose(
            to_numpy(b), FIX[f"optim.{name}.b"][step], rtol=1e-10, atol=1e-12
        )


ROUNDTRIP = {
    "RMSprop": dict(momentum=0.5, centered=True),
    "Adagrad": dict(lr_decay=0.1),
    "Adadelta": dict(weight_decay=0.1),
    "Adamax": {},
    "NAdam": dict(weight_decay=0.01),
    "RAdam": dict(betas=(0.5, 0.5)),
    "Rprop": dict(etas=(0.4, 1.3)),
    "ASGD": dict(t0=0),
}


@pytest.mark.parametrize("cls", sorted(ROUNDTRIP))
def test_optimizer_keeps_float32_and_state_dict_roundtrip(cls, device):
    w = minigrad.randn(3, 2, device=device, requires_grad=True)
    kw = ROUNDTRIP[cls]
    opt = getattr(optim, cls)([w], **kw)
    (w * w).sum().backward()
    opt.step()
    assert w.dtype == minigrad.float32
    assert all(v.dtype == minigrad.float32 for v in opt.state[w].values() if hasattr(v, "dtype"))
    w2 = minigrad.tensor(to_numpy(w), device=device, requires_grad=True)
    opt2 = getattr(optim, cls)([w2], **kw)
    opt2.load_state_dict(opt.state_dict())
    for o, p in ((opt, w), (opt2, w2)):
        o.zero_grad()
        (p * p).sum().backward()
        o.step()
    np.testing.assert_array_equal(to_numpy(w), to_numpy(w2))


@pytest.mark.parametrize(
    "cls, kwargs, match",
    [
        ("RMSprop", dict(lr=-1), "learning rate"),
        ("RMSprop", dict(alpha=-0.1), "alpha"),
        ("RMSprop", dict(momentum=-0.1), "momentum"),
        ("Adagrad", dict(lr_decay=-1), "lr_decay"),
        ("Adagrad", dict(initial_accumulator_value=-1), "initial_accumulator_value"),
        ("Adagrad", dict(eps=-1), "epsilon"),
        ("Adadelta", dict(rho=1.5), "rho"),
        ("NAdam", dict(betas=(0.9, 1.0)), "beta parameter at index 1"),
        ("RAdam", dict(weight_decay=-1), "weight_decay"),
        ("Adamax", dict(lr=-0.1), "learning rate"),
    ],
)
def test_optimizer_bad_hyperparameters(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(optim, cls)([minigrad.zeros(1, requires_grad=True)], **kwargs)


def _make_sched(opt, spec):
    cls, kw = spec
    kw = dict(kw)
    if "lr_lambda" in kw:
        factor = float(kw["lr_lambda"])
        kw["lr_lambda"] = lambda epoch: factor
    if cls in ("SequentialLR", "ChainedScheduler"):
        kw["schedulers"] = [_make_sched(opt, s) for s in kw["schedulers"]]
        if cls == "SequentialLR":
            return getattr(lr_scheduler, cls)(opt, **kw)
        return getattr(lr_scheduler, cls)(**kw)
    if cls == "SWALR":
        return optim.swa_utils.SWALR(opt, **kw)
    return getattr(lr_scheduler, cls)(opt, **kw)


@pytest.mark.parametrize("name", SCHED_NAMES)
def test_scheduler_trajectory_matches_pytorch(name):
    cfg = json.loads(str(FIX[f"sched.{name}.config"]))
    p, q = minigrad.zeros(1, requires_grad=True), minigrad.zeros(1, requires_grad=True)
    groups = [{"params": [p]}, {"params": [q], "lr": 0.3}]
    if cfg.get("opt") == "Adam":
        opt = optim.Adam(groups, lr=0.01)
    else:
        opt = optim.SGD(groups, lr=1.0, momentum=0.9)
    sched = _make_sched(opt, cfg["sched"])
    lrs, moms = [], []
    for i in range(cfg["steps"]):
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append([g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups])
        opt.step()
        if "metrics" in cfg:
            sched.step(cfg["metrics"][i])
        elif "epochs" in cfg:
            sched.step(cfg["epochs"][i])
        else:
            sched.step()
    lrs.append([g["lr"] for g in opt.param_groups])
    moms.append([g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups])
    np.testing.assert_allclose(np.array(lrs), FIX[f"sched.{name}.lr"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(np.array(moms), FIX[f"sched.{name}.mom"], rtol=1e-12, atol=1e-15)
    assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]


def test_onecycle_refuses_to_step_past_the_end():
    opt = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="tried to step 4 times"):
        sched.step()


def test_onecycle_needs_momentum_and_steps():
    opt = optim.Adagrad([minigrad.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="momentum or beta1"):
        lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    with pytest.raises(ValueError, match="total_steps OR"):
        lr_scheduler.OneCycleLR(opt, max_lr=1.0, cycle_momentum=False)


def test_plateau_state_dict_and_errors():
    opt = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    a = lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    a.step(1.0)
    a.step(2.0)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)
    b = lr_scheduler.ReduceLROnPlateau(opt)
    b.load_state_dict(a.state_dict())
    assert b.best == 1.0 and b.patience == 0
    with pytest.raises(ValueError, match="factor"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="up")


def test_sequential_rejects_plateau_and_bad_milestones():
    opt = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    s1 = lr_scheduler.ExponentialLR(opt, 0.9)
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        lr_scheduler.SequentialLR(opt, [s1, lr_scheduler.ReduceLROnPlateau(opt)], [2])
    with pytest.raises(ValueError, match="number of milestone"):
        lr_scheduler.SequentialLR(opt, [s1], [2])


def test_step_with_epoch_uses_closed_form():
    opt = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(5)
    assert opt.param_groups[0]["lr"] == 0.25
    opt2 = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    cos = lr_scheduler.CosineAnnealingLR(opt2, T_max=4)
    with pytest.warns(UserWarning, match="epoch parameter"):
        cos.step(3)
    assert math.isclose(opt2.param_groups[0]["lr"], (1 + math.cos(3 * math.pi / 4)) / 2)


@pytest.mark.parametrize("name, kind", [("swa", None), ("ema", "multi"), ("ema_fn", "fn")])
def test_averaged_model_and_update_bn_match_pytorch(name, kind):
    from minigrad import nn
    from minigrad.optim import swa_utils

    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1)).double()
    prefix = f"avg.{name}.init."
    model.load_state_dict(
        {k[len(prefix) :]: minigrad.tensor(FIX[k]) for k in FIX.files if k.startswith(prefix)}
    )
    if kind == "multi":
        avg = swa_utils.AveragedModel(model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.8))
    elif kind == "fn":
        avg = swa_utils.AveragedModel(model, avg_fn=swa_utils.get_ema_avg_fn(0.7),
                                      use_buffers=True)  # fmt: skip
    else:
        avg = swa_utils.AveragedModel(model)
    x, y = minigrad.tensor(FIX["avg.x"]), minigrad.tensor(FIX["avg.y"])
    opt = optim.SGD(model.parameters(), lr=0.1)
    for _ in range(5):
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()
        avg.update_parameters(model)
    sd = avg.state_dict()
    prefix = f"avg.{name}.final."
    keys = [k[len(prefix) :] for k in FIX.files if k.startswith(prefix)]
    assert sorted(keys) == sorted(sd)
    for k in keys:
        np.testing.assert_allclose(to_numpy(sd[k]), FIX[prefix + k], rtol=1e-10, atol=1e-12)
    swa_utils.update_bn([(x[:8],), (x[8:],)], avg)
    sd = avg.state_dict()
    prefix = f"avg.{name}.bn."
    for k in (k[len(prefix) :] for k in FIX.files if k.startswith(prefix)):
        np.testing.assert_allclose(to_numpy(sd[k]), FIX[prefix + k], rtol=1e-10, atol=1e-12)
