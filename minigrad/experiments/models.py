"""Model factory for the laboratory: the normalization layer is one argument.

Three families, each for 1-D signals ``(C, L)`` (mnist1d, ``Conv1d``) or images
``(C, H, W)`` (8x8 digits, 28x28 MNIST / Fashion-MNIST, ``Conv2d``):

``mlp``
    ``Flatten`` then ``depth`` hidden blocks ``Linear -> norm -> activation`` and a
    ``Linear`` classifier (Ioffe & Szegedy's placement: norm before the nonlinearity).
``cnn``
    ``depth`` blocks ``Conv(3x3, padding 1) -> norm -> activation -> MaxPool(2)``
    (channels ``width * 2**i``; pooling only while the signal is at least 2 wide), then
    ``Flatten`` and a ``Linear`` classifier.
``resnet``
    a stem ``Conv -> norm -> activation`` and ``depth`` residual blocks
    ``x + norm(conv(act(norm(conv(x)))))`` followed by the activation, then global
    average pooling and a ``Linear`` classifier.

Normalization names (``norm=``):

========== ========================================== ==================================
name       after a Linear (features ``(N, C)``)        after a conv (``(N, C, *S)``)
========== ========================================== ==================================
none       ``Identity``                                ``Identity``
batch      ``BatchNorm1d(C)``                          ``BatchNorm1d/2d(C)``
syncbatch  ``SyncBatchNorm(C)``                        ``SyncBatchNorm(C)``
layer      ``LayerNorm(C)``                            ``LayerNorm((C, *S))``
group      ``GroupNorm(groups, C)``                    ``GroupNorm(groups, C)``
instance   (error: one value per feature)              ``InstanceNorm1d/2d(C, affine=True)``
renorm     ``BatchRenorm1d(C)``                        ``BatchRenorm1d/2d(C)``
rms        ``RMSNorm(C)``                              ``RMSNorm((C, *S))``
========== ========================================== ==================================

Wu & He's "LN" for convolutions is ``GroupNorm(1, C)`` (per-channel affine); ask for it
with ``norm='group', groups=1``.
"""

from __future__ import annotations

import math

__all__ = ["NORMS", "KINDS", "ACTIVATIONS", "make_model", "make_norm", "scale_init"]

NORMS = ("none", "batch", "layer", "group", "instance", "renorm", "rms", "syncbatch")
KINDS = ("mlp", "cnn", "resnet")
ACTIVATIONS = ("relu", "sigmoid", "tanh", "gelu")


def _nn():
    from minigrad import nn

    return nn


def _activation(name: str):
    nn = _nn()
    table = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh", "gelu": "GELU"}
    if name not in table:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return getattr(nn, table[name])()


def make_norm(
    norm: str,
    channels: int,
    spatial: tuple = (),
    groups: int = 4,
    momentum: float | None = 0.1,
    rmax: float = 3.0,
    dmax: float = 5.0,
):
    """Build one normalization layer for ``channels`` features.

    Parameters
    ----------
    norm : str
        One of :data:`NORMS`.
    channels : int
        Number of channels (or features after a ``Linear``).
    spatial : tuple of int
        Trailing spatial shape: ``()`` after a Linear, ``(L,)`` after a Conv1d, ``(H, W)``
        after a Conv2d.
    groups : int
        Number of groups for ``norm='group'``; must divide ``channels``.
    momentum : float or None
        Running-statistics momentum of the batch norms (PyTorch's convention).
    rmax, dmax : float
        Clipping limits of Batch Renormalization.

    Returns
    -------
    Module

    Raises
    ------
    ValueError
        For an unknown name, groups that do not divide the channels, or instance norm on
        features without a spatial extent.

    Examples
    --------
    >>> make_norm("group", 8, (4, 4), groups=2)
    GroupNorm(2, 8, eps=1e-05, affine=True)
    >>> make_norm("group", 8, groups=3)
    Traceback (most recent call last):
    ...
    ValueError: GroupNorm: groups=3 must divide the 8 channels (try one of 1, 2, 4, 8)
    """
    nn = _nn()
    spatial = tuple(spatial)
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; choose one of {', '.join(NORMS)}")
    if len(spatial) > 2:
        raise ValueError(f"make_norm: at most 2 spatial dimensions, got {spatial}")
    suffix = "2d" if len(spatial) == 2 else "1d"
    if norm == "none":
        return nn.Identity()
    if norm == "batch":
        return getattr(nn, "BatchNorm" + suffix)(channels, momentum=momentum)
    if norm == "syncbatch":  # statistics over every process of a data-parallel run
        return nn.SyncBatchNorm(channels, momentum=momentum)
    if norm == "renorm":
        return getattr(nn, "BatchRenorm" + suffix)(
            channels, momentum=momentum, rmax=rmax, dmax=dmax
        )
    if norm == "layer":
        return nn.LayerNorm((channels, *spatial) if spatial else channels)
    if norm == "rms":
        return nn.RMSNorm((channels, *spatial) if spatial else channels)
    if norm == "group":
        if groups < 1 or channels % groups:
            divisors = [d for d in range(1, channels + 1) if channels % d == 0]
            raise ValueError(
                f"GroupNorm: groups={groups} must divide the {channels} channels "
                f"(try one of {', '.join(map(str, divisors))})"
            )
        return nn.GroupNorm(groups, channels)
    # instance
    if not spatial:
        raise ValueError(
            "InstanceNorm needs a spatial extent: after a Linear each feature has one value "
            "per sample, so it would normalize to zero; use it with kind='cnn' or 'resnet'"
        )
    return getattr(nn, "InstanceNorm" + suffix)(channels, affine=True)


def _conv(dims: int, cin: int, cout: int):
    nn = _nn()
    cls = nn.Conv2d if dims == 2 else nn.Conv1d
    return cls(cin, cout, 3, padding=1)


def _pool(dims: int):
    nn = _nn()
    return nn.MaxPool2d(2) if dims == 2 else nn.MaxPool1d(2)


def _module_classes():
    """Define the two small modules the factory needs (after ``minigrad.nn`` exists)."""
    nn = _nn()

    class GlobalAvgPool(nn.Module):
        """Mean over every spatial dimension: ``(N, C, *S) -> (N, C)``."""

        def forward(self, x):
            return x.mean(dim=tuple(range(2, x.ndim)))

    class ResidualBlock(nn.Module):
        """``act(x + norm2(conv2(act(norm1(conv1(x))))))``, channels unchanged."""

        def __init__(self, dims, channels, spatial, norm, activation, **norm_kw):
            super().__init__()
            self.conv1 = _conv(dims, channels, channels)
            self.norm1 = make_norm(norm, channels, spatial, **norm_kw)
            self.act1 = _activation(activation)
            self.conv2 = _conv(dims, channels, channels)
            self.norm2 = make_norm(norm, channels, spatial, **norm_kw)
            self.act2 = _activation(activation)

        def forward(self, x):
            h = self.act1(self.norm1(self.conv1(x)))
            return self.act2(x + self.norm2(self.conv2(h)))

    return GlobalAvgPool, ResidualBlock


def make_model(
    kind: str = "cnn",
    norm: str = "batch",
    in_shape: tuple = (1, 8, 8),
    num_classes: int = 10,
    width: int = 16,
    depth: int = 2,
    activation: str = "relu",
    groups: int = 4,
    momentum: float | None = 0.1,
    rmax: float = 3.0,
    dmax: float = 5.0,
    dropout: float = 0.0,
):
    """Build a classifier whose normalization layer is chosen by name.

    Parameters
    ----------
    kind : {'mlp', 'cnn', 'resnet'}
        Model family (see the module docstring).
    norm : str
        One of :data:`NORMS`.
    in_shape : tuple of int
        One sample's shape without the batch: ``(C, L)`` or ``(C, H, W)``; an MLP also
        accepts ``(D,)``.
    num_classes : int
        Number of output logits.
    width : int
        Hidden units (MLP) or channels of the first conv block.
    depth : int
        Number of hidden layers, conv blocks or residual blocks (at least 1).
    activation : {'relu', 'sigmoid', 'tanh', 'gelu'}
        Nonlinearity after each norm.
    groups : int
        Groups of ``norm='group'``; must divide every normalized channel count.
    momentum : float or None
        Running-statistics momentum of batch norms.
    rmax, dmax : float
        Batch Renormalization clipping limits.
    dropout : float
        Dropout probability after each hidden activation (0 disables it).

    Returns
    -------
    nn.Sequential

    Raises
    ------
    ValueError
        For unknown names, non-positive sizes, shapes the family cannot take, or groups
        that do not divide the channels.

    Examples
    --------
    >>> import minigrad
    >>> model = make_model("mlp", "batch", in_shape=(1, 8, 8), width=32, depth=2)
    >>> model(minigrad.randn(4, 1, 8, 8)).shape
    (4, 10)
    >>> make_model("cnn", "group", in_shape=(1, 8, 8), width=6, groups=4)
    Traceback (most recent call last):
    ...
    ValueError: GroupNorm: groups=4 must divide the 6 channels (try one of 1, 2, 3, 6)
    """
    nn = _nn()
    in_shape = tuple(int(s) for s in in_shape)
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}; choose one of {', '.join(KINDS)}")
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; choose one of {', '.join(NORMS)}")
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}"
        )
    for name, value in (("width", width), ("depth", depth), ("num_classes", num_classes)):
        if int(value) < 1:
            raise ValueError(f"make_model: {name} must be a positive integer, got {value}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"make_model: dropout must be in [0, 1), got {dropout}")
    if not in_shape or any(s < 1 for s in in_shape):
        raise ValueError(f"make_model: in_shape must be positive sizes, got {in_shape}")
    norm_kw = {"groups": groups, "momentum": momentum, "rmax": rmax, "dmax": dmax}

    layers = []
    if kind == "mlp":
        layers.append(nn.Flatten())
        features = math.prod(in_shape)
        for _ in range(depth):
            layers += [nn.Linear(features, width), make_norm(norm, width, (), **norm_kw)]
            layers.append(_activation(activation))
            if dropout:
                layers.append(nn.Dropout(dropout))
            features = width
        layers.append(nn.Linear(features, num_classes))
        return nn.Sequential(*layers)

    if len(in_shape) not in (2, 3):
        raise ValueError(
            f"make_model: kind={kind!r} needs in_shape (C, L) or (C, H, W), got {in_shape}"
        )
    dims = len(in_shape) - 1
    channels, spatial = in_shape[0], in_shape[1:]
    if kind == "cnn":
        for i in range(depth):
            out = width * 2**i
            layers += [_conv(dims, channels, out), make_norm(norm, out, spatial, **norm_kw)]
            layers.append(_activation(activation))
            if min(spatial) >= 2:
                layers.append(_pool(dims))
                spatial = tuple(s // 2 for s in spatial)
            if dropout:
                layers.append(nn.Dropout(dropout))
            channels = out
        layers += [nn.Flatten(), nn.Linear(channels * math.prod(spatial), num_classes)]
        return nn.Sequential(*layers)

    GlobalAvgPool, ResidualBlock = _module_classes()
    layers += [_conv(dims, channels, width), make_norm(norm, width, spatial, **norm_kw)]
    layers.append(_activation(activation))
    for _ in range(depth):
        layers.append(ResidualBlock(dims, width, spatial, norm, activation, **norm_kw))
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers += [GlobalAvgPool(), nn.Linear(width, num_classes)]
    return nn.Sequential(*layers)


def scale_init(model, factor: float):
    """Multiply every Linear and Conv weight of ``model`` by ``factor``, in place.

    Used by the ``init-scale`` study to move away from PyTorch's default initialization.

    Parameters
    ----------
    model : Module
    factor : float

    Returns
    -------
    Module
        The same model.

    Examples
    --------
    >>> m = make_model("mlp", "none", in_shape=(4,), width=3, depth=1)
    >>> before = float(m[1].weight.abs().sum())
    >>> after = float(scale_init(m, 2.0)[1].weight.abs().sum())
    >>> round(after / before, 5)
    2.0
    """
    import minigrad

    nn = _nn()
    kinds = tuple(getattr(nn, n) for n in ("Linear", "Conv1d", "Conv2d") if hasattr(nn, n))
    with minigrad.no_grad():
        for module in model.modules():
            if isinstance(module, kinds):
                module.weight.mul_(float(factor))
    return model
