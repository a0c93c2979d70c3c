"""Recurrent layers with PyTorch's semantics: :class:`RNN`, :class:`LSTM`, :class:`GRU` (the
single-step cells are in :mod:`minigrad.nn.rnn_cell`).

Parameters are named and shaped as in PyTorch (``weight_ih_l0``, ``weight_hh_l0``,
``bias_ih_l0``, ``bias_hh_l0``, ``..._reverse`` for the backward direction; gates stacked
in PyTorch's order: LSTM i, f, g, o; GRU r, z, n), so a PyTorch ``state_dict`` loads as
it is. Every weight starts as U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

How a layer runs (no Python loop over the batch; one loop over time):

1. the input projection ``W_ih x_t + b_ih`` of every time step in one matmul (the LSTM
   adds ``b_ih`` in its step kernel instead, with ``b_hh``);
2. LSTM and GRU: the loop over time as one Function per direction
   (:mod:`minigrad.ops.nn.rnn.rnn_sequence`): per step one matmul ``h @ W_hh.T`` and the fused
   gate math of :mod:`minigrad.ops.nn.rnn.rnn_cell` on raw arrays; backward runs the recursion
   in closed form and computes ``dW_hh`` as one matmul over all steps;
3. Elman RNN: per step one linear and the activation, the outputs stacked in one op.
"""

from __future__ import annotations

import math
import numbers
import warnings

from minigrad import backend
from minigrad.dtypes import as_dtype, get_default_dtype
from minigrad.nn import init
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.ops.nn.dropout.dropout import dropout as _dropout
from minigrad.ops.nn.linear import Linear as _Linear
from minigrad.ops.nn.rnn.rnn_cell import (
    GRUCellFunction,
    LSTMCellFunction,
    stack_steps,
    unbind_steps,
)
from minigrad.ops.nn.rnn.rnn_sequence import RecurrentSequence
from minigrad.ops.shape.shape import cat
from minigrad.tensor import Tensor

__all__ = ["RNNBase", "RNN", "LSTM", "GRU"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _param(shape, device, dtype) -> Parameter:
    dev = backend.device(device)
    dt = as_dtype(dtype) if dtype is not None else get_default_dtype()
    return Parameter(Tensor._make(dev.xp.empty(shape, dtype=dt)))


def _zeros_like_state(ref, shape) -> Tensor:
    return Tensor._make(ref.xp.zeros(shape, dtype=ref.dtype))


def _step(mode, xg, h, c, w_hh, b_hh):
    """One time step of one direction: returns the new ``(h, c)`` (``c`` None but LSTM)."""
    hg = _Linear()(h, w_hh, b_hh)
    if mode == "LSTM":
        return LSTMCellFunction()(xg, hg, c)
    if mode == "GRU":
        return GRUCellFunction()(xg, hg, h), None
    a = xg + hg
    return (a.tanh() if mode == "RNN_TANH" else a.relu()), None


def _check_dtype(name, input, weight):
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"{name}: input must have the dtype of the parameters, {weight.dtype}, got "
            f"{input.dtype}; convert one with .to(dtype)"
        )


class RNNBase(Module):
    """The multi-layer recurrent layer behind :class:`RNN`, :class:`LSTM` and :class:`GRU`.

    Parameters
    ----------
    mode : str
        ``'LSTM'``, ``'GRU'``, ``'RNN_TANH'`` or ``'RNN_RELU'``.
    input_size, hidden_size : int
        Features of the input and of the hidden state.
    num_layers : int
        Stacked layers (default 1).
    bias : bool
        Whether the layers have ``b_ih`` and ``b_hh`` (default True).
    batch_first : bool
        Inputs and outputs are ``(batch, seq, feature)`` instead of ``(seq, batch,
        feature)`` (default False). The states ``h_n``/``c_n`` are never batch first.
    dropout : float
        Dropout on the outputs of every layer but the last, in training (default 0).
    bidirectional : bool
        Run a second direction from the end of the sequence; outputs are concatenated
        (default False).
    proj_size : int
        Only 0 (LSTM projections are not implemented).
    device, dtype : optional
        Where and in what dtype the parameters live (default: default device, float32).

    Examples
    --------
    >>> from minigrad import nn
    >>> m = nn.RNNBase("GRU", 4, 8, num_layers=2)
    >>> [k for k in m.state_dict()][:4]
    ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None):  # fmt: skip
        super().__init__()
        name = type(self).__name__
        if mode not in _GATES:
            raise ValueError(f"{name}: unknown mode {mode!r}; expected one of {sorted(_GATES)}")
        if (
            not isinstance(dropout, numbers.Number)
            or not 0 <= dropout <= 1
            or isinstance(dropout, bool)
        ):
            raise ValueError(
                f"{name}: dropout should be a number in range [0, 1] representing the "
                f"probability of an element being zeroed, got {dropout!r}"
            )
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be a positive int, got {hidden_size!r}")
        if not isinstance(input_size, int) or input_size < 0:
            raise ValueError(f"{name}: input_size must be a non-negative int, got {input_size!r}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be a positive int, got {num_layers!r}")
        if proj_size != 0:
            raise NotImplementedError(
                f"{name}: proj_size={proj_size} (LSTM projections) is not implemented; use 0"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{name}: dropout option adds dropout after all but last recurrent layer, so "
                f"non-zero dropout expects num_layers greater than 1, but got dropout={dropout} "
                f"and num_layers={num_layers}",
                stacklevel=2,
            )
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = _GATES[mode] * hidden_size
        num_directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else hidden_size * num_directions
            for direction in range(num_directions):
                sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [
                    ("weight_ih", (gate_size, layer_in)),
                    ("weight_hh", (gate_size, hidden_size)),
                ]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                for pname, shape in shapes:
                    setattr(self, pname + sfx, _param(shape, device, dtype))
                    self._flat_weights_names.append(pname + sfx)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

        Examples
        --------
        >>> from minigrad import nn
        >>> m = nn.LSTM(3, 4)
        >>> m.reset_parameters()
        >>> bool(m.weight_hh_l0.abs().max() <= 0.5)
        True
        """
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """Accepted for PyTorch compatibility (cuDNN weight packing); does nothing here.

        Examples
        --------
        >>> from minigrad import nn
        >>> nn.GRU(2, 3).flatten_parameters()
        """

    @property
    def all_weights(self):
        """The parameters grouped per layer and direction, as in PyTorch.

        Examples
        --------
        >>> from minigrad import nn
        >>> [len(w) for w in nn.GRU(2, 3, bidirectional=True).all_weights]
        [4, 4]
        """
        n = 4 if self.bias else 2
        names = self._flat_weights_names
        return [[getattr(self, k) for k in names[i : i + n]] for i in range(0, len(names), n)]

    def _check_state(self, h, expected, what):
        if tuple(h.shape) != expected:
            raise RuntimeError(
                f"{type(self).__name__}: expected {what} of size {expected}, got {tuple(h.shape)}"
            )

    def forward(self, input, hx=None):
        name = type(self).__name__
        is_lstm = self.mode == "LSTM"
        if input.ndim not in (2, 3):
            raise ValueError(
                f"{name}: expected input to be 2D (unbatched) or 3D (batched), got "
                f"{input.ndim}D input of shape {tuple(input.shape)}"
            )
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.shape[-1]}"
            )
        w0 = getattr(self, self._flat_weights_names[0])
        _check_dtype(name, input, w0)
        batched = input.ndim == 3
        states = None
        if hx is not None:
            states = list(hx) if is_lstm else [hx]
            if is_lstm and (not isinstance(hx, tuple | list) or len(hx) != 2):
                raise RuntimeError(f"{name}: hx must be a tuple (h_0, c_0)")
            want = 3 if batched else 2
            for s in states:
                if s.ndim != want:
                    raise RuntimeError(
                        f"{name}: for {'batched 3-D' if batched else 'unbatched 2-D'} input, "
                        f"hx should also be {want}-D but got {s.ndim}-D tensor"
                    )
                _check_dtype(name, s, w0)
        if not batched:
            input = input.unsqueeze(1)
            if states is not None:
                states = [s.unsqueeze(1) for s in states]
        elif self.batch_first:
            input = input.transpose(0, 1)
        T, B = input.shape[0], input.shape[1]
        D = 2 if self.bidirectional else 1
        L, H = self.num_layers, self.hidden_size
        if states is not None:
            for s, what in zip(states, ("hidden state", "cell state")):
                self._check_state(s, (L * D, B, H), what)
            h0s = unbind_steps(states[0])
            c0s = unbind_steps(states[1]) if is_lstm else [None] * (L * D)
        else:
            zero = _zeros_like_state(input, (B, H))
            h0s = [zero] * (L * D)
            c0s = [zero if is_lstm else None] * (L * D)
        hn, cn = [], []
        layer_in = input
        names = self._flat_weights_names
        per = 4 if self.bias else 2
        for layer in range(L):
            outs = []
            for d in range(D):
                k = layer * D + d
                params = [getattr(self, n) for n in names[k * per : (k + 1) * per]]
                w_ih, w_hh = params[0], params[1]
                b_ih, b_hh = (params[2], params[3]) if self.bias else (None, None)
                if is_lstm and b_ih is not None:  # b_ih is added in the step kernel
                    xg = _Linear()(layer_in, w_ih, None)  # every step's input projection
                    res = RecurrentSequence(self.mode, d == 1)(xg, h0s[k], c0s[k], w_hh, b_hh, b_ih)
                    outs.append(res[0])
                    hn.append(res[1])
                    cn.append(res[2])
                    continue
                xg = _Linear()(layer_in, w_ih, b_ih)  # every step's input projection at once
                if self.mode in ("LSTM", "GRU"):  # the time loop as one Function
                    res = RecurrentSequence(self.mode, d == 1)(xg, h0s[k], c0s[k], w_hh, b_hh)
                    outs.append(res[0])
                    hn.append(res[1])
                    cn.append(res[2] if is_lstm else None)
                    continue
                steps = unbind_steps(xg)
                h, c = h0s[k], c0s[k]
                out = [None] * T
                for t in range(T - 1, -1, -1) if d == 1 else range(T):
                    h, c = _step(self.mode, steps[t], h, c, w_hh, b_hh)
                    out[t] = h
                outs.append(stack_steps(out))
                hn.append(h)
                cn.append(c)
            layer_in = outs[0] if D == 1 else cat(outs, 2)
            if self.dropout > 0 and self.training and layer < L - 1:
                layer_in = _dropout(layer_in, self.dropout, True)
        output = layer_in
        h_n = stack_steps(hn)
        c_n = stack_steps(cn) if is_lstm else None
        if not batched:
            output = output.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if is_lstm else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if is_lstm else (output, h_n)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`` (or ReLU).

    Parameters
    ----------
    input_size, hidden_size : int
        Features of the input and of the hidden state.
    num_layers : int
        Stacked layers (default 1).
    nonlinearity : str
        ``'tanh'`` (default) or ``'relu'``.
    bias, batch_first, dropout, bidirectional, device, dtype
        As in :class:`RNNBase`.

    Notes
    -----
    Shapes: ``input`` ``(L, N, H_in)`` (``(N, L, H_in)`` with ``batch_first``, or
    ``(L, H_in)`` unbatched), ``h_0`` ``(D * num_layers, N, H_out)`` (zeros when omitted);
    returns ``output`` ``(L, N, D * H_out)`` and ``h_n`` ``(D * num_layers, N, H_out)``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> rnn = nn.RNN(10, 20, 2)
    >>> output, h_n = rnn(minigrad.randn(5, 3, 10), minigrad.randn(2, 3, 20))
    >>> output.shape, h_n.shape
    ((5, 3, 20), (2, 3, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None):  # fmt: skip
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNN: unknown nonlinearity {nonlinearity!r}; expected 'tanh' or 'relu'"
            )
        self.nonlinearity = nonlinearity
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)  # fmt: skip

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + (f", nonlinearity={self.nonlinearity!r}" if self.nonlinearity != "tanh" else "")


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's formulation (gate order i, f, g, o)::

        i, f, o = sigmoid(W_i* x + b_i* + W_h* h + b_h*)    g = tanh(...)
        c' = f * c + i * g                                h' = o * tanh(c')

    Parameters
    ----------
    input_size, hidden_size : int
        Features of the input and of the hidden state.
    num_layers : int
        Stacked layers (default 1).
    bias, batch_first, dropout, bidirectional, proj_size, device, dtype
        As in :class:`RNNBase` (``proj_size`` must be 0).

    Notes
    -----
    ``forward(input, (h_0, c_0))`` returns ``output, (h_n, c_n)``; the states default to
    zeros; shapes as in :class:`RNN`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> lstm = nn.LSTM(10, 20, batch_first=True, bidirectional=True)
    >>> output, (h_n, c_n) = lstm(minigrad.randn(3, 5, 10))
    >>> output.shape, h_n.shape, c_n.shape
    ((3, 5, 40), (2, 3, 20), (2, 3, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):  # fmt: skip
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)  # fmt: skip


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's formulation (gate order r, z, n)::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))  h' = (1 - z) * n + z * h

    Parameters
    ----------
    input_size, hidden_size : int
        Features of the input and of the hidden state.
    num_layers : int
        Stacked layers (default 1).
    bias, batch_first, dropout, bidirectional, device, dtype
        As in :class:`RNNBase`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> gru = nn.GRU(10, 20, 2)
    >>> output, h_n = gru(minigrad.randn(5, 10))  # unbatched
    >>> output.shape, h_n.shape
    ((5, 20), (2, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None):  # fmt: skip
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)  # fmt: skip
