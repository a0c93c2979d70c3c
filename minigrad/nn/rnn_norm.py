"""Normalized recurrent cells and layers: LayerNorm LSTM and GRU (Ba, Kiros & Hinton 2016)
and the BatchNorm LSTM with per-time-step statistics (Cooijmans et al. 2017).

**LayerNorm LSTM** (Ba et al. 2016, section 3.1 and appendix): layer normalization of the
input-to-hidden and the hidden-to-hidden pre-activations, separately, and of the cell
before its ``tanh``::

    a   = LN_ih(W_ih x_t) + LN_hh(W_hh h_{t-1})     (4H, normalized over all four gates)
    i, f, o = sigmoid(a_i, a_f, a_o)     g = tanh(a_g)
    c_t = f * c_{t-1} + i * g            h_t = o * tanh(LN_c(c_t))

Each LN has its gain (init 1) and bias (init 0); the biases of ``LN_ih`` and ``LN_hh``
play the part of ``b_ih``/``b_hh``. The statistics are each sample's own, so the cell
behaves the same at every batch size and sequence length.

**LayerNorm GRU**: the same normalization of both pre-activations (3H) fed to PyTorch's
GRU formulation (``n = tanh(a_n^x + r * a_n^h)``); it reuses the fused GRU step of
:mod:`minigrad.ops.nn.rnn.rnn_cell`.

**BatchNorm LSTM** (Cooijmans et al. 2017, "Recurrent Batch Normalization")::

    a   = BN_x(W_ih x_t; gamma_x, 0, t) + BN_h(W_hh h_{t-1}; gamma_h, 0, t) + b
    c_t = f * c_{t-1} + i * g            h_t = o * tanh(BN_c(c_t; gamma_c, beta_c, t))

Each of the three BatchNorms keeps **separate statistics per time step** ``t`` (running
buffers of shape ``(max_length, features)``): in training each step is normalized by its
own batch statistics and updates its own running slot; in evaluation step ``t`` uses slot
``t``. Beyond ``max_length`` the last slot's statistics are reused (in evaluation) and
nothing is recorded (in training), as the paper prescribes for sequences longer than
those seen in training. The gains start at 0.1 (the paper's recommendation, which keeps
the ``tanh``/sigmoid inputs out of saturation); ``beta_c`` starts at 0.
"""

from __future__ import annotations

import math

from minigrad import backend
from minigrad.dtypes import as_dtype, get_default_dtype
from minigrad.nn import init
from minigrad.nn.containers import ModuleList
from minigrad.nn.module import Module
from minigrad.nn.norm_sample import LayerNorm
from minigrad.nn.parameter import Parameter
from minigrad.ops.nn.linear import linear
from minigrad.ops.nn.norm.norm import batch_norm
from minigrad.ops.nn.rnn.rnn_cell import GRUCellFunction, stack_steps, unbind_steps
from minigrad.ops.shape.shape import split
from minigrad.tensor import Tensor

__all__ = [
    "LayerNormLSTMCell",
    "LayerNormGRUCell",
    "BNLSTMCell",
    "LayerNormLSTM",
    "LayerNormGRU",
    "BNLSTM",
]


def _tensor(shape, device, dtype, fill=None) -> Tensor:
    dev = backend.device(device)
    dt = as_dtype(dtype) if dtype is not None else get_default_dtype()
    a = dev.xp.empty(shape, dtype=dt)
    if fill is not None:
        a[...] = fill
    return Tensor._make(a)


def _lstm_gates(a, c, H):
    """``(c', o)`` from the summed pre-activations ``a`` (i, f, g, o) and the cell ``c``."""
    ai, af, ag, ao = split(a, H, -1)
    c2 = af.sigmoid() * c + ai.sigmoid() * ag.tanh()
    return c2, ao.sigmoid()


class _RecurrentCell(Module):
    """Shared parts: the two weight matrices (U(-1/sqrt(H), 1/sqrt(H))), input checks."""

    gates = 1

    def __init__(self, input_size, hidden_size, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be a positive int, got {hidden_size!r}")
        if not isinstance(input_size, int) or input_size < 0:
            raise ValueError(f"{name}: input_size must be a non-negative int, got {input_size!r}")
        self.input_size, self.hidden_size = input_size, hidden_size
        G = self.gates * hidden_size
        self.weight_ih = Parameter(_tensor((G, input_size), device, dtype))
        self.weight_hh = Parameter(_tensor((G, hidden_size), device, dtype))
        stdv = 1.0 / math.sqrt(hidden_size)
        init.uniform_(self.weight_ih, -stdv, stdv)
        init.uniform_(self.weight_hh, -stdv, stdv)

    def _states(self, input, hx, n):
        """Batch an unbatched input; zeros for missing states; check shapes."""
        name = type(self).__name__
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: expected input of shape (N, {self.input_size}) or "
                f"({self.input_size},), got {tuple(input.shape)}"
            )
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        B, H = x.shape[0], self.hidden_size
        if hx is None:
            zero = Tensor._make(x.xp.zeros((B, H), dtype=x.dtype))
            return x, [zero] * n, batched
        states = list(hx) if n > 1 else [hx]
        if len(states) != n:
            raise RuntimeError(f"{name}: expected {n} states, got {len(states)}")
        states = [s if batched else s.unsqueeze(0) for s in states]
        for s in states:
            if tuple(s.shape) != (B, H):
                raise RuntimeError(
                    f"{name}: expected states of shape {(B, H) if batched else (H,)}, got "
                    f"{tuple(s.shape) if batched else tuple(s.shape[1:])}"
                )
        return x, states, batched

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class LayerNormLSTMCell(_RecurrentCell):
    """One LSTM step with layer normalization (Ba et al. 2016; see the module docstring).

    Parameters
    ----------
    input_size, hidden_size : int
        Features of the input and of the hidden state.
    eps : float
        The LayerNorms' epsilon (default 1e-5).
    device, dtype : optional
        Where and in what dtype the parameters live.

    Notes
    -----
    ``forward(input, (h, c)=None)`` returns ``(h', c')``; ``input`` is ``(N, input_size)``
    or unbatched ``(input_size,)``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> cell = nn.LayerNormLSTMCell(10, 20)
    >>> h, c = cell(minigrad.randn(3, 10))
    >>> h.shape, sorted(n for n, _ in cell.named_children())
    ((3, 20), ['ln_cell', 'ln_hh', 'ln_ih'])
    """

    gates = 4

    def __init__(self, input_size: int, hidden_size: int, eps: float = 1e-5, device=None,
                 dtype=None):  # fmt: skip
        super().__init__(input_size, hidden_size, device, dtype)
        kw = {"eps": eps, "device": device, "dtype": dtype}
        self.ln_ih = LayerNorm(4 * hidden_size, **kw)
        self.ln_hh = LayerNorm(4 * hidden_size, **kw)
        self.ln_cell = LayerNorm(hidden_size, **kw)

    def input_gates(self, x):
        """``LN_ih(W_ih x)`` for any leading shape (all time steps at once in a layer)."""
        return self.ln_ih(linear(x, self.weight_ih))

    def step(self, xg, state):
        """One step from precomputed ``input_gates``; ``state = (h, c)``."""
        h, c = state
        a = xg + self.ln_hh(linear(h, self.weight_hh))
        c2, o = _lstm_gates(a, c, self.hidden_size)
        return o * self.ln_cell(c2).tanh(), c2

    def forward(self, input, hx=None):
        x, (h, c), batched = self._states(input, hx, 2)
        h, c = self.step(self.input_gates(x), (h, c))
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class LayerNormGRUCell(_RecurrentCell):
    """One GRU step with layer normalization of both pre-activations (see the module
    docstring); PyTorch's GRU formulation otherwise.

    Parameters
    ----------
    input_size, hidden_size : int
        Features of the input and of the hidden state.
    eps : float
        The LayerNorms' epsilon (default 1e-5).
    device, dtype : optional
        Where and in what dtype the parameters live.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.LayerNormGRUCell(10, 20)(minigrad.randn(3, 10)).shape
    (3, 20)
    """

    gates = 3

    def __init__(self, input_size: int, hidden_size: int, eps: float = 1e-5, device=None,
                 dtype=None):  # fmt: skip
        super().__init__(input_size, hidden_size, device, dtype)
        kw = {"eps": eps, "device": device, "dtype": dtype}
        self.ln_ih = LayerNorm(3 * hidden_size, **kw)
        self.ln_hh = LayerNorm(3 * hidden_size, **kw)

    def input_gates(self, x):
        """``LN_ih(W_ih x)`` for any leading shape."""
        return self.ln_ih(linear(x, self.weight_ih))

    def step(self, xg, state):
        """One step from precomputed ``input_gates``; ``state = (h,)``."""
        (h,) = state
        return (GRUCellFunction()(xg, self.ln_hh(linear(h, self.weight_hh)), h),)

    def forward(self, input, hx=None):
        x, (h,), batched = self._states(input, hx, 1)
        (h,) = self.step(self.input_gates(x), (h,))
        return h if batched else h.squeeze(0)


class BNLSTMCell(_RecurrentCell):
    """One step of the BatchNorm LSTM (Cooijmans et al. 2017), with statistics per step.

    Parameters
    ----------
    input_size, hidden_size : int
        Features of the input and of the hidden state.
    max_length : int
        Time steps with their own statistics; later steps reuse the last one's.
    eps : float
        BatchNorm epsilon (default 1e-5).
    momentum : float
        Running-statistics momentum (default 0.1, PyTorch's convention).
    gamma_init : float
        Initial value of every BatchNorm gain (default 0.1, as the paper).
    device, dtype : optional
        Where and in what dtype the parameters live.

    Attributes
    ----------
    running_mean_ih, running_var_ih, running_mean_hh, running_var_hh : Tensor
        Buffers of shape ``(max_length, 4 * hidden_size)``.
    running_mean_cell, running_var_cell : Tensor
        Buffers of shape ``(max_length, hidden_size)``.

    ``forward(input, (h, c)=None, t=0)`` takes the time step ``t`` (which statistics);
    it needs a batch (BatchNorm), so ``input`` is ``(N, input_size)``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> cell = nn.BNLSTMCell(10, 20, max_length=5)
    >>> h, c = cell(minigrad.randn(4, 10), t=0)
    >>> h.shape, cell.running_mean_ih.shape, round(float(cell.gamma_ih[0]), 6)
    ((4, 20), (5, 80), 0.1)
    """

    gates = 4

    def __init__(self, input_size: int, hidden_size: int, max_length: int, eps: float = 1e-5,
                 momentum: float = 0.1, gamma_init: float = 0.1, device=None,
                 dtype=None):  # fmt: skip
        super().__init__(input_size, hidden_size, device, dtype)
        if not isinstance(max_length, int) or max_length <= 0:
            raise ValueError(f"BNLSTMCell: max_length must be a positive int, got {max_length!r}")
        self.max_length, self.eps, self.momentum = max_length, eps, momentum
        G, H = 4 * hidden_size, hidden_size
        self.bias = Parameter(_tensor((G,), device, dtype, 0.0))
        self.gamma_ih = Parameter(_tensor((G,), device, dtype, gamma_init))
        self.gamma_hh = Parameter(_tensor((G,), device, dtype, gamma_init))
        self.gamma_cell = Parameter(_tensor((H,), device, dtype, gamma_init))
        self.beta_cell = Parameter(_tensor((H,), device, dtype, 0.0))
        for which, n in (("ih", G), ("hh", G), ("cell", H)):
            mean = _tensor((max_length, n), device, dtype, 0.0)
            var = _tensor((max_length, n), device, dtype, 1.0)
            self.register_buffer(f"running_mean_{which}", mean)
            self.register_buffer(f"running_var_{which}", var)

    def _bn(self, x, which, t, gamma, beta=None):
        """BatchNorm of ``x`` (N, F) with the statistics of step ``t``."""
        rm, rv = getattr(self, f"running_mean_{which}"), getattr(self, f"running_var_{which}")
        if self.training:
            if t < self.max_length:  # record into this step's slot (views of the buffers)
                rm_t, rv_t = Tensor._make(rm._data[t]), Tensor._make(rv._data[t])
            else:  # beyond the training length: batch statistics, nothing recorded
                rm_t = rv_t = None
            return batch_norm(x, rm_t, rv_t, gamma, beta, True, self.momentum, self.eps)
        s = min(t, self.max_length - 1)
        return batch_norm(x, Tensor._make(rm._data[s]), Tensor._make(rv._data[s]), gamma, beta,
                          False, self.momentum, self.eps)  # fmt: skip

    def input_gates(self, x, t):
        """``BN_x(W_ih x_t)`` with step ``t``'s statistics (``x``: (N, input_size))."""
        return self._bn(linear(x, self.weight_ih), "ih", t, self.gamma_ih)

    def step(self, xg, state, t):
        """One step from precomputed ``input_gates``; ``state = (h, c)``."""
        h, c = state
        a = xg + self._bn(linear(h, self.weight_hh), "hh", t, self.gamma_hh) + self.bias
        c2, o = _lstm_gates(a, c, self.hidden_size)
        return o * self._bn(c2, "cell", t, self.gamma_cell, self.beta_cell).tanh(), c2

    def forward(self, input, hx=None, t: int = 0):
        if input.ndim != 2:
            raise ValueError(
                f"BNLSTMCell: expected a batch (N, {self.input_size}) (BatchNorm needs one), "
                f"got input of shape {tuple(input.shape)}"
            )
        x, (h, c), _ = self._states(input, hx, 2)
        return self.step(self.input_gates(x, t), (h, c), t)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, max_length={self.max_length}"


class _NormRNN(Module):
    """A stack of normalized cells run over a sequence (time-major unless batch_first)."""

    cell_class = None
    n_states = 1

    def __init__(self, input_size, hidden_size, num_layers=1, batch_first=False, **cell_kw):
        super().__init__()
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(
                f"{type(self).__name__}: num_layers must be a positive int, got {num_layers!r}"
            )
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.batch_first = num_layers, batch_first
        self.cells = ModuleList(
            [
                self.cell_class(input_size if k == 0 else hidden_size, hidden_size, **cell_kw)
                for k in range(num_layers)
            ]  # fmt: skip
        )

    def _input_gates(self, cell, x, t=None):
        return cell.input_gates(x)

    def _step(self, cell, xg, state, t):
        return cell.step(xg, state)

    def _per_step_input(self):
        return False

    def forward(self, input, hx=None):
        name = type(self).__name__
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: expected input (L, N, {self.input_size}) (or batch first, or "
                f"unbatched (L, {self.input_size})), got {tuple(input.shape)}"
            )
        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        T, B, H, L = x.shape[0], x.shape[1], self.hidden_size, self.num_layers
        if hx is None:
            zero = Tensor._make(x.xp.zeros((B, H), dtype=x.dtype))
            init_states = [[zero] * self.n_states for _ in range(L)]
        else:
            hs = list(hx) if self.n_states > 1 else [hx]
            hs = [s if batched else s.unsqueeze(1) for s in hs]
            for s in hs:
                if tuple(s.shape) != (L, B, H):
                    raise RuntimeError(
                        f"{name}: expected initial states of shape {(L, B, H)}, got "
                        f"{tuple(s.shape)}"
                    )
            per = [unbind_steps(s) for s in hs]
            init_states = [[p[k] for p in per] for k in range(L)]
        finals = []
        for k, cell in enumerate(self.cells):
            if self._per_step_input():
                steps = [self._input_gates(cell, xt, t) for t, xt in enumerate(unbind_steps(x))]
            else:
                steps = unbind_steps(self._input_gates(cell, x))
            state = tuple(init_states[k])
            outs = []
            for t in range(T):
                state = self._step(cell, steps[t], state, t)
                outs.append(state[0])
            x = stack_steps(outs)
            finals.append(state)
        out = x
        stacked = [stack_steps([f[i] for f in finals]) for i in range(self.n_states)]
        if not batched:
            out = out.squeeze(1)
            stacked = [s.squeeze(1) for s in stacked]
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, (tuple(stacked) if self.n_states > 1 else stacked[0])

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.batch_first:
            s += ", batch_first=True"
        return s


class LayerNormLSTM(_NormRNN):
    """A (stacked) LayerNorm LSTM over a sequence, with :class:`nn.LSTM`'s shapes.

    Parameters
    ----------
    input_size, hidden_size : int
        Features of the input and of the hidden state.
    num_layers : int
        Stacked layers (default 1).
    batch_first : bool
        Input and output ``(N, L, features)`` (default False).
    eps, device, dtype
        As :class:`LayerNormLSTMCell` (each layer is one, in ``cells``).

    Notes
    -----
    ``forward(input, (h_0, c_0)=None)`` returns ``output, (h_n, c_n)``.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> out, (h, c) = nn.LayerNormLSTM(8, 16, num_layers=2)(minigrad.randn(5, 3, 8))
    >>> out.shape, h.shape
    ((5, 3, 16), (2, 3, 16))
    """

    cell_class = LayerNormLSTMCell
    n_states = 2

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 batch_first: bool = False, eps: float = 1e-5, device=None,
                 dtype=None):  # fmt: skip
        super().__init__(input_size, hidden_size, num_layers, batch_first, eps=eps,
                         device=device, dtype=dtype)  # fmt: skip


class LayerNormGRU(_NormRNN):
    """A (stacked) LayerNorm GRU over a sequence, with :class:`nn.GRU`'s shapes.

    Parameters
    ----------
    input_size, hidden_size : int
        Features of the input and of the hidden state.
    num_layers : int
        Stacked layers (default 1).
    batch_first : bool
        Input and output ``(N, L, features)`` (default False).
    eps, device, dtype
        As :class:`LayerNormGRUCell`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> out, h = nn.LayerNormGRU(8, 16, batch_first=True)(minigrad.randn(3, 5, 8))
    >>> out.shape, h.shape
    ((3, 5, 16), (1, 3, 16))
    """

    cell_class = LayerNormGRUCell
    n_states = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 batch_first: bool = False, eps: float = 1e-5, device=None,
                 dtype=None):  # fmt: skip
        super().__init__(input_size, hidden_size, num_layers, batch_first, eps=eps,
                         device=device, dtype=dtype)  # fmt: skip


class BNLSTM(_NormRNN):
    """A (stacked) BatchNorm LSTM over a sequence (Cooijmans et al. 2017), statistics per
    time step up to ``max_length`` (see :class:`BNLSTMCell`).

    Parameters
    ----------
    input_size, hidden_size : int
        Features of the input and of the hidden state.
    max_length : int
        Time steps with their own statistics (the training length); later steps reuse
        the last one's.
    num_layers : int
        Stacked layers (default 1).
    batch_first : bool
        Input and output ``(N, L, features)`` (default False).
    eps, momentum, gamma_init, device, dtype
        As :class:`BNLSTMCell`.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.BNLSTM(8, 16, max_length=5)
    >>> out, (h, c) = m(minigrad.randn(5, 4, 8))
    >>> out.shape, m.eval()(minigrad.randn(9, 4, 8))[0].shape  # longer than trained: ok
    ((5, 4, 16), (9, 4, 16))
    """

    cell_class = BNLSTMCell
    n_states = 2

    def __init__(self, input_size: int, hidden_size: int, max_length: int, num_layers: int = 1,
                 batch_first: bool = False, eps: float = 1e-5, momentum: float = 0.1,
                 gamma_init: float = 0.1, device=None, dtype=None):  # fmt: skip
        self.max_length = max_length
        super().__init__(input_size, hidden_size, num_layers, batch_first, max_length=max_length,
                         eps=eps, momentum=momentum, gamma_init=gamma_init, device=device,
                         dtype=dtype)  # fmt: skip

    def _per_step_input(self):
        return True

    def _input_gates(self, cell, x, t=None):
        return cell.input_gates(x, t)

    def _step(self, cell, xg, state, t):
        return cell.step(xg, state, t)

    def forward(self, input, hx=None):
        if input.ndim != 3:
            raise ValueError(
                f"BNLSTM: expected a batched input (L, N, {self.input_size}) (BatchNorm needs "
                f"a batch), got shape {tuple(input.shape)}"
            )
        return super().forward(input, hx)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", max_length={self.max_length}"
