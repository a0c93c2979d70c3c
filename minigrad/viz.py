"""Pictures of the backward graph, as Graphviz DOT text.

:func:`to_dot` walks the graph that produced a tensor (the same graph that
``backward()`` walks) and writes it in the DOT language:

- an **op** node (a box) for each :class:`~minigrad.autograd.Function`, labelled with
  its name (``Mul``, ``MatMul``, ...) and, for a fused op, the implementation that ran
  (``grad_fn.impl``: ``numpy``, ``cpu-compiled`` or ``cupy``);
- a **leaf** node (an ellipse) for each input tensor that no recorded op made:
  parameters and inputs, labelled with shape, dtype and whether it requires grad;
- a **constant** node for Python numbers passed to an op;
- an **output** node for each tensor you asked about.

Edges follow the data, input -> op -> output; an edge between two ops stands for the
intermediate tensor and is labelled with its shape. Node ids (``n0``, ``n1``, ...) are
given in the order of a deterministic walk from the output, so the same graph always
gives the same text. :func:`write_dot` saves the text, and :func:`render` draws it with
the optional ``graphviz`` package (``pip install "minigrad-lab[graph]"``).
"""

from __future__ import annotations

import os
from collections import deque

from minigrad.tensor import Tensor

__all__ = ["to_dot", "write_dot", "render"]

_SCALARS = (int, float, bool, complex)


def _escape(text: str) -> str:
    """Escape ``text`` for a double-quoted DOT string (quotes, backslashes, newlines)."""
    return (
        str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")
    )


def _shape(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _describe(t) -> str:
    """``'(2, 3) float32'`` for a tensor or an array."""
    return f"{_shape(t.shape)} {t.dtype}"


def _saved(fn) -> list[str]:
    """One line per array or number a Function saved on itself for backward."""
    lines = []
    for key, value in sorted(vars(fn).items()):
        if key.startswith("_") or key in ("inputs", "outputs", "needs_input_grad", "generation"):
            continue
        if isinstance(value, Tensor):
            value = value._data
        if hasattr(value, "shape") and hasattr(value, "dtype"):
            desc = _describe(value)
        elif isinstance(value, _SCALARS + (str, type(None))) or (
            isinstance(value, tuple) and all(isinstance(v, _SCALARS) for v in value)
        ):
            desc = repr(value)
        else:
            desc = type(value).__name__
        if len(desc) > 40:
            desc = desc[:37] + "..."
        lines.append(f"{key}: {desc}")
    return lines


def to_dot(tensor, show_saved: bool = False, params: dict | None = None) -> str:
    """The backward graph of ``tensor`` as Graphviz DOT text.

    Parameters
    ----------
    tensor : Tensor or sequence of Tensor
        The output(s) whose graph is drawn.
    show_saved : bool
        Also list, in each op node, what the op saved for its backward (arrays by shape
        and dtype, numbers by value).
    params : dict of str to Tensor, optional
        Names for leaf tensors (e.g. ``dict(model.named_parameters())``), shown in
        their nodes.

    Returns
    -------
    str
        A ``digraph`` in the DOT language.

    Raises
    ------
    TypeError
        If ``tensor`` is not a Tensor or a sequence of Tensors.

    Examples
    --------
    >>> import minigrad
    >>> from minigrad.viz import to_dot
    >>> x = minigrad.ones(3, requires_grad=True)
    >>> print(to_dot((x * 2).sum()))
    digraph minigrad {
      graph [rankdir=BT];
      edge [fontname="Helvetica", fontsize=9];
      node [fontname="Helvetica", fontsize=10, shape=box, style=filled, fillcolor="#e0e0e0"];
      n0 [label="output\\n() float32", shape=ellipse, fillcolor="#c8e6c9"];
      n1 [label="Sum"];
      n1 -> n0;
      n2 [label="Mul"];
      n2 -> n1 [label="(3,)"];
      n3 [label="leaf\\n(3,) float32\\nrequires_grad=True", shape=ellipse, fillcolor="#bbdefb"];
      n3 -> n2;
      n4 [label="2", shape=plaintext, style=solid];
      n4 -> n2;
    }
    """
    outputs = list(tensor) if isinstance(tensor, list | tuple) else [tensor]
    for t in outputs:
        if not isinstance(t, Tensor):
            raise TypeError(
                f"to_dot expects a Tensor or a sequence of Tensors, got {type(t).__name__}"
            )
    names = {id(v): k for k, v in (params or {}).items()}
    lines = [
        "digraph minigrad {",
        "  graph [rankdir=BT];",
        '  edge [fontname="Helvetica", fontsize=9];',
        '  node [fontname="Helvetica", fontsize=10, shape=box, style=filled, fillcolor="#e0e0e0"];',
    ]
    ids: dict[int, str] = {}  # id(Function or leaf Tensor) -> node id
    keep = []  # keep walked objects alive so their ids stay unique during the walk

    def new_id(obj) -> str:
        ids[id(obj)] = nid = f"n{len(keep)}"
        keep.append(obj)
        return nid

    def node(nid: str, label: str, attrs: str) -> None:
        attrs = f", {attrs}" if attrs else ""
        lines.append(f'  {nid} [label="{_escape(label)}"{attrs}];')

    def leaf_node(t: Tensor) -> str:
        if id(t) in ids:
            return ids[id(t)]
        nid = new_id(t)
        title = names.get(id(t), "leaf")
        label = f"{title}\n{_describe(t)}\nrequires_grad={t.requires_grad}"
        color = "#bbdefb" if t.requires_grad else "#f5f5f5"
        node(nid, label, f'shape=ellipse, fillcolor="{color}"')
        return nid

    stack = deque()  # Functions whose inputs are still to be drawn (breadth first)

    def op_node(fn) -> str:
        if id(fn) in ids:
            return ids[id(fn)]
        nid = new_id(fn)
        label = fn.name
        if fn.impl is not None:
            label += f"\n{fn.impl}"
        if fn.inputs is None:
            label += "\n(freed)"
        if show_saved:
            label = "\n".join([label, *_saved(fn)])
        node(nid, label, "")
        stack.append(fn)
        return nid

    def producer(t: Tensor) -> str:
        """The node an edge carrying ``t`` starts from."""
        if t.grad_fn is not None:
            return op_node(t.grad_fn)
        return leaf_node(t)

    def edge(src: str, dst: str, t: Tensor | None) -> None:
        label = ""
        if t is not None and t.grad_fn is not None:
            label = _shape(t.shape)
            if len(t.grad_fn.outputs) > 1:
                label += f" [{t._out_idx}]"
            label = f' [label="{_escape(label)}"]'
        lines.append(f"  {src} -> {dst}{label};")

    for k, t in enumerate(outputs):
        title = "output" if len(outputs) == 1 else f"output {k}"
        out_id = new_id(object())
        node(
            out_id,
            f"{title}\n{_describe(t)}",
            'shape=ellipse, fillcolor="#c8e6c9"',
        )
        if t.grad_fn is not None:
            src = op_node(t.grad_fn)
            label = f' [label="[{t._out_idx}]"]' if len(t.grad_fn.outputs) > 1 else ""
            lines.append(f"  {src} -> {out_id}{label};")
        # a leaf output has nothing to draw but itself
        while stack:
            fn = stack.popleft()
            dst = ids[id(fn)]
            for x in fn.inputs or ():
                if isinstance(x, Tensor):
                    edge(producer(x), dst, x)
                else:
                    cid = new_id(object())
                    node(
                        cid,
                        repr(x) if isinstance(x, _SCALARS) else type(x).__name__,
                        "shape=plaintext, style=solid",
                    )
                    lines.append(f"  {cid} -> {dst};")
    lines.append("}")
    return "\n".join(lines)


def write_dot(tensor, path, show_saved: bool = False, params: dict | None = None) -> str:
    """Write :func:`to_dot` of ``tensor`` to the file ``path``; return the path.

    Parameters
    ----------
    tensor : Tensor or sequence of Tensor
        The output(s) whose graph is drawn.
    path : str or os.PathLike
        File to write (conventionally ``*.dot`` or ``*.gv``).
    show_saved, params
        As in :func:`to_dot`.

    Returns
    -------
    str
        ``path``, as a string.

    Examples
    --------
    >>> import os, tempfile, minigrad
    >>> from minigrad.viz import write_dot
    >>> x = minigrad.ones(2, requires_grad=True)
    >>> path = write_dot(x.exp().sum(), os.path.join(tempfile.mkdtemp(), "g.dot"))
    >>> open(path).read().startswith("digraph minigrad {")
    True
    """
    path = os.fspath(path)
    with open(path, "w", encoding="utf-8") as f:
        f.write(to_dot(tensor, show_saved=show_saved, params=params) + "\n")
    return path


def render(
    tensor, path, format: str = "svg", show_saved: bool = False, params: dict | None = None
) -> str:
    """Draw the backward graph of ``tensor`` into an image file with Graphviz.

    Needs the optional ``graphviz`` Python package (``pip install "minigrad-lab[graph]"``)
    and Graphviz's ``dot`` program.

    Parameters
    ----------
    tensor : Tensor or sequence of Tensor
        The output(s) whose graph is drawn.
    path : str or os.PathLike
        Output file; the extension for ``format`` is added if it is missing.
    format : {'svg', 'png', 'pdf'}
        Image format.
    show_saved, params
        As in :func:`to_dot`.

    Returns
    -------
    str
        The path of the image written.

    Raises
    ------
    ImportError
        If the ``graphviz`` package is not installed.
    RuntimeError
        If Graphviz's ``dot`` program cannot be run.
    ValueError
        For an unknown ``format``.

    Examples
    --------
    >>> import os, tempfile, minigrad
    >>> from minigrad.viz import render
    >>> x = minigrad.ones(2, requires_grad=True)
    >>> try:
    ...     out = render((x * x).sum(), os.path.join(tempfile.mkdtemp(), "graph"))
    ... except (ImportError, RuntimeError):
    ...     out = "graph.svg"  # graphviz is optional
    >>> out.endswith(".svg")
    True
    """
    if format not in ("svg", "png", "pdf"):
        raise ValueError(f"render: format must be 'svg', 'png' or 'pdf', got {format!r}")
    try:
        import graphviz
    except ImportError as e:
        raise ImportError(
            'minigrad.viz.render needs the graphviz package: pip install "minigrad-lab[graph]" '
            "(and Graphviz's `dot` program); minigrad.viz.to_dot/write_dot work without it"
        ) from e
    path = os.fspath(path)
    if not path.endswith("." + format):
        path += "." + format
    source = graphviz.Source(to_dot(tensor, show_saved=show_saved, params=params))
    try:
        data = source.pipe(format=format)
    except graphviz.ExecutableNotFound as e:
        raise RuntimeError(
            "minigrad.viz.render: Graphviz's `dot` program was not found; install Graphviz "
            "(e.g. apt-get install graphviz) or use minigrad.viz.write_dot"
        ) from e
    with open(path, "wb") as f:
        f.write(data)
    return path
