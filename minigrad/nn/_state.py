"""State-dict bookkeeping for :meth:`minigrad.nn.Module.load_state_dict`: compare a
module's own entries with the ones offered and list every problem at once."""

from __future__ import annotations

from collections import namedtuple

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
