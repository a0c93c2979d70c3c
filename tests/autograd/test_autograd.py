"""Graph semantics of the autograd engine: accumulation, shared nodes, retain_graph,
higher-order derivatives, ``grad()``, hooks, grad mode, deep chains, freeing, in-place.

Every test body runs on each device (``device`` fixture). Expected values are derived
from closed-form derivatives computed with NumPy, never copied from minigrad's output.
"""

import gc
import math
import weakref

import numpy as np
import pytest
from conftest import to_numpy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minigrad
from minigrad.autograd import Function


def leaf(values, device):
    """A float64 leaf (built from a float64 array, so no value is rounded on the way)."""
    return minigrad.tensor(np.asarray(values, dtype=np.float64), device=device, requires_grad=True)


# ----------------------------------------------------------------------- accumulation
def test_gradients_accumulate_across_backward_calls(device):
    x = leaf([1.0, -2.0, 3.0], device)
    (x * x).sum().backward()
    (x * x * x).sum().backward()
    xn = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(to_numpy(x.grad), 2 * xn + 3 * xn**2)


def test_grad_can_be_reset_to_none_between_steps(device):
    x = leaf([1.0, 2.0], device)
    (x * 3).sum().backward()
    x.grad = None
    (x * 5).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [5.0, 5.0])


def test_leaf_grad_does_not_alias_gradient_given_by_user(device):
    x = leaf([1.0, 2.0], device)
    g = minigrad.tensor(np.ones(2), device=device)
    x.backward(g)
    x.grad._data[0] = 99.0
    np.testing.assert_allclose(to_numpy(g), [1.0, 1.0])


def test_two_leaves_do_not_share_one_gradient_array(device):
    a, b = leaf([1.0, 2.0], device), leaf([3.0, 4.0], device)
    (a + b).sum().backward()
    a.grad._data[0] = 7.0
    np.testing.assert_allclose(to_numpy(b.grad), [1.0, 1.0])


# ----------------------------------------------------------------------- shared nodes
def test_diamond_graph(device):
    # x -> a = x*2, b = x.exp(); y = a*b: dy/dx = 2 e^x + 2x e^x
    x = leaf([0.5, -1.0], device)
    a = x * 2
    b = x.exp()
    (a * b).sum().backward()
    xn = np.array([0.5, -1.0])
    np.testing.assert_allclose(to_numpy(x.grad), 2 * np.exp(xn) * (1 + xn))


def test_tensor_used_many_times_in_one_expression(device):
    x = leaf([2.0], device)
    y = x * x * x + x * x + x  # 3x^2 + 2x + 1
    y.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [3 * 4 + 2 * 2 + 1])


def test_shared_intermediate_consumed_by_several_ops(device):
    x = leaf([0.3, 0.7], device)
    h = x.sin()
    y = h * h + h.exp() - 3 * h  # dy/dh = 2h + e^h - 3
    y.sum().backward()
    xn = np.array([0.3, 0.7])
    hn = np.sin(xn)
    np.testing.assert_allclose(to_numpy(x.grad), (2 * hn + np.exp(hn) - 3) * np.cos(xn))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 6), width=st.integers(1, 4))
def test_property_layered_shared_graph_matches_closed_form(n, width):
    # every layer sums `width` copies of the previous one: y = width**n * x
    x = minigrad.tensor([1.5], dtype=minigrad.float64, requires_grad=True)
    h = x
    for _ in range(n):
        acc = h
        for _ in range(width - 1):
            acc = acc + h
        h = acc
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [float(width**n)])


# ----------------------------------------------------------------------- retain / free
def test_second_backward_through_freed_graph_raises(device):
    x = leaf([1.0, 2.0], device)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_freed_intermediate_used_again_raises(device):
    x = leaf([1.0, 2.0], device)
    h = x * x
    h.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        (h * 2).sum().backward()


def test_retain_graph_allows_second_backward(device):
    x = leaf([1.0, 2.0], device)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(to_numpy(x.grad), [4.0, 8.0])


def test_graph_is_freed_after_backward(device):
    x = leaf([1.0, 2.0], device)
    h = x * 2
    ref = weakref.ref(h)
    fn = h.grad_fn
    y = (h * 3).sum()
    del h
    gc.collect()
    assert ref() is not None  # kept alive by the graph (an input of the Mul node)
    y.backward()
    gc.collect()
    assert ref() is None
    assert fn.inputs is None


def test_graph_is_kept_with_retain_graph(device):
    x = leaf([1.0, 2.0], device)
    h = x * 2
    ref = weakref.ref(h)
    y = (h * 3).sum()
    del h
    y.backward(retain_graph=True)
    gc.collect()
    assert ref() is not None
    del y
    gc.collect()
    assert ref() is None


def test_backward_without_requires_grad_raises(device):
    with pytest.raises(RuntimeError, match="does not require grad"):
        minigrad.ones(2, device=device).sum().backward()


def test_backward_on_non_scalar_needs_gradient(device):
    x = leaf([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(minigrad.tensor(np.array([1.0, 10.0]), device=device))
    np.testing.assert_allclose(to_numpy(x.grad), [2.0, 20.0])


def test_backward_gradient_shape_mismatch_raises(device):
    x = leaf([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match=r"shape \(3,\)"):
        (x * 2).backward(minigrad.ones(3, dtype=minigrad.float64, device=device))


# ----------------------------------------------------------------------- higher order
def _nth_grads(y, x, n):
    out = []
    for k in range(n):
        (y,) = minigrad.grad(y, x, create_graph=k < n - 1)
        out.append(y)
    return out


def test_third_derivative_of_x_to_the_fourth(device):
    x = leaf(1.7, device)
    g1, g2, g3 = _nth_grads(x**4, x, 3)
    np.testing.assert_allclose(
        [g1.item(), g2.item(), g3.item()], [4 * 1.7**3, 12 * 1.7**2, 24 * 1.7]
    )


def test_third_derivative_of_sin(device):
    x = leaf(0.4, device)
    g1, g2, g3 = _nth_grads(x.sin(), x, 3)
    np.testing.assert_allclose(
        [g1.item(), g2.item(), g3.item()], [math.cos(0.4), -math.sin(0.4), -math.cos(0.4)]
    )


def test_backward_with_create_graph_gives_differentiable_grad(device):
    x = leaf(3.0, device)
    (x**3).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.grad_fn is not None
    x.grad = None
    g.backward()
    np.testing.assert_allclose(to_numpy(x.grad), 6 * 3.0)


def test_mixed_second_partial(device):
    x, y = leaf(0.5, device), leaf(2.0, device)
    f = x * x * y.exp()
    (gx,) = minigrad.grad(f, x, create_graph=True)
    (gxy,) = minigrad.grad(gx, y)
    np.testing.assert_allclose(gxy.item(), 2 * 0.5 * math.exp(2.0))


# ----------------------------------------------------------------------- minigrad.grad
def test_grad_with_grad_outputs(device):
    x = leaf([1.0, 2.0], device)
    go = minigrad.tensor(np.array([1.0, 10.0]), device=device)
    (g,) = minigrad.grad(x * x, x, grad_outputs=go)
    np.testing.assert_allclose(to_numpy(g), [2.0, 40.0])


def test_grad_does_not_touch_dot_grad(device):
    x = leaf([1.0, 2.0], device)
    minigrad.grad((x * x).sum(), x)
    assert x.grad is None


def test_grad_with_respect_to_non_leaf(device):
    x = leaf([1.0, 2.0], device)
    h = x * 3
    gh, gx = minigrad.grad((h * h).sum(), [h, x])
    np.testing.assert_allclose(to_numpy(gh), [6.0, 12.0])
    np.testing.assert_allclose(to_numpy(gx), [18.0, 36.0])


def test_grad_multiple_outputs(device):
    x = leaf([1.0, 2.0], device)
    (g,) = minigrad.grad([(x * x).sum(), (3 * x).sum()], x)
    np.testing.assert_allclose(to_numpy(g), [5.0, 7.0])


def test_grad_allow_unused(device):
    x, unused = leaf([1.0, 2.0], device), leaf(1.0, device)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        minigrad.grad((x * 2).sum(), [x, unused])
    gx, gu = minigrad.grad((x * 2).sum(), [x, unused], allow_unused=True)
    np.testing.assert_allclose(to_numpy(gx), [2.0, 2.0])
    assert gu is None


def test_grad_of_input_that_does_not_require_grad_raises(device):
    x = leaf([1.0], device)
    c = minigrad.ones(1, dtype=minigrad.float64, device=device)
    with pytest.raises(RuntimeError, match="does not require grad"):
        minigrad.grad((x * c).sum(), c)


# ----------------------------------------------------------------------- hooks
def test_hook_on_leaf_modifies_gradient_and_can_be_removed(device):
    x = leaf([1.0, 2.0], device)
    handle = x.register_hook(lambda g: g * 10)
    (x * 1).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [10.0, 10.0])
    handle.remove()
    (x * 1).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [11.0, 11.0])


def test_hook_on_non_leaf_changes_upstream_gradient(device):
    x = leaf([1.0, 2.0], device)
    h = x * 1
    seen = []
    h.register_hook(lambda g: seen.append(to_numpy(g).copy()))  # returns None: unchanged
    h.register_hook(lambda g: g * 10)
    (h * h).sum().backward()
    np.testing.assert_allclose(seen[0], [2.0, 4.0])
    np.testing.assert_allclose(to_numpy(x.grad), [20.0, 40.0])
    assert h.grad is None  # non-leaf grads are not kept without retain_grad


def test_hook_on_non_leaf_sees_summed_gradient_once(device):
    x = leaf([1.0], device)
    h = x * 1
    calls = []
    h.register_hook(lambda g: calls.append(g.item()))
    (h * 2 + h * 3).sum().backward()
    assert calls == [5.0]


def test_hook_on_leaf_sees_summed_gradient_once(device):
    x = leaf([1.0], device)
    calls = []
    x.register_hook(lambda g: calls.append(g.item()))
    (x * 2 + x * 3).sum().backward()
    assert calls == [5.0]


def test_register_hook_needs_requires_grad(device):
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        minigrad.ones(1, device=device).register_hook(lambda g: g)


def test_retain_grad_keeps_non_leaf_gradient(device):
    x = leaf([1.0, 2.0], device)
    h = x * 3
    h.retain_grad()
    assert h.retains_grad and not h.is_leaf and x.is_leaf
    (h * h).sum().backward()
    np.testing.assert_allclose(to_numpy(h.grad), [6.0, 12.0])
    np.testing.assert_allclose(to_numpy(x.grad), [18.0, 36.0])


# ----------------------------------------------------------------------- grad mode
def test_no_grad_context(device):
    x = leaf([1.0], device)
    with minigrad.no_grad():
        assert not minigrad.is_grad_enabled()
        y = x * 2
    assert minigrad.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_enable_grad_inside_no_grad(device):
    x = leaf([1.0], device)
    with minigrad.no_grad():
        with minigrad.enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and not z.requires_grad


def test_set_grad_enabled_context_and_function(device):
    x = leaf([1.0], device)
    with minigrad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    minigrad.set_grad_enabled(False)
    try:
        assert not minigrad.is_grad_enabled()
    finally:
        minigrad.set_grad_enabled(True)
    assert minigrad.is_grad_enabled()


def test_grad_mode_decorators(device):
    x = leaf([1.0], device)

    @minigrad.no_grad()
    def f():
        return x * 2

    @minigrad.enable_grad()
    def g():
        return x * 2

    @minigrad.set_grad_enabled(False)
    def h():
        return x * 2

    assert minigrad.is_grad_enabled()  # defining h must not switch grad mode
    assert not f().requires_grad
    assert not h().requires_grad
    with minigrad.no_grad():
        assert g().requires_grad
    assert minigrad.is_grad_enabled()


def test_grad_mode_restored_after_exception(device):
    with pytest.raises(ValueError):
        with minigrad.no_grad():
            raise ValueError
    assert minigrad.is_grad_enabled()

    @minigrad.no_grad()
    def boom():
        raise ValueError

    with pytest.raises(ValueError):
        boom()
    assert minigrad.is_grad_enabled()


def test_no_grad_as_bare_decorator():
    @minigrad.no_grad
    def f():
        return minigrad.is_grad_enabled()

    assert f() is False


def test_backward_under_no_grad_still_works(device):
    x = leaf([1.0, 2.0], device)
    y = (x * x).sum()
    with minigrad.no_grad():
        y.backward()
    np.testing.assert_allclose(to_numpy(x.grad), [2.0, 4.0])


def test_detach_cuts_the_graph(device):
    x = leaf([1.0, 2.0], device)
    d = (x * 2).detach()
    assert d.is_leaf and not d.requires_grad
    y = (x * d).sum()
    y.backward()
    np.testing.assert_allclose(to_numpy(x.grad), [2.0, 4.0])


def test_requires_grad_only_on_leaves(device):
    x = leaf([1.0], device)
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2).requires_grad_(False)


# ----------------------------------------------------------------------- deep chains
def test_ten_thousand_op_chain(device):
    x = leaf([1.0], device)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [1.0001**10_000], rtol=1e-9)
    del y  # deleting a deep chain must not overflow the stack either


def test_deep_chain_of_mixed_ops_with_create_graph(device):
    x = leaf([0.5], device)
    y = x
    for _ in range(2_000):
        y = (y + 0.001).tanh() * 1.0 + y * 0.0
    (g,) = minigrad.grad(y.sum(), x, create_graph=True)
    (gg,) = minigrad.grad(g.sum(), x)
    assert np.isfinite(to_numpy(gg)).all()


# ----------------------------------------------------------------------- custom Function
class _TwoOutputs(Function):
    def forward(self, x):
        return x * 2, x * 3

    def backward(self, g1, g2):
        out = 0
        if g1 is not None:
            out = out + g1 * 2
        if g2 is not None:
            out = out + g2 * 3
        return out


def test_multi_output_function_with_one_output_used(device):
    x = leaf([1.0, 2.0], device)
    a, _ = _TwoOutputs()(x)
    a.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [2.0, 2.0])


def test_multi_output_function_with_both_outputs_used(device):
    x = leaf([1.0, 2.0], device)
    a, b = _TwoOutputs()(x)
    (a * b).sum().backward()  # 6 x^2 -> 12 x
    np.testing.assert_allclose(to_numpy(x.grad), [12.0, 24.0])


def test_function_generation_orders_the_walk(device):
    x = leaf([1.0], device)
    a = x * 2
    b = a * 3
    assert b.grad_fn.generation > a.grad_fn.generation


def test_autograd_backward_of_several_outputs(device):
    x = leaf([1.0, 2.0], device)
    a, b = x * x, x.sin()
    minigrad.autograd.backward(
        [a, b.sum()], [minigrad.tensor(np.array([1.0, 2.0]), device=device), None]
    )
    xn = np.array([1.0, 2.0])
    np.testing.assert_allclose(to_numpy(x.grad), 2 * xn * [1.0, 2.0] + np.cos(xn))


def test_create_graph_retains_graph_by_default(device):
    x = leaf(2.0, device)
    y = x**3
    (g,) = minigrad.grad(y, x, create_graph=True)
    (g2,) = minigrad.grad(y, x)  # still there: create_graph implied retain_graph
    np.testing.assert_allclose(to_numpy(g2), 12.0)
    assert g.requires_grad


# ----------------------------------------------------------------------- property
_UNARY = {
    "sin": (lambda t: t.sin(), np.sin, np.cos),
    "tanh": (lambda t: t.tanh(), np.tanh, lambda v: 1 - np.tanh(v) ** 2),
    "exp": (lambda t: (t * 0.3).exp(), lambda v: np.exp(0.3 * v), lambda v: 0.3 * np.exp(0.3 * v)),
    "square": (lambda t: t * t, np.square, lambda v: 2 * v),
    "affine": (lambda t: 1.5 - t * 0.5, lambda v: 1.5 - 0.5 * v, lambda v: -0.5 + 0 * v),
}


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(st.sampled_from(sorted(_UNARY)), min_size=1, max_size=12),
    x0=st.lists(st.floats(-1.5, 1.5), min_size=1, max_size=4),
)
def test_property_chain_rule_matches_numpy(names, x0):
    """The engine's gradient of a random chain equals the product of local derivatives."""
    xn = np.array(x0, dtype=np.float64)
    x = minigrad.tensor(xn, requires_grad=True)
    y, v, dydx = x, xn, np.ones_like(xn)
    for n in names:
        op, f, df = _UNARY[n]
        y = op(y)
        dydx = dydx * df(v)
        v = f(v)
    y.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), v, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), dydx, rtol=1e-9, atol=1e-12)


_BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
}
_UNARY_DAG = {
    "sin": (lambda a: a.sin(), np.sin),
    "tanh": (lambda a: a.tanh(), np.tanh),
}


def _run_program(program, inputs, ops_binary, ops_unary):
    nodes = list(inputs)
    for kind, name, i, j in program:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append(ops_binary[name](a, b) if kind == "b" else ops_unary[name](a))
    return nodes


@settings(max_examples=60, deadline=None)
@given(
    program=st.lists(
        st.one_of(
            st.tuples(
                st.just("b"),
                st.sampled_from(sorted(_BINARY)),
                st.integers(0, 50),
                st.integers(0, 50),
            ),
            st.tuples(
                st.just("u"), st.sampled_from(sorted(_UNARY_DAG)), st.integers(0, 50), st.just(0)
            ),
        ),
        min_size=1,
        max_size=15,
    ),
    x0=st.lists(st.floats(-1.0, 1.0), min_size=2, max_size=2),
)
def test_property_random_dag_gradient_matches_finite_differences(program, x0):
    """Random graphs with shared nodes (each node may reuse any earlier node, many times):
    the engine's gradient of the sum of all nodes matches central differences."""
    xs = [minigrad.tensor(np.array([v]), requires_grad=True) for v in x0]
    nodes = _run_program(
        program, xs, {k: v[0] for k, v in _BINARY.items()}, {k: v[0] for k, v in _UNARY_DAG.items()}
    )
    total = nodes[0]
    for n in nodes[1:]:
        total = total + n
    total.sum().backward()

    def f(vals):
        ns = _run_program(
            program,
            [np.array([v]) for v in vals],
            {k: v[1] for k, v in _BINARY.items()},
            {k: v[1] for k, v in _UNARY_DAG.items()},
        )
        return float(sum(n.sum() for n in ns))

    assume(abs(f(x0)) < 1e3)  # keep finite differences accurate
    eps = 1e-6
    for k in range(2):
        up, down = list(x0), list(x0)
        up[k] += eps
        down[k] -= eps
        numeric = (f(up) - f(down)) / (2 * eps)
        got = xs[k].grad.item() if xs[k].grad is not None else 0.0
        assert abs(got - numeric) <= 1e-5 * (1 + abs(numeric)), (k, got, numeric)


def test_grad_mode_is_per_thread():
    """As in PyTorch: no_grad in one thread does not stop another thread from recording,
    and a new thread starts with grad enabled."""
    import threading

    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def other():
        inside.wait()
        x = minigrad.ones(2, requires_grad=True)
        seen["enabled"] = minigrad.is_grad_enabled()
        seen["requires_grad"] = (x * 2).requires_grad
        release.set()

    t = threading.Thread(target=other)
    t.start()
    with minigrad.no_grad():
        inside.set()
        release.wait(10)
        assert not minigrad.is_grad_enabled()
    t.join()
    assert seen == {"enabled": True, "requires_grad": True}
