"""Scaled dot-product attention (PyTorch's ``F.scaled_dot_product_attention``), composed
from matmul, softmax and where, with PyTorch's reference semantics::

    bias = 0;  bias[~tril] = -inf if is_causal
    bias[~mask] = -inf (boolean attn_mask)  or  bias += attn_mask (float)
    out = dropout(softmax(q @ k^T * scale + bias, -1), dropout_p) @ v

``scale`` defaults to ``1 / sqrt(E)``; ``enable_gqa`` repeats the key/value heads to the
query's head count. Gradients (of any order) come from the composing ops.
"""

from __future__ import annotations

import math

from minigrad.ops.math import elementwise as _ew
from minigrad.ops.math.softmax import softmax
from minigrad.ops.nn.dropout.dropout import dropout
from minigrad.tensor import Tensor

__all__ = ["scaled_dot_product_attention"]


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale=None,
                                 enable_gqa: bool = False):  # fmt: skip
    """Attention of ``query`` over ``key``/``value``.

    Parameters
    ----------
    query : Tensor
        ``(..., L, E)``.
    key : Tensor
        ``(..., S, E)``.
    value : Tensor
        ``(..., S, Ev)``.
    attn_mask : Tensor, optional
        Broadcastable to ``(..., L, S)``: boolean (True = may attend) or added to the
        scores.
    dropout_p : float
        Dropout probability on the attention weights (default 0).
    is_causal : bool
        Mask out keys after each query position (top-left aligned); exclusive with
        ``attn_mask``.
    scale : float, optional
        Score scale (default ``1 / sqrt(E)``).
    enable_gqa : bool
        Grouped-query attention: repeat key/value heads (dimension -3) to the query's.

    Returns
    -------
    Tensor
        ``(..., L, Ev)``.

    Raises
    ------
    RuntimeError
        For ``is_causal`` with ``attn_mask``, or head counts that do not divide.

    Examples
    --------
    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> q = minigrad.ones(1, 2, 4)
    >>> v = minigrad.arange(8.0).reshape(1, 2, 4)
    >>> F.scaled_dot_product_attention(q, q, v, is_causal=True)
    tensor([[[0., 1., 2., 3.],
             [2., 3., 4., 5.]]])
    """
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "scaled_dot_product_attention: explicit attn_mask should not be set when is_causal=True"
        )
    xp = query.xp
    L, S = query.shape[-2], key.shape[-2]
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    if enable_gqa and key.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hq % hk:
            raise RuntimeError(
                f"scaled_dot_product_attention: query heads ({hq}) must be a multiple of "
                f"key/value heads ({hk}) with enable_gqa"
            )
        key = key.repeat_interleave(hq // hk, dim=-3)
        value = value.repeat_interleave(hq // hk, dim=-3)
    scores = (query @ key.transpose(-2, -1)) * factor
    neg_inf = float("-inf")
    if is_causal:
        allowed = Tensor._make(xp.tril(xp.ones((L, S), dtype=bool)))
        scores = _ew.where(allowed, scores, neg_inf)
    if attn_mask is not None:
        if attn_mask.dtype == bool:
            scores = _ew.where(attn_mask, scores, neg_inf)
        else:
            scores = scores + attn_mask
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value
