"""Make the graph picture of the autograd-internals tutorial (docs/internals/graph.svg).

The picture is committed, so the docs build needs neither Graphviz nor a network. Rerun
after changing the example or minigrad.viz, from the repository root::

    apt-get install -y graphviz            # provides the `dot` program
    python docs/internals/make_graph.py    # writes graph.dot, then graph.svg (and the
                                           # gallery thumbnail _static/graph_thumb.png)

The example is one neuron with a squared-error loss: ``loss = ((tanh(x @ w + b) - y)**2).mean()``.
"""

import shutil
import subprocess
from pathlib import Path

import minigrad
from minigrad.viz import to_dot

HERE = Path(__file__).resolve().parent

minigrad.manual_seed(0)
x = minigrad.randn(4, 3)
y = minigrad.randn(4, 1)
w = minigrad.randn(3, 1, requires_grad=True)
b = minigrad.zeros(1, requires_grad=True)
loss = ((minigrad.tanh(x @ w + b) - y) ** 2).mean()

dot_text = to_dot(loss, params={"w": w, "b": b, "x": x, "y": y})
(HERE / "graph.dot").write_text(dot_text)
print(dot_text)

if shutil.which("dot") is None:
    raise SystemExit("graph.dot written; install Graphviz (`dot`) to render graph.svg")
subprocess.run(["dot", "-Tsvg", "-o", str(HERE / "graph.svg"), str(HERE / "graph.dot")], check=True)
# a small PNG of the same graph: the thumbnail of the gallery's graph example
thumb = HERE.parent / "_static" / "graph_thumb.png"
subprocess.run(["dot", "-Tpng", "-Gdpi=40", "-o", str(thumb), str(HERE / "graph.dot")], check=True)
print("wrote", HERE / "graph.svg", "and", thumb)
