"""The implementation selector (minigrad.ops.impl): which code ran each fused op family,
as recorded on the graph node (``grad_fn.impl``), on every backend and CPU setting.

On ``cpu`` the ``cpu_kernels`` fixture runs each test with the compiled kernels off
("numpy" must run) and on ("cpu-compiled" must run where the family's kernels take the
inputs); on ``cuda`` (a GPU, or ``pytest --cupy-twin``) "cupy" must run.
"""

import numpy as np
import pytest
from conftest import to_numpy

import minigrad
import minigrad.nn.functional as F
from minigrad.autograd.function import Function
from minigrad.ops import impl

pytestmark = pytest.mark.usefixtures("cpu_kernels")


def expected(device, cpu_kernels, compiled=True):
    """The implementation that must run: "cupy" on cuda; on the CPU "cpu-compiled" when
    the kernels are on and take the inputs (``compiled``), else "numpy"."""
    if device.type == "cuda":
        return "cupy"
    return "cpu-compiled" if cpu_kernels == "numba" and compiled else "numpy"


def test_conv_records_its_implementation_on_every_pass(device, cpu_kernels):
    x = minigrad.randn(2, 3, 6, 6, device=device, requires_grad=True)
    w = minigrad.randn(4, 3, 3, 3, device=device, requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    want = expected(device, cpu_kernels)
    assert type(y.grad_fn).__name__ == "ConvNd" and y.grad_fn.impl == want
    gx, gw = minigrad.autograd.grad(y.sum(), (x, w), create_graph=True)
    assert type(gx.grad_fn).__name__ == "ConvNdGradInput" and gx.grad_fn.impl == want
    assert type(gw.grad_fn).__name__ == "ConvNdGradWeight" and gw.grad_fn.impl == want
    y1 = F.conv1d(x[:, :, 0], w[:, :, 0], padding=1)
    assert y1.grad_fn.impl == want


def test_conv_float16_takes_the_numpy_code(device, cpu_kernels):
    """The compiled kernels take float32/float64 only."""
    x = minigrad.randn(1, 2, 5, 5, device=device).to(minigrad.float16).requires_grad_()
    w = minigrad.randn(3, 2, 3, 3, device=device).to(minigrad.float16).requires_grad_()
    assert F.conv2d(x, w).grad_fn.impl == expected(device, cpu_kernels, compiled=False)
    assert F.conv2d(x.float(), w.float()).grad_fn.impl == expected(device, cpu_kernels)


def test_pool_records_its_implementation(device, cpu_kernels):
    x = minigrad.randn(2, 3, 8, 8, device=device, requires_grad=True)
    want = expected(device, cpu_kernels)
    for fn in (lambda t: F.max_pool2d(t, 2), lambda t: F.avg_pool2d(t, 3, 1, 1)):
        y = fn(x)
        assert y.grad_fn.impl == want, y.grad_fn
        # (y * y: the output gradient needs a gradient itself, so the Grad node is recorded)
        (gx,) = minigrad.autograd.grad((y * y).sum(), (x,), create_graph=True)
        assert gx.grad_fn.impl == want, gx.grad_fn  # MaxPoolScatter / AvgPoolBackward
    y = F.max_pool1d(x[:, :, 0], 3, 1, 1)
    assert y.grad_fn.impl == want


def test_pool_window_sizes_without_kernels_take_the_numpy_code(device, cpu_kernels):
    """Forward passes over a window's taps are compiled for 2x2 and 3x3 windows only; the
    max pooling backward (one tap per window) is compiled for every size."""
    x = minigrad.randn(1, 2, 10, 10, device=device, requires_grad=True)
    y = F.max_pool2d(x, 5)
    assert y.grad_fn.impl == expected(device, cpu_kernels, compiled=False)
    (gx,) = minigrad.autograd.grad((y * y).sum(), (x,), create_graph=True)
    assert gx.grad_fn.impl == expected(device, cpu_kernels)
    assert F.avg_pool2d(x, 5).grad_fn.impl == expected(device, cpu_kernels, compiled=False)


@pytest.mark.parametrize(
    "kind", ["batch", "batch_no_affine", "layer", "group", "instance", "rms"]
)  # fmt: skip
def test_norm_records_its_implementation(kind, device, cpu_kernels):
    x = minigrad.randn(4, 6, 5, device=device, requires_grad=True)
    w = minigrad.randn(6, device=device, requires_grad=True)
    fn = {
        "batch": lambda: F.batch_norm(x, None, None, w, w, True),
        "batch_no_affine": lambda: F.batch_norm(x, None, None, None, None, True),
        "layer": lambda: F.layer_norm(x, (5,)),
        "group": lambda: F.group_norm(x, 3, w, w),
        "instance": lambda: F.instance_norm(x, None, None, w, w),
        "rms": lambda: F.rms_norm(x, (6, 5)),
    }[kind]
    y = fn()
    want = expected(device, cpu_kernels)
    node = y.grad_fn
    while type(node).__name__ != "Normalize":  # (views around the core: reshapes)
        node = node.inputs[0].grad_fn
    assert node.impl == want
    (gx,) = minigrad.autograd.grad((y * y).sum(), (x,), create_graph=True)
    grads = []
    stack = [gx.grad_fn]
    while stack:  # find the NormalizeGrad node under the gradient
        f = stack.pop()
        if f is None:
            continue
        if type(f).__name__ == "NormalizeGrad":
            grads.append(f)
            continue
        stack.extend(t.grad_fn for t in (f.inputs or ()) if isinstance(t, minigrad.Tensor))
    assert grads and all(g.impl == want for g in grads)


def test_relu_records_its_implementation(device, cpu_kernels):
    x = minigrad.randn(3, 4, device=device, requires_grad=True)
    y = F.relu(x)
    want = expected(device, cpu_kernels)
    assert y.grad_fn.impl == want
    (gx,) = minigrad.autograd.grad((y * y).sum(), (x,), create_graph=True)
    assert type(gx.grad_fn).__name__ == "ReLUGrad" and gx.grad_fn.impl == want
    xi = minigrad.tensor([[-1, 2]], device=device)  # integers: no kernel
    assert minigrad.relu(xi.float().requires_grad_()).grad_fn.impl == want
    xh = x.detach().to(minigrad.float16).requires_grad_()
    assert F.relu(xh).grad_fn.impl == expected(device, cpu_kernels, compiled=False)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_rnn_records_its_implementation(mode, device, cpu_kernels):
    from minigrad.ops.nn.rnn.rnn_cell import gru_cell, lstm_cell
    from minigrad.ops.nn.rnn.rnn_sequence import recurrent_sequence

    G, T, B, H = (4 if mode == "LSTM" else 3), 3, 2, 5
    want = expected(device, cpu_kernels)
    xg = minigrad.randn(T, B, G * H, device=device, requires_grad=True)
    h0 = minigrad.randn(B, H, device=device)
    c0 = minigrad.randn(B, H, device=device) if mode == "LSTM" else None
    w = minigrad.randn(G * H, H, device=device, requires_grad=True)
    out, *_ = recurrent_sequence(mode, xg, h0, c0, w)
    node = out.grad_fn
    while type(node).__name__ != "RecurrentSequence":  # through the output's view
        node = node.inputs[0].grad_fn
    assert node.impl == want
    hg = minigrad.randn(B, G * H, device=device, requires_grad=True)
    step = lstm_cell(xg[0], hg, c0)[0] if mode == "LSTM" else gru_cell(xg[0], hg, h0)
    assert step.grad_fn.impl == want
    x16, hg16 = (t.detach()[0 if t is xg else ...].half().requires_grad_() for t in (xg, hg))
    if mode == "LSTM":  # float16: no kernel
        step = lstm_cell(x16, hg16, c0.half())[0]
    else:
        step = gru_cell(x16, hg16, h0.half())
    assert step.grad_fn.impl == expected(device, cpu_kernels, compiled=False)


def test_losses_record_their_implementation(device, cpu_kernels):
    """The losses have one ``xp`` implementation: "numpy" on the CPU in both settings."""
    x = minigrad.randn(5, 4, device=device, requires_grad=True)
    t = minigrad.tensor([0, 3, 1, 2, 3], device=device)
    want = expected(device, cpu_kernels, compiled=False)
    loss = F.cross_entropy(x, t)
    nodes, stack = [], [loss.grad_fn]
    while stack:
        f = stack.pop()
        if f is not None:
            nodes.append(f)
            stack.extend(i.grad_fn for i in (f.inputs or ()) if isinstance(i, minigrad.Tensor))
    ce = [f for f in nodes if type(f).__name__ == "CrossEntropy"]
    assert ce and ce[0].impl == want
    (gx,) = minigrad.autograd.grad(loss, (x,), create_graph=True)
    assert type(gx.grad_fn).__name__ == "CrossEntropyGrad" and gx.grad_fn.impl == want
    p = minigrad.sigmoid(x)
    bce = F.binary_cross_entropy(p, (t.reshape(5, 1) > 1).float().expand(5, 4), reduction="none")
    assert type(bce.grad_fn).__name__ == "_BCE" and bce.grad_fn.impl == want
    # a ReLU in front of the loss runs the family's kernel when the setting allows it
    assert F.relu(x).grad_fn.impl == expected(device, cpu_kernels)


def test_the_record_survives_backward_and_shows_in_viz(device, cpu_kernels):
    x = minigrad.randn(2, 3, device=device, requires_grad=True)
    y = F.relu(x)
    node = y.grad_fn
    y.sum().backward()  # frees the node's saved data
    assert node.inputs is None and node.impl == expected(device, cpu_kernels)
    dot = minigrad.viz.to_dot(F.relu(x).sum())
    assert f'label="ReLU\\n{expected(device, cpu_kernels)}"' in dot
    assert 'label="Sum"' in dot  # ops with one implementation show no record


def test_ops_with_one_implementation_record_none(device):
    x = minigrad.randn(3, device=device, requires_grad=True)
    assert (x * 2).grad_fn.impl is None


def test_the_setting_decides_at_call_time(device, cpu_kernels):
    """The choice is made when the op runs, from the setting at that time."""
    x = minigrad.randn(4, 4, device=device, requires_grad=True)
    with minigrad.jit.enabled_as(False):
        off = F.relu(x).grad_fn.impl
    with minigrad.jit.enabled_as(True):
        on = F.relu(x).grad_fn.impl
    assert off == ("cupy" if device.type == "cuda" else "numpy")
    if device.type == "cuda":
        assert on == "cupy"  # the CPU kernels never run on cuda
    else:
        assert on == ("cpu-compiled" if minigrad.jit.available() else "numpy")


def test_values_agree_across_implementations(cpu_kernels):
    """The recorded name matches the code that ran: the compiled path and the NumPy path
    give the same values (a ReLU is exact)."""
    x = minigrad.randn(1000)
    with minigrad.jit.enabled_as(False):
        ref = to_numpy(F.relu(x))
    np.testing.assert_array_equal(to_numpy(F.relu(x)), ref)


@pytest.mark.parametrize("cpu_kernels", ["none"])  # (no fused op of a family runs here)
def test_family_registration_and_selection(cpu_kernels):
    fam = impl.Family("test-double")
    a32, a16 = np.zeros(3, np.float32), np.zeros(3, np.float16)
    assert sorted(fam.supports) == ["cupy", "numpy"]
    with minigrad.jit.enabled_as(True):
        assert impl.select(fam, a32) == "numpy"  # no compiled implementation registered
        fam.register(impl.COMPILED, lambda a: a.dtype == np.float32)
        want = "cpu-compiled" if minigrad.jit.available() else "numpy"
        assert impl.select(fam, a32) == want
        assert impl.select(fam, a16) == "numpy"  # the predicate refuses float16
    with minigrad.jit.enabled_as(False):
        assert impl.select(fam, a32) == "numpy"
    with pytest.raises(ValueError, match="unknown implementation 'gpu'"):
        fam.register("gpu")
    assert impl.family("conv") is impl.family("conv")
    fn = Function()
    before = impl.COUNTS["numpy"]
    with minigrad.jit.enabled_as(False):
        assert impl.choose(fn, fam, a32) == "numpy" == fn.impl
    assert impl.COUNTS["numpy"] == before + 1


def test_every_fused_family_is_registered():
    import minigrad.ops.math.unary  # noqa: F401
    import minigrad.ops.nn.conv.conv  # noqa: F401
    import minigrad.ops.nn.loss.cross_entropy  # noqa: F401
    import minigrad.ops.nn.norm.norm_core  # noqa: F401
    import minigrad.ops.nn.pool.pool_window  # noqa: F401
    import minigrad.ops.nn.rnn.rnn_cell  # noqa: F401

    for name in ("conv", "pool", "norm", "relu", "rnn"):
        assert "cpu-compiled" in impl.family(name).supports, name
    assert "cpu-compiled" not in impl.family("loss").supports
