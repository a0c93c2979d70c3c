"""``Tensor.view``: PyTorch's rule for which reshapes can share memory.

PyTorch can view a strided tensor in a new shape when every group of dimensions that
the new shape merges or splits is contiguous within itself (its ``computeStride``): a
sliced or transposed tensor is often still viewable, e.g. ``x[:, ::2]`` of a ``(4, 6)``
tensor flattens to ``(12,)``. Requiring C-contiguity (NumPy's flag) refuses those.

Examples
--------
>>> import minigrad
>>> x = minigrad.zeros(4, 6)[:, ::2]
>>> x.view(12).shape
(12,)
>>> view_strides((4, 3), (6, 2), (12,))
(2,)
"""

from __future__ import annotations

__all__ = []  # internal: Tensor.view


def view_strides(shape, strides, new_shape):
    """The strides a view of ``new_shape`` would have over memory laid out as
    ``shape``/``strides`` (any unit), or None when no view exists: PyTorch's
    ``computeStride``. Dimensions are taken in chunks that are contiguous with each other;
    a view may split or merge dimensions inside a chunk, never across two."""
    numel = 1
    for n in shape:
        numel *= n
    if not shape or numel == 0:
        return ()  # a 0-d or empty tensor can be viewed in any shape of its size
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base = strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                chunk_base = strides[d - 1]
                tensor_numel = view_numel = 1
    return None if view_d != -1 else tuple(new_strides)


def view(x, shape):
    """``x.view(*shape)``: a reshape that PyTorch could do without copying (it accepts
    every stride pattern PyTorch's ``view`` accepts, e.g. merging dimensions of a sliced
    tensor whose strides still line up), else a RuntimeError as PyTorch's."""
    from minigrad.ops.shape.shape import _shape_arg, reshape  # (shape imports this module)

    shape = _shape_arg(shape)
    n = x.numel()
    if shape.count(-1) == 1:
        rest = 1
        for s in shape:
            rest *= s if s != -1 else 1
        if rest and n % rest == 0:
            shape = tuple(n // rest if s == -1 else s for s in shape)
    size = 1
    for s in shape:
        size *= s
    if size != n or any(s < 0 for s in shape):
        return reshape(x, shape)  # raises reshape's error for a wrong size
    if view_strides(tuple(x.shape), tuple(x._data.strides), shape) is None:
        raise RuntimeError(
            f"view: shape {list(shape)} is not compatible with the size {tuple(x.shape)} and "
            f"strides {tuple(st // x._data.itemsize for st in x._data.strides)} of the input "
            "(at least one dimension spans across two contiguous subspaces); use "
            ".reshape(...) instead"
        )
    return reshape(x, shape)
