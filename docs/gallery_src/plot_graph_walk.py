"""
The graph behind a tensor
=========================

Every tensor computed from tensors that require grad remembers the op that made it
(``grad_fn``); each op remembers its inputs and its *generation*, one more than the
deepest op upstream. ``backward()`` visits the ops from the largest generation down, so
an op runs only after every op that used its output. Here we walk the graph of a small
expression by hand, print each op with its generation, and print the same graph as
Graphviz DOT text with :func:`minigrad.viz.to_dot` (paste it into ``dot -Tsvg`` to draw
it; the :doc:`autograd internals tutorial </autograd_internals>` shows such a picture).
"""

# sphinx_gallery_thumbnail_path = "_static/graph_thumb.png"

import heapq

import minigrad
from minigrad.viz import to_dot

x = minigrad.tensor([1.0, 2.0], requires_grad=True)
a = x.exp()
y = (a * x + a).sum()  # ``a`` is used twice: a shared node

# %%
# Walk the graph from the output, as the engine does (a max-heap on generation).
heap, seen, order = [(-y.grad_fn.generation, 0, y.grad_fn)], {id(y.grad_fn)}, []
counter = 1
while heap:
    _, _, fn = heapq.heappop(heap)
    order.append(fn)
    for t in fn.inputs:
        f = getattr(t, "grad_fn", None)
        if f is not None and id(f) not in seen:
            seen.add(id(f))
            heapq.heappush(heap, (-f.generation, counter, f))
            counter += 1
for fn in order:
    print(f"generation {fn.generation}: {fn.name}")

# %%
# The same graph as DOT text (before backward, which frees it):
print(to_dot(y, params={"x": x}))

# %%
# ``Exp`` comes last although it is reached first along one path: both ``Mul`` and
# ``Add`` must have sent it their gradient. The result is the sum over both paths:
y.backward()
print("x.grad   =", x.grad)
print("expected =", (x.detach().exp() * (x.detach() + 2)))
