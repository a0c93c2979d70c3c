"""Weight normalization (Salimans & Kingma 2016; PyTorch's ``nn.utils.weight_norm`` and
``remove_weight_norm``): a weight ``w`` is re-parametrized as ``w = g * v / ||v||``, the
norm taken over every dimension except ``dim``.

As PyTorch does, the module's ``weight`` parameter is replaced by ``weight_g`` and
``weight_v`` (the names in its state dict) and a forward pre-hook recomputes ``weight``
from them before each call, so gradients reach ``g`` and ``v``.
"""

from __future__ import annotations

from minigrad.nn.parameter import Parameter
from minigrad.ops.math.vector_norm import norm

__all__ = ["weight_norm", "remove_weight_norm"]


def _norm_except_dim(v, dim):
    """The 2-norm of ``v`` over every dimension except ``dim`` (all of them for -1),
    shaped to broadcast against ``v``."""
    if dim == -1:
        return norm(v, 2)
    axes = tuple(a for a in range(v.ndim) if a != dim)
    return norm(v, 2, axes, keepdim=True)


class _WeightNorm:
    def __init__(self, name, dim):
        self.name, self.dim = name, dim

    def compute_weight(self, module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    def __call__(self, module, inputs):
        object.__setattr__(module, self.name, self.compute_weight(module))


def weight_norm(module, name: str = "weight", dim: int | None = 0):
    """Re-parametrize ``module.<name>`` as ``g * v / ||v||`` (in place); returns the module.

    Parameters
    ----------
    module : Module
        The module holding the parameter.
    name : str
        The parameter (default ``'weight'``).
    dim : int or None
        The dimension kept by the norm (default 0: one ``g`` per output unit); ``None``
        or -1 for one norm over the whole tensor.

    Returns
    -------
    Module
        ``module``, with parameters ``<name>_g`` and ``<name>_v`` instead of ``<name>``.

    Raises
    ------
    RuntimeError
        If weight norm is already applied to ``name``.
    AttributeError
        If the module has no parameter ``name``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.utils.weight_norm(nn.Linear(3, 2))
    >>> sorted(n for n, _ in m.named_parameters())
    ['bias', 'weight_g', 'weight_v']
    >>> m.weight_g.shape
    (2, 1)
    >>> m(minigrad.ones(1, 3)).shape
    (1, 2)
    """
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _WeightNorm) and hook.name == name:
            raise RuntimeError(
                f"Cannot register two weight_norm hooks on the same parameter {name}"
            )
    if dim is None:
        dim = -1
    weight = module._parameters.get(name)
    if weight is None:
        raise AttributeError(f"weight_norm: {type(module).__name__} has no parameter {name!r}")
    if dim < -1:
        dim += weight.ndim
    fn = _WeightNorm(name, dim)
    del module._parameters[name]
    module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, dim).detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    fn(module, ())
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module, name: str = "weight"):
    """Undo :func:`weight_norm`: ``<name>`` becomes a plain parameter again (its current
    value); returns the module.

    Parameters
    ----------
    module : Module
    name : str
        The parameter (default ``'weight'``).

    Returns
    -------
    Module

    Raises
    ------
    ValueError
        If weight norm was not applied to ``name``.

    Examples
    --------
    >>> from minigrad import nn
    >>> m = nn.utils.remove_weight_norm(nn.utils.weight_norm(nn.Linear(3, 2)))
    >>> sorted(n for n, _ in m.named_parameters())
    ['bias', 'weight']
    """
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _WeightNorm) and hook.name == name:
            weight = hook.compute_weight(module).detach()
            module.__dict__.pop(name, None)
            del module._parameters[name + "_g"]
            del module._parameters[name + "_v"]
            del module._forward_pre_hooks[key]
            module.register_parameter(name, Parameter(weight))
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
