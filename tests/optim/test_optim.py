"""Optimizers: PyTorch trajectories (fixtures from make_optim_fixtures.py), state dicts,
hyperparameter validation, float32 preservation and parameter identity."""

import json

import numpy as np
import pytest
from conftest import load_fixture, to_numpy

import minigrad
from minigrad.optim import SGD, Adam, AdamW, Optimizer


def _problem(data, device):
    x = minigrad.tensor(data["x"], device=device)
    y = minigrad.tensor(data["y"], device=device)
    w = minigrad.tensor(data["w0"], device=device, requires_grad=True)
    b = minigrad.tensor(data["b0"], device=device, requires_grad=True)
    return x, y, w, b


def _loss(x, y, w, b):
    return 0.5 * (((x @ w + b).tanh() - y) ** 2).sum()


def _make(cls, cfg, w, b):
    kw = {k: v for k, v in cfg.items() if k not in ("cls", "b_lr")}
    if "betas" in kw:
        kw["betas"] = tuple(kw["betas"])
    groups = [{"params": [w]}, {"params": [b]}]
    if "b_lr" in cfg:
        groups[1]["lr"] = cfg["b_lr"]
    return cls(groups, **kw)


def _rel_err(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _check_trajectory(fixture, name, device):
    data = load_fixture(fixture)
    cfg = json.loads(str(data[f"{name}.config"]))
    cls = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW}[cfg.get("cls", "SGD")]
    x, y, w, b = _problem(data, device)
    opt = _make(cls, cfg, w, b)
    w_id, b_id = id(w._data), id(b._data)
    for step in range(20):
        opt.zero_grad()
        _loss(x, y, w, b).backward()
        opt.step()
        for got, key in ((w, "w"), (b, "b")):
            want = data[f"{name}.{key}"][step]
            err = _rel_err(to_numpy(got), want)
            assert err <= 1e-10, f"{name}: {key} differs from PyTorch at step {step}: {err}"
    # updated in place: same Tensor objects and the same arrays
    assert id(w._data) == w_id and id(b._data) == b_id
    assert w.dtype == minigrad.float64


SGD_NAMES = [
    "plain",
    "momentum",
    "dampening",
    "nesterov",
    "weight_decay",
    "maximize",
    "all",
    "momentum_wd_damp",
    "groups",
]
ADAM_NAMES = [
    "adam",
    "adam_amsgrad",
    "adam_wd",
    "adam_maximize",
    "adam_betas",
    "adam_all",
    "adamw",
    "adamw_amsgrad",
    "adamw_maximize",
    "adam_groups",
]


@pytest.mark.parametrize("name", SGD_NAMES)
@pytest.mark.usefixtures("cpu_kernels")  # NumPy updates and the fused loops (optim/fused.py)
def test_sgd_matches_pytorch(name, device):
    _check_trajectory("optim_sgd", name, device)


@pytest.mark.parametrize("name", ADAM_NAMES)
@pytest.mark.usefixtures("cpu_kernels")
def test_adam_matches_pytorch(name, device):
    _check_trajectory("optim_adam", name, device)


def test_fixture_trajectories_move():
    # guard against a degenerate fixture: every config actually changes the parameters
    for fixture, names in (("optim_sgd", SGD_NAMES), ("optim_adam", ADAM_NAMES)):
        data = load_fixture(fixture)
        for name in names:
            assert not np.allclose(data[f"{name}.w"][-1], data["w0"]), name


@pytest.mark.parametrize("cls", [SGD, Adam, AdamW])
def test_float32_stays_float32(cls, device):
    w = minigrad.randn(5, 3, device=device, requires_grad=True)
    opt = (
        cls([w], lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)
        if cls is SGD
        else cls([w], lr=np.float64(0.1), weight_decay=0.01, amsgrad=True)
    )
    for _ in range(3):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    assert w.dtype == minigrad.float32
    for value in opt.state[w].values():
        if isinstance(value, minigrad.Tensor):
            assert value.dtype == minigrad.float32


def test_first_momentum_step_ignores_dampening(device):
    w = minigrad.tensor([1.0, 2.0], device=device, requires_grad=True)
    opt = SGD([w], lr=1.0, momentum=0.9, dampening=0.5)
    (w * 1.0).sum().backward()
    opt.step()
    # buf = grad on the first step (no dampening), so w moves by lr * 1
    np.testing.assert_allclose(to_numpy(w), [0.0, 1.0])
    np.testing.assert_allclose(to_numpy(opt.state[w]["momentum_buffer"]), [1.0, 1.0])
    opt.step()  # same grad: buf = 0.9 * 1 + 0.5 * 1
    np.testing.assert_allclose(to_numpy(w), [-1.4, -0.4])


def test_params_without_grad_are_skipped(device):
    w = minigrad.ones(2, device=device, requires_grad=True)
    v = minigrad.ones(2, device=device, requires_grad=True)
    opt = Adam([w, v], lr=0.1)
    (w * 2).sum().backward()
    opt.step()
    assert v not in opt.state and len(opt.state) == 1
    np.testing.assert_array_equal(to_numpy(v), [1.0, 1.0])


def test_step_closure_returns_loss(device):
    w = minigrad.tensor([3.0], device=device, requires_grad=True)
    opt = SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with minigrad.no_grad():  # the closure still records (step enables grad)
        loss = opt.step(closure)
    assert float(loss.item()) == 9.0
    np.testing.assert_allclose(to_numpy(w), [1.5])


def test_zero_grad(device):
    w = minigrad.ones(3, device=device, requires_grad=True)
    opt = SGD([w], lr=0.1)
    (w * 2).sum().backward()
    g = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is g
    np.testing.assert_array_equal(to_numpy(w.grad), np.zeros(3))
    opt.zero_grad()
    assert w.grad is None


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: SGD(p, lr=-0.1), "Invalid learning rate"),
        (lambda p: SGD(p, lr=0.1, momentum=-1), "Invalid momentum"),
        (lambda p: SGD(p, lr=0.1, weight_decay=-1), "Invalid weight_decay"),
        (lambda p: SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires"),
        (lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
        (lambda p: Adam(p, lr=-1e-3), "Invalid learning rate"),
        (lambda p: Adam(p, eps=-1.0), "Invalid epsilon"),
        (lambda p: Adam(p, betas=(1.0, 0.9)), "beta parameter at index 0"),
        (lambda p: Adam(p, betas=(0.9, -0.1)), "beta parameter at index 1"),
        (lambda p: AdamW(p, weight_decay=-0.1), "Invalid weight_decay"),
    ],
)
def test_invalid_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make([minigrad.zeros(2, requires_grad=True)])


def test_invalid_params():
    w = minigrad.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="got a Tensor"):
        SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        SGD({w}, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        SGD([w, 3.0], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        SGD([w * 2], lr=0.1)
    opt = SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})


def test_defaults_and_groups():
    w, b = minigrad.zeros(2, requires_grad=True), minigrad.zeros(1, requires_grad=True)
    opt = AdamW([{"params": [w]}, {"params": b, "lr": 0.5, "betas": (0.5, 0.6)}])
    g0, g1 = opt.param_groups
    assert (g0["lr"], g0["betas"], g0["weight_decay"], g0["eps"]) == (
        1e-3,
        (0.9, 0.999),
        1e-2,
        1e-8,
    )
    assert (g1["lr"], g1["betas"], g1["params"][0] is b) == (0.5, (0.5, 0.6), True)
    assert isinstance(opt, Optimizer) and "AdamW" in repr(opt)
    assert SGD([w]).defaults["lr"] == 1e-3


def _train(opt, params, x, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss = sum((((x * p).tanh() - 0.5) ** 2).sum() for p in params)
        loss.backward()
        opt.step()


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.3}], lr=0.1, momentum=0.9),
        lambda ps: Adam(ps, lr=0.05, amsgrad=True),
        lambda ps: AdamW(ps, lr=0.05, weight_decay=0.2),
    ],
)
def test_state_dict_round_trip_continues_identically(make, device):
    x = minigrad.randn(4, device=device, dtype=minigrad.float64)

    def fresh():
        return [
            minigrad.randn(4, device=device, dtype=minigrad.float64, requires_grad=True)
            for _ in range(2)
        ]

    ps = fresh()
    opt = make(ps)
    _train(opt, ps, x, 3)
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1]
    assert [g["params"] for g in sd["param_groups"]] in ([[0], [1]], [[0, 1]])

    # a new optimizer on copies of the parameters, restored from the state dict
    qs = fresh()
    for p, q in zip(ps, qs):
        q._data[...] = p._data
    opt2 = make(qs)
    opt2.load_state_dict(sd)
    _train(opt, ps, x, 4)
    _train(opt2, qs, x, 4)
    for p, q in zip(ps, qs):
        np.testing.assert_array_equal(to_numpy(p), to_numpy(q))
    # the loaded state is a copy on the parameters' device, not an alias of sd's tensors
    saved = [v for s in sd["state"].values() for v in s.values()]
    for q in qs:
        for v in opt2.state[q].values():
            if isinstance(v, minigrad.Tensor):
                assert v.device == q.device
                assert all(v is not t and v._data is not getattr(t, "data", None) for t in saved)


def test_load_state_dict_errors():
    w, b = minigrad.zeros(2, requires_grad=True), minigrad.zeros(3, requires_grad=True)
    opt = SGD([w, b], lr=0.1, momentum=0.9)
    (w.sum() + b.sum()).backward()
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="1 parameter groups, but the optimizer has 2"):
        SGD([{"params": [w]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        SGD([w], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match=r"shape \(2,\) but its parameter has shape \(3,\)"):
        SGD([b, w], lr=0.1).load_state_dict(sd)
    with pytest.raises(KeyError, match="param_groups"):
        SGD([w, b], lr=0.1).load_state_dict({"state": {}})


def test_step_bumps_version_so_stale_graphs_fail():
    w = minigrad.ones(2, requires_grad=True)
    opt = SGD([w], lr=0.1)
    (w * w).sum().backward()
    loss = (w * w).sum()  # records w at its current version
    opt.step()
    with pytest.raises(RuntimeError, match="version"):
        loss.backward()
