"""Variable-length sequences (PyTorch's ``torch.nn.utils.rnn``): :func:`pad_sequence`
and :func:`unpad_sequence`. Both are compositions of pad/stack/slicing, so gradients
flow to every sequence."""

from __future__ import annotations

from minigrad.ops.shape.pad import pad
from minigrad.ops.shape.shape import stack

__all__ = ["pad_sequence", "unpad_sequence"]


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right"):  # fmt: skip
    """Stack tensors of shape ``(L_i, *)`` into ``(L_max, B, *)`` (or ``(B, L_max, *)``),
    filling with ``padding_value``.

    Parameters
    ----------
    sequences : list of Tensor
        Same trailing shape and dtype.
    batch_first : bool
        Put the batch dimension first.
    padding_value : float
        Fill value (default 0).
    padding_side : {'right', 'left'}
        Where the padding goes.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        For no sequences, an unknown side, or trailing shapes that differ.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn.utils.rnn import pad_sequence
    >>> pad_sequence([minigrad.tensor([1.0, 2.0]), minigrad.tensor([3.0])], batch_first=True)
    tensor([[1., 2.],
            [3., 0.]])
    """
    seqs = list(sequences)
    if not seqs:
        raise ValueError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("right", "left"):
        raise ValueError(
            f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}"
        )
    trail = tuple(seqs[0].shape[1:])
    for i, s in enumerate(seqs):
        if tuple(s.shape[1:]) != trail:
            raise ValueError(
                f"pad_sequence: sequence {i} has trailing shape {tuple(s.shape[1:])}, expected "
                f"{trail}"
            )
    longest = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        extra = longest - s.shape[0]
        if extra:
            widths = [0, 0] * len(trail) + ([extra, 0] if padding_side == "left" else [0, extra])
            s = pad(s, tuple(widths), "constant", padding_value)
        padded.append(s)
    return stack(padded, dim=0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first: bool = False):
    """Split a padded batch back into its sequences (the inverse of :func:`pad_sequence`
    with right padding).

    Parameters
    ----------
    padded_sequences : Tensor
        ``(L_max, B, *)`` or ``(B, L_max, *)``.
    lengths : sequence of int or Tensor
        The length of each sequence.
    batch_first : bool
        Whether the batch dimension is first.

    Returns
    -------
    list of Tensor

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.nn.utils.rnn import unpad_sequence
    >>> x = minigrad.tensor([[1.0, 2.0], [3.0, 0.0]])
    >>> unpad_sequence(x, [2, 1], batch_first=True)
    [tensor([1., 2.]), tensor([3.])]
    """
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lengths = [int(n) for n in (lengths.tolist() if hasattr(lengths, "tolist") else lengths)]
    return [padded_sequences[i, :n] for i, n in enumerate(lengths)]
