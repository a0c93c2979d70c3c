"""Graph pictures: minigrad.viz.to_dot / write_dot / render on small graphs."""

import re
import shutil
import sys

import pytest

import minigrad
from minigrad.autograd import Function
from minigrad.viz import render, to_dot, write_dot


def parse(dot):
    """(labels by node id, list of (src, dst, edge label)) of a DOT text from to_dot."""
    nodes = dict(re.findall(r'^  (n\d+) \[label="((?:[^"\\]|\\.)*)"', dot, re.M))
    edges = [
        (a, b, lab or "")
        for a, b, lab in re.findall(r'^  (n\d+) -> (n\d+)(?: \[label="([^"]*)"\])?;', dot, re.M)
    ]
    return nodes, edges


def first_lines(nodes):
    return sorted(lab.split("\\n")[0] for lab in nodes.values())


def test_diamond(device):
    x = minigrad.ones(2, 3, device=device, requires_grad=True)
    a, b = x.exp(), x.sin()
    y = (a * b).sum()
    dot = to_dot(y)
    assert dot.startswith("digraph minigrad {") and dot.rstrip().endswith("}")
    nodes, edges = parse(dot)
    assert first_lines(nodes) == ["Exp", "Mul", "Sin", "Sum", "leaf", "output"]
    by_name = {lab.split("\\n")[0]: nid for nid, lab in nodes.items()}
    leaf, out = by_name["leaf"], by_name["output"]
    assert "(2, 3) float32" in nodes[leaf] and "requires_grad=True" in nodes[leaf]
    assert "() float32" in nodes[out]
    pairs = {(a, b) for a, b, _ in edges}
    assert (by_name["leaf"], by_name["Exp"]) in pairs
    assert (by_name["leaf"], by_name["Sin"]) in pairs
    assert (by_name["Exp"], by_name["Mul"]) in pairs and (by_name["Sin"], by_name["Mul"]) in pairs
    assert (by_name["Mul"], by_name["Sum"]) in pairs and (by_name["Sum"], out) in pairs
    assert len(edges) == 6  # the one leaf node is shared, not duplicated
    labels = {(a, b): lab for a, b, lab in edges}
    assert labels[(by_name["Exp"], by_name["Mul"])] == "(2, 3)"  # intermediate's shape


def test_shared_leaf_used_twice_by_one_op(device):
    x = minigrad.ones(3, device=device, requires_grad=True)
    c = minigrad.ones(3, device=device)  # a constant tensor: leaf without grad
    y = (x * x + c).sum()
    nodes, edges = parse(to_dot(y))
    leaves = [nid for nid, lab in nodes.items() if lab.startswith("leaf")]
    assert len(leaves) == 2
    grad_leaf = next(n for n in leaves if "requires_grad=True" in nodes[n])
    const_leaf = next(n for n in leaves if "requires_grad=False" in nodes[n])
    mul = next(n for n, lab in nodes.items() if lab == "Mul")
    assert [(a, b) for a, b, _ in edges].count((grad_leaf, mul)) == 2
    assert any(a == const_leaf for a, _, _ in edges)


def test_python_scalar_is_a_constant_node(device):
    x = minigrad.ones(3, device=device, requires_grad=True)
    nodes, edges = parse(to_dot((x * 2.5).sum()))
    const = next(n for n, lab in nodes.items() if lab == "2.5")
    mul = next(n for n, lab in nodes.items() if lab == "Mul")
    assert (const, mul, "") in edges


class _Split2(Function):
    def forward(self, x):
        return x * 2, x * 3

    def backward(self, g1, g2):
        return g1 * 2 + g2 * 3


def test_multi_output_function_and_several_outputs(device):
    x = minigrad.ones(2, device=device, requires_grad=True)
    a, b = _Split2()(x)
    u, v = a.exp(), b.sum()
    nodes, edges = parse(to_dot([u, v]))
    assert sum(lab.startswith("output 0") for lab in nodes.values()) == 1
    assert sum(lab.startswith("output 1") for lab in nodes.values()) == 1
    split = next(n for n, lab in nodes.items() if lab == "_Split2")
    assert sum(lab == "_Split2" for lab in nodes.values()) == 1
    out_labels = sorted(lab for a_, _, lab in edges if a_ == split)
    assert out_labels == ["(2,) [0]", "(2,) [1]"]  # which output each edge carries


def test_node_ids_are_deterministic(device):
    def build():
        x = minigrad.ones(2, device=device, requires_grad=True)
        w = minigrad.ones(2, device=device, requires_grad=True)
        h = (x * w).tanh()
        return (h * h + h).sum()

    d1, d2 = to_dot(build()), to_dot(build())
    assert d1 == d2
    nodes, _ = parse(d1)
    assert sorted(nodes, key=lambda n: int(n[1:])) == [f"n{i}" for i in range(len(nodes))]


def test_params_names_and_escaping(device):
    w = minigrad.ones(2, device=device, requires_grad=True)
    name = 'lay"er\\0\nweight'
    dot = to_dot((w * 1).sum(), params={name: w})
    assert 'lay\\"er\\\\0\\nweight' in dot  # quote, backslash and newline escaped
    for line in dot.splitlines()[1:-1]:  # every statement is one well-formed line
        assert line.endswith(";")
        unescaped = re.sub(r"\\.", "", line)
        assert unescaped.count('"') % 2 == 0


def test_show_saved_lists_saved_arrays(device):
    x = minigrad.ones(2, 3, device=device, requires_grad=True)
    y = x.exp().sum(dim=1)
    plain, saved = to_dot(y), to_dot(y, show_saved=True)
    assert "out: (2, 3) float32" in saved and "out:" not in plain
    assert "axes: (1,)" in saved


def test_freed_graph_is_marked(device):
    x = minigrad.ones(2, device=device, requires_grad=True)
    y = (x * 2).sum()
    y.backward()
    assert "(freed)" in to_dot(y)


def test_leaf_output_and_bad_input(device):
    x = minigrad.ones(2, device=device, requires_grad=True)
    nodes, edges = parse(to_dot(x))
    assert len(nodes) == 1 and edges == []
    with pytest.raises(TypeError, match="Tensor"):
        to_dot([1, 2])


def test_write_dot(tmp_path, device):
    x = minigrad.ones(2, device=device, requires_grad=True)
    y = x.exp().sum()
    path = write_dot(y, tmp_path / "g.dot")
    assert open(path).read() == to_dot(y) + "\n"


def test_render_without_graphviz_package_raises_import_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    x = minigrad.ones(2, requires_grad=True)
    with pytest.raises(ImportError, match=r"minigrad-lab\[graph\]"):
        render(x.sum(), tmp_path / "g")


def test_render_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="format"):
        render(minigrad.ones(1, requires_grad=True), tmp_path / "g", format="bmp")


@pytest.mark.parametrize("fmt, magic", [("svg", b"<svg"), ("png", b"\x89PNG")])
def test_render_writes_image(tmp_path, fmt, magic):
    pytest.importorskip("graphviz", reason="the optional graphviz package is not installed")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    x = minigrad.ones(2, requires_grad=True)
    out = render((x * x).sum(), tmp_path / "graph", format=fmt)
    assert out.endswith("." + fmt)
    data = open(out, "rb").read()
    assert magic in data[:1000]


def test_viz_is_reachable_from_the_package(device):
    import minigrad.viz

    x = minigrad.ones(1, device=device, requires_grad=True)
    assert minigrad.viz.to_dot(x * 3) == to_dot(x * 3)
