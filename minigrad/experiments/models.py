"""Model factory for the laboratory: the normalization layer is one argument.

Eight families, each for 1-D signals ``(C, L)`` (mnist1d, ``Conv1d``) or images
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

The models of mnist1d's published table (Greydanus 2020, ``notebooks/models.py`` of
github.com/greydanus/mnist1d: logistic regression 32%, MLP 68%, CNN 94%, GRU 91% test
accuracy), with a normalization slot where they have hidden layers:

``logreg``
    ``Flatten -> Linear`` (logistic regression; no hidden layer, so ``norm='none'`` only).
``resmlp``
    ``Linear -> norm -> act``, then ``depth - 1`` residual blocks
    ``h + act(norm(Linear(h)))``, then ``Linear`` (Greydanus's MLP: ``width=100, depth=2``).
``stridedcnn``
    ``Conv(k5, stride 2, padding 1) -> norm -> act`` then ``depth - 1`` blocks
    ``Conv(k3, stride 2, padding 1) -> norm -> act`` of ``width`` channels, ``Flatten``,
    ``Linear`` (Greydanus's CNN: ``width=25, depth=3``).
``gru``
    a bidirectional GRU over the signal as a sequence (one step per position, the
    channels as features), its outputs at every step flattened into a ``Linear``
    (Greydanus's GRU: ``width=6``). ``norm='layer'`` uses :class:`~minigrad.nn.LayerNormGRU`
    in each direction.
``lstm``
    a one-directional LSTM read out the same way; ``norm='layer'``:
    :class:`~minigrad.nn.LayerNormLSTM` (Ba et al. 2016); ``norm='batch'``:
    :class:`~minigrad.nn.BNLSTM` with statistics per time step (Cooijmans et al. 2017).
``patchlstm``
    ``lstm`` reading patches: each step takes ``patch_size(L)`` consecutive values (5 for
    mnist1d's 40: 8 steps of 5 values), so a LayerNorm of the input projection sees a
    vector, not a single value times the weights.

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

__all__ = [
    "NORMS",
    "KINDS",
    "ACTIVATIONS",
    "make_model",
    "make_norm",
    "scale_init",
    "patch_size",
]

NORMS = ("none", "batch", "layer", "group", "instance", "renorm", "rms", "syncbatch")
KINDS = ("mlp", "cnn", "resnet", "logreg", "resmlp", "stridedcnn", "gru", "lstm", "patchlstm")
#: The families that read the input as a sequence, and the norms each supports.
RECURRENT_NORMS = {
    "gru": ("none", "layer"),
    "lstm": ("none", "layer", "batch"),
    "patchlstm": ("none", "layer", "batch"),
}
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


def _conv_out(size: int, kernel: int, stride: int = 2, padding: int = 1) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def _mnist1d_classes():
    """The modules of the mnist1d table's models (defined once ``minigrad.nn`` exists)."""
    nn = _nn()

    class ResidualLinear(nn.Module):
        """``h + act(norm(Linear(h)))`` (Greydanus's second MLP layer, with a norm slot)."""

        def __init__(self, width, norm, activation, dropout, **norm_kw):
            super().__init__()
            self.linear = nn.Linear(width, width)
            self.norm = make_norm(norm, width, (), **norm_kw)
            self.act = _activation(activation)
            self.drop = nn.Dropout(dropout) if dropout else nn.Identity()

        def forward(self, h):
            return h + self.drop(self.act(self.norm(self.linear(h))))

    class SequenceClassifier(nn.Module):
        """A recurrent layer over ``(N, C, *S)`` read as ``prod(S)`` steps of ``C``
        features; every step's output, flattened, goes to a ``Linear``."""

        def __init__(self, rnns, steps, hidden, num_classes, patch=1):
            super().__init__()
            self.rnns = nn.ModuleList(rnns)  # one per direction (the second reads reversed)
            self.head = nn.Linear(steps * hidden * len(rnns), num_classes)
            self.patch = patch

        def forward(self, x):
            n, c = x.shape[0], x.shape[1]
            seq = x.reshape(n, c, -1).transpose(1, 2)  # (N, L, C), batch first
            if self.patch > 1:  # (N, L / p, p * C): p consecutive positions per step
                seq = seq.reshape(n, seq.shape[1] // self.patch, self.patch * c)
            outs = [self.rnns[0](seq)[0]]
            if len(self.rnns) > 1:
                outs.append(self.rnns[1](seq.flip(1))[0].flip(1))
            h = outs[0] if len(outs) == 1 else _cat(outs)
            return self.head(h.reshape(n, -1))

    return ResidualLinear, SequenceClassifier


def _cat(tensors):
    import minigrad

    return minigrad.cat(tensors, dim=2)


def patch_size(length: int) -> int:
    """Values per step of ``patchlstm``: 5 when it divides the length, else 4, else 1.

    Examples
    --------
    >>> patch_size(40), patch_size(64), patch_size(7)
    (5, 4, 1)
    """
    return next((p for p in (5, 4) if length % p == 0), 1)


def _recurrent(kind, norm, features, steps, width, num_classes, momentum):
    nn = _nn()
    patch = patch_size(steps) if kind == "patchlstm" else 1
    features, steps = features * patch, steps // patch
    if norm not in RECURRENT_NORMS[kind]:
        raise ValueError(
            f"make_model: kind={kind!r} takes norm in {', '.join(RECURRENT_NORMS[kind])}, got "
            f"{norm!r}"
            + (
                " (there is no BatchNorm GRU: use kind='lstm')" if norm == "batch" else ""
            )  # fmt: skip
        )
    _, SequenceClassifier = _mnist1d_classes()
    if kind == "gru":
        make = nn.GRU if norm == "none" else nn.LayerNormGRU
        rnns = [make(features, width, batch_first=True) for _ in range(2)]
    elif norm == "none":
        rnns = [nn.LSTM(features, width, batch_first=True)]
    elif norm == "layer":
        rnns = [nn.LayerNormLSTM(features, width, batch_first=True)]
    else:
        rnns = [nn.BNLSTM(features, width, max_length=steps, batch_first=True,
                          momentum=0.1 if momentum is None else momentum)]  # fmt: skip
    return SequenceClassifier(rnns, steps, width, num_classes, patch)


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
    kind : {'mlp', 'cnn', 'resnet', 'logreg', 'resmlp', 'stridedcnn', 'gru', 'lstm'}
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
    >>> make_model("stridedcnn", "none", in_shape=(1, 40), width=25, depth=3)(
    ...     minigrad.randn(2, 1, 40)).shape
    (2, 10)
    >>> make_model("lstm", "layer", in_shape=(1, 40), width=8)(minigrad.randn(2, 1, 40)).shape
    (2, 10)
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
    if kind == "logreg":
        if norm != "none":
            raise ValueError(
                f"make_model: logreg has no hidden layer to normalize, got norm={norm!r}"
            )
        return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(in_shape), num_classes))
    if kind == "resmlp":
        ResidualLinear, _ = _mnist1d_classes()
        layers += [nn.Flatten(), nn.Linear(math.prod(in_shape), width)]
        layers += [make_norm(norm, width, (), **norm_kw), _activation(activation)]
        if dropout:
            layers.append(nn.Dropout(dropout))
        for _ in range(depth - 1):
            layers.append(ResidualLinear(width, norm, activation, dropout, **norm_kw))
        layers.append(nn.Linear(width, num_classes))
        return nn.Sequential(*layers)
    if kind in RECURRENT_NORMS:
        steps = math.prod(in_shape[1:]) if len(in_shape) > 1 else 1
        return _recurrent(kind, norm, in_shape[0], steps, width, num_classes, momentum)
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

    if kind == "stridedcnn":
        for i in range(depth):
            k = 5 if i == 0 else 3
            spatial = tuple(_conv_out(s, k) for s in spatial)
            if min(spatial) < 1:
                raise ValueError(
                    f"make_model: stridedcnn with depth={depth} shrinks in_shape {in_shape} "
                    "to nothing (each conv halves it); use a smaller depth"
                )
            cls = nn.Conv2d if dims == 2 else nn.Conv1d
            layers += [cls(channels, width, k, stride=2, padding=1)]
            layers += [make_norm(norm, width, spatial, **norm_kw), _activation(activation)]
            if dropout:
                layers.append(nn.Dropout(dropout))
            channels = width
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
