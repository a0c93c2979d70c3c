"""Multi-head attention (PyTorch's ``nn.MultiheadAttention``), built on
:func:`~minigrad.nn.functional.scaled_dot_product_attention`'s math.

Parameters and their names are PyTorch's (``in_proj_weight`` (3E, E) and ``in_proj_bias``
packed as q, k, v; or ``q_proj_weight``/``k_proj_weight``/``v_proj_weight`` when ``kdim``
or ``vdim`` differ from ``embed_dim``; ``out_proj``), so state dicts move between the two.
Masks follow PyTorch: a boolean ``key_padding_mask`` or ``attn_mask`` marks positions
that may *not* be attended (True = masked), a float mask is added to the scores.
"""

from __future__ import annotations

import math

from minigrad import backend
from minigrad.dtypes import as_dtype, get_default_dtype
from minigrad.nn import init
from minigrad.nn.linear import Linear
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.ops.math.softmax import softmax
from minigrad.ops.nn.dropout.dropout import dropout
from minigrad.ops.nn.linear import linear
from minigrad.tensor import Tensor

__all__ = ["MultiheadAttention"]


def _empty(shape, device, dtype):
    dev = backend.device(device)
    dt = as_dtype(dtype) if dtype is not None else get_default_dtype()
    return Tensor._make(dev.xp.empty(shape, dtype=dt))


def _float_mask(mask, like, name):
    """PyTorch's ``_canonical_mask``: a boolean mask becomes 0 / -inf (True = masked)."""
    if mask is None:
        return None
    if mask.dtype == bool:
        xp = like.xp
        return Tensor._make(xp.where(mask._data, xp.asarray(-xp.inf, dtype=like.dtype),
                                     xp.asarray(0, dtype=like.dtype)))  # fmt: skip
    if mask.dtype.kind != "f":
        raise TypeError(f"MultiheadAttention: only bool and floating types of {name} are supported")
    return mask


class MultiheadAttention(Module):
    """Multi-head attention, as ``torch.nn.MultiheadAttention``.

    Parameters
    ----------
    embed_dim : int
        Model dimension ``E``.
    num_heads : int
        Number of heads (must divide ``embed_dim``).
    dropout : float
        Dropout on the attention weights in training (default 0).
    bias : bool
        Biases of the input and output projections (default True).
    add_bias_kv, add_zero_attn : bool
        Not supported (must be False).
    kdim, vdim : int, optional
        Feature sizes of key and value (default ``embed_dim``).
    batch_first : bool
        Inputs and outputs are ``(N, L, E)`` instead of ``(L, N, E)``.
    device, dtype : optional
        Where and in which dtype the parameters live.

    Raises
    ------
    ValueError
        If ``num_heads`` does not divide ``embed_dim``, or for unsupported options.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> mha = nn.MultiheadAttention(8, 2, batch_first=True)
    >>> x = minigrad.randn(3, 5, 8)
    >>> out, w = mha(x, x, x)
    >>> out.shape, w.shape
    ((3, 5, 8), (3, 5, 5))
    >>> sorted(mha.state_dict())
    ['in_proj_bias', 'in_proj_weight', 'out_proj.bias', 'out_proj.weight']
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, device=None, dtype=None):  # fmt: skip
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"MultiheadAttention: embed_dim and num_heads must be greater than 0, got "
                f"embed_dim={embed_dim} and num_heads={num_heads} instead"
            )
        if embed_dim % num_heads:
            raise ValueError("MultiheadAttention: embed_dim must be divisible by num_heads")
        if add_bias_kv or add_zero_attn:
            raise ValueError("MultiheadAttention: add_bias_kv and add_zero_attn are not supported")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(_empty((3 * embed_dim, embed_dim), device, dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = Parameter(_empty((embed_dim, embed_dim), device, dtype))
            self.k_proj_weight = Parameter(_empty((embed_dim, self.kdim), device, dtype))
            self.v_proj_weight = Parameter(_empty((embed_dim, self.vdim), device, dtype))
        if bias:
            self.in_proj_bias = Parameter(_empty((3 * embed_dim,), device, dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    def _project(self, query, key, value):
        e = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:e], b[e : 2 * e], b[2 * e :])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            wq, wk, wv = w[:e], w[e : 2 * e], w[2 * e :]
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True,
                is_causal: bool = False):  # fmt: skip
        """Attend ``query`` over ``key``/``value``; returns ``(output, weights)``.

        ``weights`` is ``(N, L, S)`` averaged over heads (``(N, H, L, S)`` with
        ``average_attn_weights=False``), or None without ``need_weights``. ``is_causal``
        is, as in PyTorch, a hint that ``attn_mask`` is the causal mask (which must be
        given).
        """
        if is_causal and attn_mask is None:
            raise RuntimeError(
                "MultiheadAttention: need attn_mask if specifying the is_causal hint"
            )
        batched = query.ndim == 3
        if self.batch_first and batched:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        if not batched:
            query, key, value = (t.unsqueeze(1) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        L, N, E = query.shape
        S = key.shape[0]
        if E != self.embed_dim:
            raise ValueError(
                f"MultiheadAttention: was expecting embedding dimension of {self.embed_dim}, "
                f"but got {E}"
            )
        H, hd = self.num_heads, self.head_dim
        q, k, v = self._project(query, key, value)
        q = q.reshape(L, N * H, hd).transpose(0, 1)  # (N*H, L, hd)
        k = k.reshape(S, N * H, hd).transpose(0, 1)
        v = v.reshape(S, N * H, hd).transpose(0, 1)
        mask = _float_mask(attn_mask, q, "attn_mask")
        if mask is not None:
            if mask.ndim == 2:
                if tuple(mask.shape) != (L, S):
                    raise RuntimeError(
                        f"MultiheadAttention: the shape of the 2D attn_mask is "
                        f"{tuple(mask.shape)}, but should be {(L, S)}."
                    )
                mask = mask.unsqueeze(0)
            elif tuple(mask.shape) != (N * H, L, S):
                raise RuntimeError(
                    f"MultiheadAttention: the shape of the 3D attn_mask is "
                    f"{tuple(mask.shape)}, but should be {(N * H, L, S)}."
                )
        kpm = _float_mask(key_padding_mask, q, "key_padding_mask")
        if kpm is not None:
            if tuple(kpm.shape) != (N, S):
                raise RuntimeError(
                    f"MultiheadAttention: expecting key_padding_mask shape of {(N, S)}, but "
                    f"got {tuple(kpm.shape)}"
                )
            kpm = kpm.reshape(N, 1, 1, S).expand(N, H, 1, S).reshape(N * H, 1, S)
            mask = kpm if mask is None else mask + kpm
        scores = (q * math.sqrt(1.0 / hd)) @ k.transpose(-2, -1)
        if mask is not None:
            scores = scores + mask
        weights = softmax(scores, -1)
        if self.training and self.dropout > 0.0:
            weights = dropout(weights, self.dropout, training=True)
        out = weights @ v  # (N*H, L, hd)
        out = out.transpose(0, 1).reshape(L * N, E)
        out = self.out_proj(out).reshape(L, N, E)
        if self.batch_first and batched:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(1)
        if not need_weights:
            return out, None
        w = weights.reshape(N, H, L, S)
        if average_attn_weights:
            w = w.mean(dim=1)
        if not batched:
            w = w.squeeze(0)
        return out, w

    def extra_repr(self) -> str:
        return ""
