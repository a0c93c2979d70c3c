"""Transformer blocks (PyTorch's ``nn.TransformerEncoderLayer``, ``nn.TransformerEncoder``,
``nn.TransformerDecoderLayer``, ``nn.TransformerDecoder`` and ``nn.Transformer``), with
PyTorch's sub-module names so state dicts move between the two: ``self_attn`` (and the
decoder's ``multihead_attn``, :class:`~minigrad.nn.MultiheadAttention`), ``linear1``,
``linear2``, ``norm1``, ``norm2`` (``norm3``), ``dropout``, ``dropout1``, ``dropout2``
(``dropout3``).

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
from minigrad.ops.math import unary as _unary
from minigrad.ops.nn.activation.activation import gelu

__all__ = [
    "TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
    "TransformerDecoder", "Transformer", "generate_square_subsequent_mask",
]  # fmt: skip


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


class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder's ``memory`` and a feed-forward block,
    each with a residual connection and a LayerNorm (PyTorch's
    ``nn.TransformerDecoderLayer``).

    Parameters
    ----------
    d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps
        As in :class:`TransformerEncoderLayer`.
    batch_first, norm_first, bias, device, dtype
        As in :class:`TransformerEncoderLayer`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16)
    >>> layer(minigrad.randn(4, 2, 8), minigrad.randn(6, 2, 8)).shape
    (4, 2, 8)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device=None, dtype=None):  # fmt: skip
        super().__init__()
        dd = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **dd)  # fmt: skip
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, **dd)  # fmt: skip
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **dd)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **dd)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **dd)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **dd)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **dd)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal, need_weights=False)[0]  # fmt: skip
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]  # fmt: skip
        return self.dropout2(x)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False):  # fmt: skip
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)  # fmt: skip
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                               memory_is_causal))  # fmt: skip
            x = self.norm3(x + self._ff_block(x))
        return x


class TransformerDecoder(Module):
    """A stack of ``num_layers`` copies of ``decoder_layer`` and an optional final norm
    (PyTorch's ``nn.TransformerDecoder``).

    Parameters
    ----------
    decoder_layer : TransformerDecoderLayer
        The layer to copy (deep copies).
    num_layers : int
        Number of layers.
    norm : Module, optional
        Applied to the output.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), num_layers=2)
    >>> dec(minigrad.randn(3, 1, 8), minigrad.randn(5, 1, 8)).shape
    (3, 1, 8)
    """

    def __init__(self, decoder_layer, num_layers: int, norm=None):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None,
                memory_is_causal: bool = False):  # fmt: skip
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal),
                      memory_is_causal=memory_is_causal)  # fmt: skip
        if self.norm is not None:
            x = self.norm(x)
        return x


class Transformer(Module):
    """The encoder-decoder Transformer (Vaswani et al. 2017; PyTorch's ``nn.Transformer``):
    encoder and decoder stacks, each with a final LayerNorm; every parameter with more
    than one dimension is re-initialized by ``xavier_uniform_`` as PyTorch does.

    Parameters
    ----------
    d_model, nhead : int
        Model dimension and heads (defaults 512, 8).
    num_encoder_layers, num_decoder_layers : int
        Stack depths (default 6 each).
    dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, bias
        As in :class:`TransformerEncoderLayer`.
    custom_encoder, custom_decoder : Module, optional
        Replacements of the stacks.
    device, dtype : optional
        Where and in which dtype the parameters live.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> t = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
    ...                    dim_feedforward=16)
    >>> mask = nn.Transformer.generate_square_subsequent_mask(4)
    >>> t(minigrad.randn(5, 2, 8), minigrad.randn(4, 2, 8), tgt_mask=mask).shape
    (4, 2, 8)
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", custom_encoder=None,
                 custom_decoder=None, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None):  # fmt: skip
        super().__init__()
        from minigrad.nn import init

        dd = dict(device=device, dtype=dtype)
        kw = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                  layer_norm_eps=layer_norm_eps, batch_first=batch_first, norm_first=norm_first,
                  bias=bias, **dd)  # fmt: skip
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, **kw)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **dd)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, **kw)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **dd)
            self.decoder = TransformerDecoder(layer, num_decoder_layers, norm)
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal: bool = False):  # fmt: skip
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)  # fmt: skip
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)  # fmt: skip

    generate_square_subsequent_mask = staticmethod(generate_square_subsequent_mask)
