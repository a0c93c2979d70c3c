"""Padding: PyTorch's ``F.pad`` with modes ``constant``, ``reflect``, ``replicate`` and
``circular``.

Constant padding is a Function whose gradient is the same op with the widths negated
(a crop; negative widths crop in the forward too), so it is differentiable to any
order. The other modes are an indexing of each padded dimension with a computed source
index, so their gradient is indexing's scatter-add (mirrored or repeated border
elements accumulate).
"""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.ops.shape.indexing import getitem

__all__ = ["pad"]


class ConstantPad(Function):
    """Pad with a constant (negative widths crop). Its gradient is the same op with the
    widths negated and value 0, so it is differentiable to any order."""

    def __init__(self, widths, value):
        self.widths, self.value = widths, value  # one (before, after) per dimension

    def forward(self, x):
        xp = backend.array_module(x)
        shape = tuple(s + b + a for s, (b, a) in zip(x.shape, self.widths))
        if any(s < 0 for s in shape):
            raise RuntimeError(
                f"pad: the input of shape {tuple(x.shape)} would get a negative size {shape}"
            )
        src = tuple(slice(-b if b < 0 else 0, s + a if a < 0 else s) for s, (b, a) in
                    zip(x.shape, self.widths))  # fmt: skip
        dst = tuple(slice(max(b, 0), max(b, 0) + (sl.stop - sl.start)) for sl, (b, _) in
                    zip(src, self.widths))  # fmt: skip
        out = xp.full(shape, self.value, dtype=x.dtype)
        out[dst] = x[src]
        return out

    def backward(self, gy):
        return ConstantPad(tuple((-b, -a) for b, a in self.widths), 0)(gy)


def _pad_index(xp, n, before, after, mode):
    """Source index of every output position of one padded dimension."""
    j = xp.arange(-before, n + after)
    if mode == "reflect":
        j = xp.abs(j)
        return xp.where(j > n - 1, 2 * (n - 1) - j, j)
    if mode == "replicate":
        return xp.clip(j, 0, n - 1)
    return j % n  # circular


def pad(x, pad, mode: str = "constant", value=None):
    """Pad ``x`` (PyTorch's ``F.pad``).

    ``pad`` lists ``(before, after)`` widths starting from the LAST dimension:
    ``(left, right)`` pads the last one, ``(left, right, top, bottom)`` the last two, etc.

    Parameters
    ----------
    x : Tensor
    pad : tuple of int
        An even number of widths, at most ``2 * x.ndim``. Negative widths crop (in the
        other modes the padding then repeats, mirrors or wraps the cropped tensor, as in
        PyTorch).
    mode : {'constant', 'reflect', 'replicate', 'circular'}
        Fill with ``value``; mirror without repeating the edge; repeat the edge; wrap
        around.
    value : float, optional
        The fill value of ``'constant'`` mode (default 0).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        For an odd-length or too long ``pad``, an unknown mode, a reflect width not
        smaller than the dimension, a circular width larger than it, or a non-constant
        mode on an empty dimension. Replicate padding takes any width (the edge repeats).

    Examples
    --------
    >>> import minigrad
    >>> x = minigrad.tensor([[1.0, 2.0, 3.0]])
    >>> minigrad.pad(x, (1, 2))
    tensor([[0., 1., 2., 3., 0., 0.]])
    >>> minigrad.pad(x, (2, 1), mode="reflect")
    tensor([[3., 2., 1., 2., 3., 2.]])
    >>> minigrad.pad(x, (1, 1), mode="replicate")
    tensor([[1., 1., 2., 3., 3.]])
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(
            f"pad: padding length must be even and at most twice the number of dimensions "
            f"({x.ndim} for a tensor of shape {tuple(x.shape)}), got {len(pad)}"
        )
    k = len(pad) // 2
    widths = [(0, 0)] * (x.ndim - k) + [(pad[2 * i], pad[2 * i + 1]) for i in range(k)][::-1]
    if mode == "constant":
        if all(w == (0, 0) for w in widths):
            return x
        return ConstantPad(tuple(widths), 0 if value is None else value)(x)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(
            f"pad: unknown mode {mode!r}; expected 'constant', 'reflect', 'replicate' or 'circular'"
        )
    if value not in (None, 0):
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    out = x
    for axis, (b, a) in enumerate(widths):
        if b == 0 and a == 0:
            continue
        n = x.shape[axis]
        # negative widths crop first (PyTorch: the padding then uses the cropped edges)
        lo, hi = max(-b, 0), n - max(-a, 0)
        b, a, m = max(b, 0), max(a, 0), hi - lo
        # reflect mirrors without the edge (widths < size); circular wraps at most once
        # (widths <= size); replicate repeats the edge as often as asked (any width)
        limit = m - 1 if mode == "reflect" else m
        if m <= 0 or (mode != "replicate" and (b > limit or a > limit)):
            need = "a non-empty dimension" if m <= 0 else f"widths at most {limit}"
            raise ValueError(
                f"pad: {mode} padding of {pad} on dimension {axis} needs {need} "
                f"(size {n}{f', {m} after cropping' if m != n else ''}; input shape "
                f"{tuple(x.shape)})"
            )
        idx = _pad_index(x.xp, m, b, a, mode)
        if lo:
            idx = idx + lo
        out = getitem(out, (slice(None),) * axis + (idx,))
    return out
