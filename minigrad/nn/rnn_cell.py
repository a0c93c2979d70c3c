"""Single-step recurrent cells with PyTorch's semantics: :class:`RNNCell`, :class:`LSTMCell`,
:class:`GRUCell`.

Parameters ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` with the gates stacked in
PyTorch's order (LSTM i, f, g, o; GRU r, z, n), all U(-1/sqrt(hidden), 1/sqrt(hidden)), so
a PyTorch cell's ``state_dict`` loads as it is. The gate math of a step is one fused
Function of :mod:`minigrad.ops.nn.rnn.rnn_cell`; the layers over whole sequences are in
:mod:`minigrad.nn.rnn`.
"""

from __future__ import annotations

import math

from minigrad.nn import init
from minigrad.nn.module import Module
from minigrad.nn.rnn import _check_dtype, _param, _zeros_like_state
from minigrad.ops.nn.linear import Linear as _Linear
from minigrad.ops.nn.rnn.rnn_cell import GRUCellFunction, LSTMCellFunction

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNNCellBase(Module):
    """One recurrent step with parameters ``weight_ih``, ``weight_hh``, ``bias_ih``,
    ``bias_hh`` (gates stacked as in PyTorch), all U(-1/sqrt(hidden), 1/sqrt(hidden)).

    Parameters
    ----------
    input_size, hidden_size : int
        Features of the input and of the hidden state.
    bias : bool
        Whether there are biases (default True).
    num_chunks : int
        Gates stacked in the weights (1 RNN, 4 LSTM, 3 GRU).
    device, dtype : optional
        Where and in what dtype the parameters live.

    Examples
    --------
    >>> from minigrad import nn
    >>> nn.RNNCellBase(3, 4, True, 3).weight_ih.shape
    (12, 3)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None):  # fmt: skip
        super().__init__()
        name = type(self).__name__
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be a positive int, got {hidden_size!r}")
        if not isinstance(input_size, int) or input_size < 0:
            raise ValueError(f"{name}: input_size must be a non-negative int, got {input_size!r}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = _param((num_chunks * hidden_size, input_size), device, dtype)
        self.weight_hh = _param((num_chunks * hidden_size, hidden_size), device, dtype)
        if bias:
            self.bias_ih = _param((num_chunks * hidden_size,), device, dtype)
            self.bias_hh = _param((num_chunks * hidden_size,), device, dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

        Examples
        --------
        >>> from minigrad import nn
        >>> c = nn.GRUCell(3, 4)
        >>> c.reset_parameters()
        >>> bool(c.weight_ih.abs().max() <= 0.5)
        True
        """
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def _prepare(self, input, states):
        """Check shapes; add a batch dimension to unbatched input and states."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(
                f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead (shape "
                f"{tuple(input.shape)})"
            )
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input has inconsistent input_size: got {input.shape[-1]} expected "
                f"{self.input_size}"
            )
        _check_dtype(name, input, self.weight_ih)
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
        B, H = input.shape[0], self.hidden_size
        out = []
        for s in states:
            if s is None:
                s = _zeros_like_state(input, (B, H))
            else:
                if s.ndim != (2 if batched else 1):
                    raise RuntimeError(
                        f"{name}: Expected hidden state to be {2 if batched else 1}D for "
                        f"{'batched' if batched else 'unbatched'} input, got {s.ndim}D"
                    )
                _check_dtype(name, s, self.weight_ih)
                if not batched:
                    s = s.unsqueeze(0)
                if tuple(s.shape) != (B, H):
                    raise RuntimeError(
                        f"{name}: hidden state has shape {tuple(s.shape)}, expected {(B, H)}"
                    )
            out.append(s)
        return input, out, batched

    def _projections(self, input, h):
        xg = _Linear()(input, self.weight_ih, self.bias_ih)
        hg = _Linear()(h, self.weight_hh, self.bias_hh)
        return xg, hg

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        if nl != "tanh":
            s += f", nonlinearity={nl!r}"
        return s


class RNNCell(RNNCellBase):
    """One Elman RNN step: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (or ReLU).

    Parameters
    ----------
    input_size, hidden_size : int
        Features of the input and of the hidden state.
    bias : bool
        Whether there are biases (default True).
    nonlinearity : str
        ``'tanh'`` (default) or ``'relu'``.
    device, dtype : optional
        Where and in what dtype the parameters live.

    Notes
    -----
    ``forward(input, hx=None)``: ``input`` ``(N, H_in)`` or ``(H_in,)``, ``hx`` of the
    matching ``(N, H)`` or ``(H,)`` (zeros when omitted); returns ``h'``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> cell = nn.RNNCell(10, 20)
    >>> h = None
    >>> for x in minigrad.randn(6, 3, 10):
    ...     h = cell(x, h)
    >>> h.shape
    (3, 20)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None):  # fmt: skip
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: unknown nonlinearity {nonlinearity!r}; expected 'tanh' or 'relu'"
            )
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input, hx=None):
        input, (h,), batched = self._prepare(input, [hx])
        xg, hg = self._projections(input, h)
        a = xg + hg
        h = a.tanh() if self.nonlinearity == "tanh" else a.relu()
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (gate order i, f, g, o, as :class:`LSTM`).

    Parameters
    ----------
    input_size, hidden_size : int
        Features of the input and of the hidden state.
    bias : bool
        Whether there are biases (default True).
    device, dtype : optional
        Where and in what dtype the parameters live.

    Notes
    -----
    ``forward(input, (h, c)=None)`` returns ``(h', c')``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> cell = nn.LSTMCell(10, 20)
    >>> h, c = cell(minigrad.randn(3, 10))
    >>> h.shape, c.shape
    ((3, 20), (3, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):  # fmt: skip
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is not None and (not isinstance(hx, tuple | list) or len(hx) != 2):
            raise RuntimeError("LSTMCell: hx must be a tuple (h, c)")
        input, (h, c), batched = self._prepare(input, list(hx) if hx is not None else [None, None])
        xg, hg = self._projections(input, h)
        h, c = LSTMCellFunction()(xg, hg, c)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (gate order r, z, n, as :class:`GRU`).

    Parameters
    ----------
    input_size, hidden_size : int
        Features of the input and of the hidden state.
    bias : bool
        Whether there are biases (default True).
    device, dtype : optional
        Where and in what dtype the parameters live.

    Notes
    -----
    ``forward(input, hx=None)`` returns ``h'``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.GRUCell(10, 20)(minigrad.randn(10)).shape
    (20,)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):  # fmt: skip
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        input, (h,), batched = self._prepare(input, [hx])
        xg, hg = self._projections(input, h)
        h = GRUCellFunction()(xg, hg, h)
        return h if batched else h.squeeze(0)
