"""Parameters as one flat vector and back (PyTorch's ``nn.utils.parameters_to_vector``
and ``vector_to_parameters``)."""

from __future__ import annotations

from minigrad.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_same_device(param, old):
    if old is not None and param.device != old:
        raise TypeError(
            f"Found two parameters on different devices, this is currently not supported "
            f"({old} and {param.device})"
        )
    return param.device


def parameters_to_vector(parameters) -> Tensor:
    """Concatenate ``parameters`` flattened into one 1-D tensor (differentiable).

    Parameters
    ----------
    parameters : iterable of Tensor
        E.g. ``model.parameters()``; all on one device.

    Returns
    -------
    Tensor
        Of length the total number of elements.

    Raises
    ------
    TypeError
        If the parameters are on different devices.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> lin = nn.Linear(3, 2)
    >>> nn.utils.parameters_to_vector(lin.parameters()).shape
    (8,)
    """
    from minigrad.ops.shape.shape import cat

    dev = None
    vec = []
    for p in parameters:
        dev = _check_same_device(p, dev)
        vec.append(p.reshape(-1))
    return cat(vec)


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy slices of the 1-D ``vec`` into ``parameters``, in order (the inverse of
    :func:`parameters_to_vector`).

    As in PyTorch, each parameter's values (``.data``) become a view of its slice of ``vec``.

    Parameters
    ----------
    vec : Tensor
        1-D, with at least as many elements as the parameters together.
    parameters : iterable of Tensor
        The parameters to overwrite; on ``vec``'s device.

    Raises
    ------
    TypeError
        If ``vec`` is not a Tensor, or the parameters are on different devices.
    RuntimeError
        If ``vec`` is not 1-D or is too short.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad import nn
    >>> lin = nn.Linear(2, 1)
    >>> nn.utils.vector_to_parameters(minigrad.tensor([1.0, 2.0, 3.0]), lin.parameters())
    >>> lin.weight, lin.bias
    (Parameter containing:
    tensor([[1., 2.]], requires_grad=True), Parameter containing:
    tensor([3.], requires_grad=True))
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected minigrad.Tensor, but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise RuntimeError(f"vector_to_parameters: vec must be 1-D, got shape {tuple(vec.shape)}")
    dev = None
    pointer = 0
    for p in parameters:
        dev = _check_same_device(p, dev)
        n = p.numel()
        if pointer + n > vec.shape[0]:
            raise RuntimeError(
                f"vector_to_parameters: vec of length {vec.shape[0]} is too short for the "
                f"parameters (need more than {pointer + n - 1} elements)"
            )
        p._data = vec._data[pointer : pointer + n].reshape(p.shape)
        pointer += n
