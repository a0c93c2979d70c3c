"""State dicts: :meth:`Module.state_dict <minigrad.nn.Module.state_dict>` and
:meth:`Module.load_state_dict <minigrad.nn.Module.load_state_dict>`.

Both functions are methods of :class:`~minigrad.nn.Module` (assigned in its class body).
Loading compares the module's own entries with the ones offered and lists every problem
at once; nothing is copied unless all of them fit.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple

from minigrad.autograd.grad_mode import no_grad
from minigrad.tensor import Tensor

_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _diff_state_dict(own, state_dict, strict: bool):
    """Compare ``own`` (name -> the module's tensor) with ``state_dict``.

    Returns ``(missing, unexpected, errors, pairs)``: the missing and unexpected keys,
    the error lines (missing/unexpected keys when ``strict``, and every value that is
    not an array or has the wrong shape or dtype), and the ``(target, array)`` pairs
    to copy when there is no error.
    """
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    mismatches = []
    pairs = []
    for key, target in own.items():
        if key not in state_dict:
            continue
        value = state_dict[key]
        arr = value.data if isinstance(value, Tensor) else value
        if not hasattr(arr, "shape") or not hasattr(arr, "dtype"):
            mismatches.append(
                f'While copying the parameter named "{key}", expected a Tensor or array, '
                f"got {type(value).__name__}."
            )
            continue
        if tuple(arr.shape) != tuple(target.shape):
            mismatches.append(
                f"size mismatch for {key}: copying a param with shape {tuple(arr.shape)} "
                f"from checkpoint, the shape in current model is {tuple(target.shape)}."
            )
        elif arr.dtype != target.dtype:
            mismatches.append(
                f"dtype mismatch for {key}: copying a param with dtype {arr.dtype} "
                f"from checkpoint, the dtype in current model is {target.dtype}."
            )
        else:
            pairs.append((target, arr))
    errors = []
    if strict:
        if unexpected:
            errors.append(
                "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + "."
            )
        if missing:
            errors.append(
                "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + "."
            )
    errors += mismatches
    return missing, unexpected, errors, pairs


def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
    """The module's state: an ``OrderedDict`` from names like ``'0.weight'`` or
    ``'bn.running_mean'`` to tensors (detached unless ``keep_vars``).

    Parameters and persistent buffers are included; they share memory with the
    module (copy them to keep a snapshot).

    Examples
    --------
    >>> from minigrad import nn
    >>> list(nn.Sequential(nn.Linear(2, 3)).state_dict())
    ['0.weight', '0.bias']
    """
    if destination is None:
        destination = OrderedDict()
    for mprefix, m in self.named_modules(prefix=prefix.rstrip(".")):
        p = mprefix + "." if mprefix else ""
        for name, t in m._parameters.items():
            if t is not None:
                destination[p + name] = t if keep_vars else Tensor._make(t.data)
        for name, t in m._buffers.items():
            if t is not None and name not in m._non_persistent_buffers:
                destination[p + name] = t if keep_vars else Tensor._make(t.data)
    return destination


def load_state_dict(self, state_dict, strict: bool = True):
    """Copy values from ``state_dict`` into the parameters and buffers, in place.

    Parameters
    ----------
    state_dict : Mapping
        Names to Tensors (or arrays), as made by :meth:`state_dict`.
    strict : bool
        Require the keys to match exactly (default True).

    Returns
    -------
    IncompatibleKeys
        A named tuple ``(missing_keys, unexpected_keys)``.

    Raises
    ------
    RuntimeError
        Listing every missing and unexpected key (when ``strict``) and every shape
        or dtype mismatch (always); nothing is copied then.

    Examples
    --------
    >>> from minigrad import nn
    >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    >>> b.load_state_dict(a.state_dict())
    IncompatibleKeys(missing_keys=[], unexpected_keys=[])
    >>> bool((a.weight == b.weight).all())
    True
    """
    own = self.state_dict(keep_vars=True)
    missing, unexpected, errors, pairs = _diff_state_dict(own, state_dict, strict)
    if errors:
        raise RuntimeError(
            f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors)
        )
    with no_grad():
        for target, arr in pairs:
            target.copy_(arr)
    return _IncompatibleKeys(missing, unexpected)
