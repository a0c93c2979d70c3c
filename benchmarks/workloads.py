"""The tracked workloads (shared/DESIGN.md), each built for minigrad and for PyTorch.

A builder takes the framework module(s) and a device and returns a ``Workload``: a
``step()`` callable doing one unit of work (a training step, or forward+backward), plus
what is needed to turn a time into the derived metric (microseconds per op for W4,
effective GB/s for W3). Builders raise when a piece is missing; the runner reports that
as "unavailable: <reason>" and goes on.

Both frameworks get the same data (NumPy arrays from one seeded generator), float32.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Workload:
    """One timed unit of work for one framework."""

    step: object  # callable with no arguments
    sync: object = None  # callable that waits for queued device work (GPU), or None
    ops_per_step: int = 0  # W4: elementwise ops per step (for microseconds per op)
    bytes_per_step: int = 0  # W3: minimum bytes moved per step (for effective GB/s)
    notes: dict = field(default_factory=dict)


W4_OPS = 1000
W4_SHAPE = (10,)


# ----------------------------------------------------------------------- data
def _data(seed, *shape, kind="normal", high=10):
    rng = np.random.default_rng(seed)
    if kind == "int":
        return rng.integers(0, high, size=shape).astype(np.int64)
    return rng.standard_normal(shape).astype(np.float32)


# ----------------------------------------------------------------------- W4
def _chain(x, w, n):
    """``n`` small elementwise ops, cycling through mul-by-scalar, add-scalar, tanh and
    mul-by-tensor (a binary op whose both inputs need a gradient)."""
    y = x
    for i in range(n):
        k = i % 4
        if k == 0:
            y = y * 0.999
        elif k == 1:
            y = y + 0.001
        elif k == 2:
            y = y.tanh()
        else:
            y = y * w
    return y


def w4_minigrad(mg, dev):
    x = mg.tensor(_data(0, *W4_SHAPE), device=dev, requires_grad=True)
    w = mg.tensor(np.full(W4_SHAPE, 1.0001, np.float32), device=dev, requires_grad=True)

    def step():
        x.grad = w.grad = None
        _chain(x, w, W4_OPS).sum().backward()

    return Workload(step, ops_per_step=W4_OPS + 1)  # + the final sum


def w4_torch(torch, dev):
    x = torch.tensor(_data(0, *W4_SHAPE), device=dev, requires_grad=True)
    w = torch.full(W4_SHAPE, 1.0001, device=dev, requires_grad=True)

    def step():
        x.grad = w.grad = None
        _chain(x, w, W4_OPS).sum().backward()

    return Workload(step, ops_per_step=W4_OPS + 1)


# ----------------------------------------------------------------------- W1 / W2
def _train_step(model, loss_fn, opt, x, y):
    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    return step


def _mlp(nn):
    return nn.Sequential(
        nn.Linear(784, 256),
        nn.BatchNorm1d(256),
        nn.ReLU(),
        nn.Linear(256, 256),
        nn.BatchNorm1d(256),
        nn.ReLU(),
        nn.Linear(256, 10),
    )


def _cnn(nn):
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 10),
    )


def _build_train(lib, nn, F, optim, make_model, x_shape, dev, to_tensor):
    model = make_model(nn)
    model.to(dev)
    model.train()
    x = to_tensor(_data(1, *x_shape))
    y = to_tensor(_data(2, x_shape[0], kind="int"))
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return Workload(_train_step(model, F.cross_entropy, opt, x, y))


def _mg_modules(mg):
    import minigrad.nn as nn
    import minigrad.nn.functional as F
    import minigrad.optim as optim

    return nn, F, optim


def w1_minigrad(mg, dev):
    nn, F, optim = _mg_modules(mg)
    return _build_train(mg, nn, F, optim, _mlp, (128, 784), dev, lambda a: mg.tensor(a, device=dev))


def w1_torch(torch, dev):
    return _build_train(
        torch, torch.nn, torch.nn.functional, torch.optim, _mlp, (128, 784), dev,
        lambda a: torch.from_numpy(a).to(dev),
    )  # fmt: skip


def w2_minigrad(mg, dev):
    nn, F, optim = _mg_modules(mg)
    return _build_train(
        mg, nn, F, optim, _cnn, (64, 1, 28, 28), dev, lambda a: mg.tensor(a, device=dev)
    )


def w2_torch(torch, dev):
    return _build_train(
        torch, torch.nn, torch.nn.functional, torch.optim, _cnn, (64, 1, 28, 28), dev,
        lambda a: torch.from_numpy(a).to(dev),
    )  # fmt: skip


# ----------------------------------------------------------------------- W3
W3_SHAPE = (64, 32, 28, 28)
W3_LAYERS = {
    "BatchNorm2d": lambda nn: nn.BatchNorm2d(32),
    "GroupNorm(8)": lambda nn: nn.GroupNorm(8, 32),
    "LayerNorm(C,H,W)": lambda nn: nn.LayerNorm(list(W3_SHAPE[1:])),
}


def _w3(make_layer, nn, dev, to_tensor):
    layer = make_layer(nn)
    layer.to(dev)
    layer.train()
    x = to_tensor(_data(3, *W3_SHAPE))
    x.requires_grad_(True)
    gy = to_tensor(_data(4, *W3_SHAPE))

    def step():
        x.grad = None
        for p in layer.parameters():
            p.grad = None
        layer(x).backward(gy)

    # the least a fused forward+backward must move: read x, write y (forward);
    # read x, read dy, write dx (backward); parameters are negligible
    nbytes = 5 * int(np.prod(W3_SHAPE)) * 4
    return Workload(step, bytes_per_step=nbytes)


def w3_minigrad(mg, dev, name):
    nn, _, _ = _mg_modules(mg)
    return _w3(W3_LAYERS[name], nn, dev, lambda a: mg.tensor(a, device=dev))


def w3_torch(torch, dev, name):
    return _w3(W3_LAYERS[name], torch.nn, dev, lambda a: torch.from_numpy(a).to(dev))


# ----------------------------------------------------------------------- W5
W5_SEQ, W5_BATCH, W5_IN, W5_HIDDEN = 40, 64, 32, 128


def _w5(layer, dev, to_tensor):
    """Forward + backward of the sum of a one-layer recurrent layer's outputs."""
    layer.to(dev)
    x = to_tensor(_data(5, W5_SEQ, W5_BATCH, W5_IN))
    x.requires_grad_(True)

    def step():
        x.grad = None
        for p in layer.parameters():
            p.grad = None
        layer(x)[0].sum().backward()

    return Workload(step)


def w5_minigrad(mg, dev, cls):
    import minigrad.nn as nn

    return _w5(getattr(nn, cls)(W5_IN, W5_HIDDEN), dev, lambda a: mg.tensor(a, device=dev))


def w5_torch(torch, dev, cls):
    layer = getattr(torch.nn, cls)(W5_IN, W5_HIDDEN)
    return _w5(layer, dev, lambda a: torch.from_numpy(a).to(dev))


# ----------------------------------------------------------------------- registry
def registry():
    """Rows of the table: (workload id, row name, minigrad builder, torch builder)."""
    rows = [
        ("W1", "W1 MLP+BN1d train step (b=128)", w1_minigrad, w1_torch),
        ("W2", "W2 CNN train step (b=64)", w2_minigrad, w2_torch),
    ]
    for name in W3_LAYERS:
        rows.append(
            (
                "W3",
                f"W3 {name} fwd+bwd",
                lambda mg, dev, n=name: w3_minigrad(mg, dev, n),
                lambda torch, dev, n=name: w3_torch(torch, dev, n),
            )
        )
    rows.append(("W4", f"W4 {W4_OPS}-op chain fwd+bwd", w4_minigrad, w4_torch))
    for cls in ("GRU", "LSTM"):
        rows.append(
            (
                "W5",
                f"W5 {cls} seq {W5_SEQ} b={W5_BATCH} h={W5_HIDDEN} fwd+bwd",
                lambda mg, dev, c=cls: w5_minigrad(mg, dev, c),
                lambda torch, dev, c=cls: w5_torch(torch, dev, c),
            )
        )
    return rows
