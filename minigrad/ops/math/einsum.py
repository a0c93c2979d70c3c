"""Einstein summation: ``einsum('bij,bjk->bik', a, b)``.

The equation is first made explicit: ``...`` becomes letters of its own (aligned from
the right, so ellipsis dimensions broadcast), an implicit output becomes PyTorch's (the
ellipsis dimensions, then the letters used once, in alphabetical order), and operands
whose size-1 dimensions broadcast against a larger size are expanded (a view whose
gradient is summed back). What remains is one :class:`Einsum` node over letters only.

Its gradient with respect to operand ``k`` is again an einsum: the output gradient
contracted with the other operands, onto the letters of operand ``k`` that appear
elsewhere. Letters found only in operand ``k`` are summed in the forward pass, so their
gradient is broadcast along them; a letter repeated in operand ``k`` (a diagonal, as in
``'ii->i'``) puts the gradient on that diagonal, through an einsum with the identity.
Since every gradient is itself an :class:`Einsum`, higher derivatives come for free.
"""

from __future__ import annotations

import string

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.tensor import Tensor

__all__ = ["einsum"]


class Einsum(Function):
    """One einsum over explicit letters (no ellipsis, no broadcasting)."""

    def __init__(self, ins, out):
        self.ins, self.out = tuple(ins), out

    def forward(self, *xs):
        xp = backend.array_module(xs[0])
        eq = ",".join(self.ins) + "->" + self.out
        return xp.einsum(eq, *xs, optimize=len(xs) > 1)

    def backward(self, gy):
        xs = self.inputs
        sizes = {}
        for sub, x in zip(self.ins, xs):
            sizes.update(zip(sub, x.shape))
        grads = []
        for k in range(len(self.ins)):
            if not self.needs_input_grad[k]:
                grads.append(None)
                continue
            grads.append(_operand_grad(gy, self.out, xs, self.ins, k, sizes))
        return tuple(grads)


def _operand_grad(gy, out, xs, ins, k, sizes):
    """Gradient of operand ``k``: contract ``gy`` with the other operands."""
    sub = ins[k]
    uniq = "".join(dict.fromkeys(sub))
    others = [j for j in range(len(xs)) if j != k]
    keep = "".join(c for c in uniq if c in out or any(c in ins[j] for j in others))
    g = Einsum([out] + [ins[j] for j in others], keep)(gy, *[xs[j] for j in others])
    if keep != uniq:  # letters summed only inside operand k: broadcast along them
        g = g.reshape(tuple(sizes[c] if c in keep else 1 for c in uniq))
        g = g.expand(tuple(sizes[c] for c in uniq))
    if uniq != sub:  # a repeated letter: put the gradient on the diagonal
        used = set("".join(ins) + out)
        fresh = iter(c for c in string.ascii_letters if c not in used)
        seen, target, eyes, eye_subs = set(), [], [], []
        xp = gy.xp
        for c in sub:
            if c in seen:
                f = next(fresh)
                target.append(f)
                eyes.append(Tensor._make(xp.eye(sizes[c], dtype=gy.dtype)))
                eye_subs.append(c + f)
            else:
                seen.add(c)
                target.append(c)
        g = Einsum([uniq] + eye_subs, "".join(target))(g, *eyes)
    return g


def _parse(equation, operands):
    """Explicit input subscripts and output subscript (letters only)."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(operands):
        raise ValueError(
            f"einsum: the equation {equation!r} has {len(ins)} operand(s) but "
            f"{len(operands)} tensor(s) were given"
        )
    for part in ins + ([rhs] if arrow else []):
        rest = part.replace("...", "")
        if "." in rest or not all(c in string.ascii_letters for c in rest):
            raise ValueError(
                f"einsum: invalid subscripts {part!r} in {equation!r}: expected letters "
                "a-z, A-Z and at most one '...' per operand"
            )
        if part.count("...") > 1:
            raise ValueError(f"einsum: more than one '...' in {part!r} of {equation!r}")
    free = [c for c in string.ascii_letters if c not in eq]
    n_ell = 0
    counts = []
    for sub, x in zip(ins, operands):
        letters = len(sub.replace("...", ""))
        extra = x.ndim - letters
        if extra < 0 or (extra > 0 and "..." not in sub):
            raise ValueError(
                f"einsum: operand subscripts {sub!r} do not match the {x.ndim} dimensions "
                f"of a tensor of shape {tuple(x.shape)}"
            )
        counts.append(extra)
        n_ell = max(n_ell, extra)
    ell = "".join(free[:n_ell])
    ins = [s.replace("...", ell[n_ell - e :]) for s, e in zip(ins, counts)]
    if arrow:
        out = rhs.replace("...", ell)
    else:
        once = [c for c in set("".join(ins)) if c not in ell and "".join(ins).count(c) == 1]
        out = ell + "".join(sorted(once))
    all_in = "".join(ins)
    for c in out:
        if c not in all_in:
            raise ValueError(
                f"einsum: output subscript {c!r} of {equation!r} does not appear in the inputs"
            )
    if len(set(out)) != len(out):
        raise ValueError(f"einsum: output subscripts of {equation!r} repeat a letter")
    return ins, out


def einsum(equation: str, *operands):
    """Sum products of tensor elements over the indices named in ``equation``.

    Parameters
    ----------
    equation : str
        Subscripts such as ``'ij,jk->ik'``: one group per operand, then ``->`` and the
        output's. ``...`` stands for any number of (broadcast) leading dimensions.
        Without ``->`` the output is the ellipsis dimensions, then the letters used
        exactly once, in alphabetical order.
    *operands : Tensor
        The tensors (also accepted as one list), of one dtype and device.

    Returns
    -------
    Tensor
        Differentiable in every operand, to any order.

    Raises
    ------
    ValueError
        For an equation that does not fit the operands.
    RuntimeError
        When a letter has different sizes in different places, or dtypes differ.

    Examples
    --------
    >>> import minigrad
    >>> a = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> minigrad.einsum("ij,jk->ik", a, a)
    tensor([[ 7., 10.],
            [15., 22.]])
    >>> minigrad.einsum("ii", a)  # the trace
    tensor(5.)
    >>> minigrad.einsum("...i,...i->...", a, a)  # row-wise dot products
    tensor([ 5., 25.])
    """
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: expected at least one operand")
    for i, x in enumerate(operands):
        if not isinstance(x, Tensor):
            raise TypeError(f"einsum: operand {i} is a {type(x).__name__}, expected a Tensor")
        if x.dtype != operands[0].dtype:
            raise RuntimeError(
                f"einsum: expected operands of one dtype, got {operands[0].dtype} (operand 0) "
                f"and {x.dtype} (operand {i})"
            )
    ins, out = _parse(equation, operands)
    sizes = {}
    for i, (sub, x) in enumerate(zip(ins, operands)):
        for c, n in zip(sub, x.shape):
            if n != 1 and sizes.get(c, 1) not in (1, n):
                raise RuntimeError(
                    f"einsum: subscript {c!r} has size {n} in operand {i} (shape "
                    f"{tuple(x.shape)}) but size {sizes[c]} elsewhere in {equation!r}"
                )
            if n != 1 or c not in sizes:
                sizes[c] = n
    ops = []
    for sub, x in zip(ins, operands):
        want = tuple(sizes[c] for c in sub)
        if tuple(x.shape) != want:
            if any(sub.count(c) > 1 for c in sub):
                raise RuntimeError(
                    f"einsum: a repeated subscript in {sub!r} needs equal sizes, got shape "
                    f"{tuple(x.shape)}"
                )
            x = x.expand(want)
        ops.append(x)
    return Einsum(ins, out)(*ops)
