"""Spectral normalization (Miyato et al. 2018; PyTorch's ``nn.utils.spectral_norm`` and
``remove_spectral_norm``): the weight is divided by an estimate of its largest singular
value ``sigma = u^T W v``, refined by power iteration on every training forward.

As PyTorch does, the parameter becomes ``weight_orig``, the singular vectors are buffers
``weight_u`` and ``weight_v`` (updated in place, outside autograd), and a forward
pre-hook sets ``module.weight = weight_orig / sigma``; the gradient flows through
``sigma`` with ``u`` and ``v`` held constant.
"""

from __future__ import annotations

from minigrad.autograd.grad_mode import no_grad
from minigrad.nn.parameter import Parameter
from minigrad.tensor import Tensor

__all__ = ["spectral_norm", "remove_spectral_norm"]


def _normalize_(xp, a, eps):
    """``a / max(||a||, eps)`` (PyTorch's ``F.normalize`` of a vector)."""
    return a / max(float(xp.sqrt((a * a).sum())), eps)


class _SpectralNorm:
    def __init__(self, name, n_power_iterations, dim, eps):
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def _matrix(self, weight):
        if self.dim != 0:
            perm = (self.dim,) + tuple(d for d in range(weight.ndim) if d != self.dim)
            weight = weight.permute(*perm)
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        mat = self._matrix(weight)
        if do_power_iteration:
            xp = weight.xp
            with no_grad():
                m = mat._data
                for _ in range(self.n_power_iterations):
                    v._data[...] = _normalize_(xp, m.T @ u._data, self.eps)
                    u._data[...] = _normalize_(xp, m @ v._data, self.eps)
                u._vc[0] += 1
                v._vc[0] += 1
        uc = Tensor._make(u._data.copy())
        vc = Tensor._make(v._data.copy())
        sigma = (uc * (mat @ vc)).sum()
        return weight / sigma

    def __call__(self, module, inputs):
        object.__setattr__(module, self.name, self.compute_weight(module, module.training))


def spectral_norm(module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None):  # fmt: skip
    """Divide ``module.<name>`` by its spectral norm before each forward (in place);
    returns the module.

    Parameters
    ----------
    module : Module
        The module holding the parameter.
    name : str
        The parameter (default ``'weight'``).
    n_power_iterations : int
        Power iterations per training forward (default 1).
    eps : float
        Smallest norm divided by when normalizing ``u`` and ``v`` (default 1e-12).
    dim : int, optional
        The output dimension (default 0, or 1 for transposed convolutions).

    Returns
    -------
    Module
        ``module`` with parameter ``<name>_orig`` and buffers ``<name>_u``, ``<name>_v``.

    Raises
    ------
    RuntimeError
        If spectral norm is already applied to ``name``.
    ValueError
        For ``n_power_iterations <= 0``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.utils.spectral_norm(nn.Linear(4, 3))
    >>> sorted(m.state_dict())
    ['bias', 'weight_orig', 'weight_u', 'weight_v']
    >>> m(minigrad.ones(2, 4)).shape
    (2, 3)
    """
    from minigrad import backend

    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _SpectralNorm) and hook.name == name:
            raise RuntimeError(
                f"Cannot register two spectral_norm hooks on the same parameter {name}"
            )
    if n_power_iterations <= 0:
        raise ValueError(
            "Expected n_power_iterations to be positive, but got "
            f"n_power_iterations={n_power_iterations}"
        )
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    weight = module._parameters[name]
    fn = _SpectralNorm(name, n_power_iterations, dim, eps)
    xp = weight.xp
    with no_grad():
        mat = fn._matrix(weight)._data
        h, w = mat.shape
        g = backend.generator(weight.device)
        u = _normalize_(xp, xp.asarray(g.standard_normal(h), dtype=weight.dtype), eps)
        v = _normalize_(xp, xp.asarray(g.standard_normal(w), dtype=weight.dtype), eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    object.__setattr__(module, name, weight.detach())
    module.register_buffer(name + "_u", Tensor._make(u.astype(weight.dtype)))
    module.register_buffer(name + "_v", Tensor._make(v.astype(weight.dtype)))
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module, name: str = "weight"):
    """Undo :func:`spectral_norm`: ``<name>`` becomes a parameter holding the current
    normalized weight; returns the module.

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
        If spectral norm was not applied to ``name``.

    Examples
    --------
    >>> from minigrad import nn
    >>> m = nn.utils.remove_spectral_norm(nn.utils.spectral_norm(nn.Linear(3, 2)))
    >>> sorted(m.state_dict())
    ['bias', 'weight']
    """
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _SpectralNorm) and hook.name == name:
            weight = hook.compute_weight(module, False).detach()
            module.__dict__.pop(name, None)
            del module._parameters[name + "_orig"]
            del module._buffers[name + "_u"]
            del module._buffers[name + "_v"]
            del module._forward_pre_hooks[key]
            module.register_parameter(name, Parameter(weight))
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
