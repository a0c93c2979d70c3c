"""The :class:`Embedding` layer: a learned lookup table (the math is
:func:`minigrad.ops.nn.embedding.embedding`)."""

from __future__ import annotations

from minigrad import backend
from minigrad.autograd.grad_mode import no_grad
from minigrad.dtypes import as_dtype, get_default_dtype
from minigrad.nn import init
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.ops.nn.embedding import embedding
from minigrad.tensor import Tensor

__all__ = ["Embedding"]


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, looked up by index.

    Initialized like PyTorch: ``weight`` from N(0, 1), with the ``padding_idx`` row zero.

    Parameters
    ----------
    num_embeddings : int
        Size of the table.
    embedding_dim : int
        Size of each vector.
    padding_idx : int, optional
        Index whose row starts at zero and gets no gradient (negative counts from the end).
    max_norm : float, optional
        Renormalize looked-up rows to at most this norm (in place), as PyTorch.
    norm_type : float
        ``p`` of that norm (default 2).
    scale_grad_by_freq : bool
        Divide gradients by the frequency of each index in the batch.
    sparse : bool
        Accepted for PyTorch compatibility; gradients are dense.
    _weight : Tensor, optional
        Initial table (used by :meth:`from_pretrained`).
    _freeze : bool
        Whether the table's weight does not require grad.
    device, dtype : optional
        Where and in which dtype the table lives.

    Raises
    ------
    ValueError
        If ``padding_idx`` is out of range or ``_weight`` has the wrong shape.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> emb = nn.Embedding(10, 3, padding_idx=0)
    >>> emb
    Embedding(10, 3, padding_idx=0)
    >>> emb(minigrad.tensor([[1, 2, 0]])).shape
    (1, 3, 3)
    >>> emb.weight[0].tolist()
    [0.0, 0.0, 0.0]
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight=None,
        _freeze: bool = False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx must be within num_embeddings ({num_embeddings}), "
                    f"got {padding_idx}"
                )
            padding_idx = padding_idx % num_embeddings
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            dev = backend.device(device)
            dt = as_dtype(dtype) if dtype is not None else get_default_dtype()
            w = Tensor._make(dev.xp.empty((num_embeddings, embedding_dim), dtype=dt))
            self.weight = Parameter(w, requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"Embedding: shape of weight {tuple(_weight.shape)} does not match "
                    f"num_embeddings and embedding_dim ({num_embeddings}, {embedding_dim})"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """Re-draw the table from N(0, 1) and zero the ``padding_idx`` row.

        Examples
        --------
        >>> from minigrad import nn
        >>> emb = nn.Embedding(4, 2, padding_idx=-1)
        >>> emb.reset_parameters(); emb.weight[3].tolist()
        [0.0, 0.0]
        """
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        if self.padding_idx is not None:
            with no_grad():
                self.weight._data[self.padding_idx] = 0
                self.weight._vc[0] += 1

    def forward(self, input):
        return embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        if self.sparse:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ):
        """An :class:`Embedding` whose table is ``embeddings`` (2-D).

        Parameters
        ----------
        embeddings : Tensor
            ``(num_embeddings, embedding_dim)``; used as the weight's data.
        freeze : bool
            Whether the table does not require grad (default True).
        padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse : optional
            As in :class:`Embedding` (the ``padding_idx`` row is *not* zeroed).

        Returns
        -------
        Embedding

        Raises
        ------
        ValueError
            If ``embeddings`` is not 2-D.

        Examples
        --------
        >>> import minigrad
        >>> from minigrad import nn
        >>> emb = nn.Embedding.from_pretrained(minigrad.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> emb(minigrad.tensor([1])), emb.weight.requires_grad
        (tensor([[3., 4.]]), False)
        """
        if embeddings.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                f"{tuple(embeddings.shape)}"
            )
        rows, cols = embeddings.shape
        return cls(
            rows,
            cols,
            _weight=embeddings,
            _freeze=freeze,
            padding_idx=padding_idx,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            sparse=sparse,
        )
