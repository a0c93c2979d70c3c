"""Transformer encoder blocks (PyTorch's ``nn.TransformerEncoderLayer`` and
``nn.TransformerEncoder``), with PyTorch's sub-module names so state dicts move between
the two: ``self_attn`` (:class:`~minigrad.nn.MultiheadAttention`), ``linear1``,
``linear2``, ``norm1``, ``norm2``, ``dropout``, ``dropout1``, ``dropout2``.

Post-norm (default): ``x = norm1(x + sa(x)); x = norm2(x + ff(x))``; with ``norm_first``:
``x = x + sa(norm1(x)); x = x + ff(norm2(x))``, where ``ff(x) = linear2(dropout(act(
linear1(x))))``.
"""

from __future__ import annotations

import copy

from minigrad.nn.attention import MultiheadAttention
from minigrad.nn.containers import ModuleList
from minigrad.nn.dropout import Dropout
from minigrad.nn.linear import Linear
from minigrad.nn.module import Module
from minigrad.nn.norm_sample import LayerNorm
from minigrad.ops import unary as _unary
from minigrad.ops.activation import gelu

__all__ = ["TransformerEncoderLayer", "TransformerEncoder", "generate_square_subsequent_mask"]


def generate_square_subsequent_mask(sz: int, device=None, dtype=None):
    """The causal float mask of size ``(sz, sz)``: 0 on and below the diagonal, ``-inf``
    above (PyTorch's ``nn.Transformer.generate_square_subsequent_mask``).

    Parameters
    ----------
    sz : int
        Sequence length.
    device, dtype : optional
        Of the mask.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> from minigrad.nn import generate_square_subsequent_mask
    >>> generate_square_subsequent_mask(3)
    tensor([[  0., -inf, -inf],
            [  0.,   0., -inf],
            [  0.,   0.,   0.]])
    """
    from minigrad import backend
    from minigrad.dtypes import as_dtype, get_default_dtype
    from minigrad.tensor import Tensor

    dev = backend.device(device)
    dt = as_dtype(dtype) if dtype is not None else get_default_dtype()
    xp = dev.xp
    m = xp.triu(xp.full((sz, sz), -xp.inf, dtype=dt), 1)
    return Tensor._make(m)


def _activation(act):
    if callable(act):
        return act
    if act == "relu":
        return _unary.relu
    if act == "gelu":
        return gelu
    raise RuntimeError(f"TransformerEncoderLayer: activation should be relu/gelu, not {act}")


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward block, each with a residual connection and a
    LayerNorm (PyTorch's ``nn.TransformerEncoderLayer``).

    Parameters
    ----------
    d_model : int
        Model dimension.
    nhead : int
        Attention heads.
    dim_feedforward : int
        Hidden size of the feed-forward block (default 2048).
    dropout : float
        Dropout probability (default 0.1).
    activation : {'relu', 'gelu'} or callable
        Of the feed-forward block (default relu).
    layer_norm_eps : float
        Default 1e-5.
    batch_first : bool
        ``(N, L, E)`` inputs instead of ``(L, N, E)``.
    norm_first : bool
        Pre-norm instead of post-norm.
    bias : bool
        Biases of the linear and norm layers (default True).
    device, dtype : optional
        Where and in which dtype the parameters live.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16,
    ...                                    batch_first=True)
    >>> layer(minigrad.randn(3, 5, 8)).shape
    (3, 5, 8)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device=None, dtype=None):  # fmt: skip
        super().__init__()
        dd = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **dd)  # fmt: skip
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **dd)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **dd)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **dd)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **dd)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]  # fmt: skip
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer`` and an optional final norm
    (PyTorch's ``nn.TransformerEncoder``).

    Parameters
    ----------
    encoder_layer : TransformerEncoderLayer
        The layer to copy (deep copies: the layers do not share parameters).
    num_layers : int
        Number of layers.
    norm : Module, optional
        Applied to the output.
    enable_nested_tensor, mask_check : bool
        Accepted for PyTorch compatibility.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    >>> enc = nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(8))
    >>> enc(minigrad.randn(5, 3, 8)).shape
    (5, 3, 8)
    >>> sorted(enc.state_dict())[:2]
    ['layers.0.linear1.bias', 'layers.0.linear1.weight']
    """

    def __init__(self, encoder_layer, num_layers: int, norm=None,
                 enable_nested_tensor: bool = True, mask_check: bool = True):  # fmt: skip
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))  # fmt: skip
        if self.norm is not None:
            x = self.norm(x)
        return x
