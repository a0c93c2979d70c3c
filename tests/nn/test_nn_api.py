"""The PyTorch API a ported script reaches for: losses (huber, smooth L1, KL), embedding,
one-hot, transposed convolution, interpolation, adaptive max pooling, channel dropout,
gradient clipping and parameter vectors, backward hooks.

Values and gradients against PyTorch (tests/fixtures/make_nn_api_fixtures.py ->
nn_api.npz), finite-difference gradcheck / gradgradcheck in float64, and invariants.
"""

import json
import math
import warnings

import numpy as np
import pytest
from conftest import load_fixture, to_numpy

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.autograd import gradcheck, gradgradcheck

FIX = load_fixture("nn_api")
OPS = sorted(k.split(".")[1] for k in FIX.files if k.startswith("op.") and k.endswith(".config"))


def _case(name):
    return json.loads(str(FIX[f"op.{name}.config"]))


def _inputs(name, case, device, dtype=minigrad.float64):
    ts = []
    for i, spec in enumerate(case["args"]):
        a = FIX[f"op.{name}.in{i}"]
        if spec[0] == "idx":
            ts.append(minigrad.tensor(a, device=device))
        elif spec[0] in ("sign", "binary", "counts"):  # targets: no gradient
            ts.append(minigrad.tensor(a.astype(dtype), device=device))
        else:
            ts.append(minigrad.tensor(a.astype(dtype), device=device, requires_grad=True))
    kw = {k: tuple(v) if isinstance(v, list) else v for k, v in case["kwargs"].items()}
    if "weight_arg" in case:
        w = ts.pop(case["weight_arg"])
        kw["weight"] = w.detach()
    return ts, kw


def _call(case, ts, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div's reduction='mean' warning, as PyTorch's
        return getattr(F, case["fn"])(*ts, **kw)


def test_fixture_holds_the_ops():
    fns = {_case(n)["fn"] for n in OPS}
    assert {"huber_loss", "kl_div", "embedding", "one_hot", "conv_transpose2d",
            "conv_transpose1d", "interpolate", "adaptive_max_pool2d"} <= fns  # fmt: skip


@pytest.mark.parametrize("name", OPS)
def test_values_and_gradients_match_pytorch(name, device):
    case = _case(name)
    ts, kw = _inputs(name, case, device)
    out = _call(case, ts, kw)
    outs = out if isinstance(out, tuple) else (out,)
    for i, o in enumerate(outs):
        want = FIX[f"op.{name}.out{i}"]
        assert tuple(o.shape) == want.shape
        assert o.dtype == want.dtype
        np.testing.assert_allclose(to_numpy(o), want, rtol=1e-10, atol=1e-12)
    for i, t in enumerate(ts):
        key = f"op.{name}.after{i}"
        if key in FIX.files:  # changed in place (embedding's max_norm)
            np.testing.assert_allclose(to_numpy(t), FIX[key], rtol=1e-10, atol=1e-12)
    if f"op.{name}.gy" in FIX.files:
        outs[0].backward(minigrad.tensor(FIX[f"op.{name}.gy"], device=device))
        for i, t in enumerate(ts):
            key = f"op.{name}.grad{i}"
            if key in FIX.files:
                np.testing.assert_allclose(to_numpy(t.grad), FIX[key], rtol=1e-9, atol=1e-12)
            else:
                assert t.grad is None


def _differentiable(name):
    case = _case(name)
    return f"op.{name}.gy" in FIX.files and "max_norm" not in case["kwargs"]


DIFF = [n for n in OPS if _differentiable(n)]
# padding_idx and scale_grad_by_freq change the gradient on purpose (PyTorch's
# semantics), so finite differences of the forward do not match it.
TRUE_GRAD = [n for n in DIFF if not {"padding_idx", "scale_grad_by_freq"} & set(_case(n)["kwargs"])]


def _fd_fn(name, case, device):
    ts, kw = _inputs(name, case, device)
    consts = {i: t for i, t in enumerate(ts) if not t.requires_grad}
    diff = [t for t in ts if t.requires_grad]

    def fn(*xs):
        it = iter(xs)
        args = [consts[i] if i in consts else next(it) for i in range(len(ts))]
        out = _call(case, args, kw)
        return out[0] if isinstance(out, tuple) else out

    return fn, diff


@pytest.mark.parametrize("name", TRUE_GRAD)
def test_gradcheck(name, device):
    fn, inputs = _fd_fn(name, _case(name), device)
    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("name", DIFF)
def test_gradgradcheck(name, device):
    fn, inputs = _fd_fn(name, _case(name), device)
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize("name", ["conv_t2d_stride", "interp_bilinear", "adaptive_max2d",
                                  "embedding_padding", "huber_mean"])  # fmt: skip
def test_float32_stays_float32(name, device):
    case = _case(name)
    ts, kw = _inputs(name, case, device, dtype=minigrad.float32)
    out = _call(case, ts, kw)
    out = out[0] if isinstance(out, tuple) else out
    assert out.dtype == minigrad.float32
    out.sum().backward()
    assert all(t.grad.dtype == minigrad.float32 for t in ts if t.requires_grad)
    np.testing.assert_allclose(to_numpy(out), FIX[f"op.{name}.out0"], rtol=2e-5, atol=2e-5)


# ------------------------------------------------------------------ nn.utils
CLIPS = sorted(k.split(".")[1] for k in FIX.files if k.startswith("clip.") and k.endswith("config"))


def _params_with_grads(device, dtype=minigrad.float64):
    ps = []
    for i in range(3):
        g = FIX[f"clip.grad{i}"]
        p = minigrad.zeros(*g.shape, dtype=dtype, device=device, requires_grad=True)
        p.grad = minigrad.tensor(g.astype(dtype), device=device)
        ps.append(p)
    return ps


@pytest.mark.parametrize("name", CLIPS)
def test_clip_grad_norm_matches_pytorch(name, device):
    cfg = json.loads(str(FIX[f"clip.{name}.config"]))
    if cfg.get("norm_type") == "inf":
        cfg["norm_type"] = math.inf
    ps = _params_with_grads(device)
    total = nn.utils.clip_grad_norm_(ps, **cfg)
    assert total.shape == () and total.dtype == minigrad.float64
    np.testing.assert_allclose(to_numpy(total), FIX[f"clip.{name}.total"], rtol=1e-12)
    for i, p in enumerate(ps):
        np.testing.assert_allclose(to_numpy(p.grad), FIX[f"clip.{name}.grad{i}"], rtol=1e-12)


def test_clip_grad_value_matches_pytorch(device):
    ps = _params_with_grads(device)
    assert nn.utils.clip_grad_value_(ps, 0.5) is None
    for i, p in enumerate(ps):
        np.testing.assert_array_equal(to_numpy(p.grad), FIX[f"clip.value.grad{i}"])


def test_clip_grad_norm_float32_generator_and_no_grads(device):
    ps = _params_with_grads(device, minigrad.float32)
    total = nn.utils.clip_grad_norm_(iter(ps), 1.0)  # a generator, as model.parameters()
    assert total.dtype == minigrad.float32
    np.testing.assert_allclose(to_numpy(total), FIX["clip.l2.total"], rtol=1e-6)
    assert float(nn.utils.get_total_norm([p.grad for p in ps])) == pytest.approx(1.0, rel=1e-5)
    empty = nn.utils.clip_grad_norm_([minigrad.zeros(2, requires_grad=True)], 1.0)
    assert float(empty) == 0.0


def test_clip_grad_norm_nonfinite(device):
    ps = _params_with_grads(device)
    ps[1].grad._data[0] = np.inf if device.type == "cpu" else ps[1].grad._data[0] * np.inf
    before = to_numpy(ps[0].grad).copy()
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(to_numpy(ps[0].grad), before)  # untouched
    total = nn.utils.clip_grad_norm_(ps, 1.0)
    assert math.isinf(float(total))


def test_parameters_to_vector_roundtrip_and_gradient(device):
    lin = nn.Linear(3, 2, device=device, dtype=minigrad.float64)
    vec = nn.utils.parameters_to_vector(lin.parameters())
    assert vec.shape == (8,)
    np.testing.assert_array_equal(to_numpy(vec[:6]), to_numpy(lin.weight).ravel())
    (vec * minigrad.arange(8.0, dtype=minigrad.float64, device=device)).sum().backward()
    np.testing.assert_array_equal(to_numpy(lin.weight.grad).ravel(), np.arange(6.0))
    np.testing.assert_array_equal(to_numpy(lin.bias.grad), [6.0, 7.0])
    new = minigrad.arange(8.0, dtype=minigrad.float64, device=device) * 0.5
    nn.utils.vector_to_parameters(new, lin.parameters())
    np.testing.assert_array_equal(to_numpy(lin.weight), np.arange(6.0).reshape(2, 3) * 0.5)
    np.testing.assert_array_equal(to_numpy(lin.bias), [3.0, 3.5])
    assert gradcheck(lambda a, b: nn.utils.parameters_to_vector([a, b]),
                     [minigrad.randn(2, 2, dtype=minigrad.float64, requires_grad=True),
                      minigrad.randn(3, dtype=minigrad.float64, requires_grad=True)])  # fmt: skip
    with pytest.raises(TypeError, match="expected minigrad.Tensor"):
        nn.utils.vector_to_parameters(np.zeros(8), lin.parameters())
    with pytest.raises(RuntimeError, match="too short"):
        nn.utils.vector_to_parameters(new[:5], lin.parameters())


# ------------------------------------------------------------------ layers
@pytest.mark.parametrize("fn, shape", [(F.dropout1d, (6, 40, 3)), (F.dropout2d, (5, 40, 2, 3)),
                                       (F.dropout1d, (40, 7))])  # fmt: skip
def test_channel_dropout_zeroes_whole_channels(fn, shape, device):
    minigrad.manual_seed(0)
    x = minigrad.ones(*shape, device=device, requires_grad=True)
    y = fn(x, p=0.25)
    a = to_numpy(y)
    lead = 2 if len(shape) > 2 else 1
    per_channel = a.reshape(shape[:lead] + (-1,))
    assert np.all((per_channel == 0).all(-1) | np.isclose(per_channel, 1 / 0.75).all(-1))
    frac = (per_channel[..., 0] == 0).mean()
    assert 0.05 < frac < 0.5  # about p of the channels are dropped
    y.sum().backward()
    np.testing.assert_array_equal(to_numpy(x.grad), a)  # the gradient is the mask
    assert fn(x, p=0.5, training=False) is x
    assert float(fn(x, p=1.0).abs().sum()) == 0.0
    with pytest.raises(ValueError, match="between 0 and 1"):
        fn(x, p=1.5)


def test_dropout_modules_and_2d_on_3d_input_warns():
    m = nn.Dropout2d(0.5)
    assert repr(m) == "Dropout2d(p=0.5, inplace=False)"
    with pytest.warns(UserWarning, match="channel-wise 1D"):
        m(minigrad.ones(2, 3, 4))
    with pytest.raises(RuntimeError, match="expected 2-D"):
        nn.Dropout1d()(minigrad.ones(2, 3, 4, 5))


def test_embedding_module(device):
    minigrad.manual_seed(0)
    emb = nn.Embedding(50, 8, padding_idx=3, device=device)
    w = to_numpy(emb.weight)
    assert np.all(w[3] == 0) and abs(w.std() - 1) < 0.15  # N(0, 1), padding row zero
    idx = minigrad.tensor([[3, 1, 1], [0, 3, 2]], device=device)
    out = emb(idx)
    assert out.shape == (2, 3, 8)
    out.sum().backward()
    g = to_numpy(emb.weight.grad)
    assert np.all(g[3] == 0) and np.all(g[1] == 2) and np.all(g[0] == 1) and np.all(g[4:] == 0)
    frozen = nn.Embedding.from_pretrained(emb.weight.detach())
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(to_numpy(frozen(idx)), to_numpy(out))
    with pytest.raises(IndexError, match="out of range"):
        emb(minigrad.tensor([50], device=device))
    with pytest.raises(TypeError, match="integer"):
        emb(minigrad.tensor([1.0], device=device))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(5, 2, padding_idx=5)


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(minigrad.tensor([3]), num_classes=3)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(minigrad.tensor([-1]))
    with pytest.raises(RuntimeError, match="empty"):
        F.one_hot(minigrad.tensor(np.zeros(0, dtype=np.int64)))
    assert F.one_hot(minigrad.tensor(np.zeros(0, dtype=np.int64)), 4).shape == (0, 4)


def test_conv_transpose_is_the_adjoint_of_conv(device):
    rng = np.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal((2, 4, 7, 6)), device=device)
    w = minigrad.tensor(rng.standard_normal((6, 2, 3, 3)), device=device)
    y = F.conv2d(x, w, stride=2, padding=1, groups=2)
    u = minigrad.tensor(rng.standard_normal(y.shape), device=device)
    xt = F.conv_transpose2d(u, w, stride=2, padding=1, groups=2, output_padding=(0, 1))
    assert xt.shape == x.shape
    # <conv(x), u> == <x, conv_transpose(u)>
    assert float((y * u).sum()) == pytest.approx(float((x * xt).sum()), rel=1e-10)


def test_conv_transpose_module(device):
    m = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2, device=device)
    assert m.weight.shape == (4, 3, 3, 3) and m.bias.shape == (6,)
    bound = 1 / math.sqrt(3 * 9)  # fan_in = out_channels / groups * k * k, as PyTorch
    assert float(m.weight.abs().max()) <= bound and float(m.bias.abs().max()) <= bound
    x = minigrad.randn(2, 4, 5, 5, device=device)
    assert m(x).shape == (2, 6, 9, 9)
    assert m(x, output_size=[10, 10]).shape == (2, 6, 10, 10)
    assert m(x[0]).shape == (6, 9, 9)
    with pytest.raises(ValueError, match="valid sizes range from 9 to 10"):
        m(x, output_size=(11, 11))
    with pytest.raises(ValueError, match="output padding must be smaller"):
        F.conv_transpose2d(x, m.weight, stride=2, output_padding=2, groups=2)
    with pytest.raises(ValueError, match="only 'zeros'"):
        nn.ConvTranspose1d(2, 2, 3, padding_mode="reflect")


def test_interpolate_errors_and_upsample():
    x = minigrad.randn(1, 2, 3, 4)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners option"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="linear mode needs 3D"):
        F.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(ValueError, match="unknown mode"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
    up = nn.Upsample(size=(6, 8), mode="bilinear", align_corners=True)
    np.testing.assert_allclose(
        to_numpy(up(x)), to_numpy(F.interpolate(x, (6, 8), mode="bilinear", align_corners=True))
    )
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert nn.UpsamplingNearest2d(scale_factor=3)(x).shape == (1, 2, 9, 12)


def test_adaptive_max_pool_module():
    m = nn.AdaptiveMaxPool2d(2, return_indices=True)
    y, idx = m(minigrad.arange(16.0).reshape(1, 1, 4, 4))
    assert y.flatten().tolist() == [5.0, 7.0, 13.0, 15.0]
    assert idx.flatten().tolist() == [5, 7, 13, 15]


def test_loss_modules():
    a, b = minigrad.randn(4, 3), minigrad.randn(4, 3)
    assert float(nn.HuberLoss(delta=0.5)(a, b)) == pytest.approx(
        float(F.huber_loss(a, b, delta=0.5))
    )
    lp, q = F.log_softmax(a, dim=1), F.softmax(b, dim=1)
    kl = nn.KLDivLoss(reduction="batchmean")(lp, q)
    assert float(kl) == pytest.approx(float((q * (q.log() - lp)).sum()) / 4, rel=1e-6)
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(lp, q)
    with pytest.raises(ValueError, match="reduction"):
        nn.KLDivLoss(reduction="avg")
    with pytest.raises(ValueError, match="delta"):
        F.huber_loss(a, b, delta=0.0)


# ------------------------------------------------------------------ inplace, hooks, .to
def test_relu_inplace(device):
    x = minigrad.tensor([-1.0, 0.5, 2.0], device=device)
    v0 = x._version
    y = F.relu(x, inplace=True)
    assert y is x and x.tolist() == [0.0, 0.5, 2.0] and x._version == v0 + 1
    w = minigrad.tensor([-1.0, 0.5, 2.0], device=device, requires_grad=True)
    y = F.relu(w, inplace=True)  # in the graph: a new tensor, PyTorch's values and grads
    assert y is not w and y.tolist() == [0.0, 0.5, 2.0] and w.tolist() == [-1.0, 0.5, 2.0]
    y.sum().backward()
    assert w.grad.tolist() == [0.0, 1.0, 1.0]
    with minigrad.no_grad():
        assert F.relu(w, inplace=True) is w
    assert w.tolist() == [0.0, 0.5, 2.0]


INPLACE_MODULES = [nn.ReLU(True), nn.LeakyReLU(0.1, True), nn.ELU(inplace=True),
                   nn.Hardtanh(inplace=True), nn.SiLU(True), nn.ReLU6(True)]  # fmt: skip


@pytest.mark.parametrize("module", INPLACE_MODULES)
def test_activation_modules_inplace(module, device):
    x = minigrad.tensor([-2.0, 0.5, 7.0], device=device)
    want = module.__class__.__new__(module.__class__)
    want.__dict__.update(module.__dict__)
    want.__dict__["inplace"] = False
    expected = to_numpy(want(x)).copy()
    y = module(x)
    assert y is x
    np.testing.assert_array_equal(to_numpy(x), expected)


def _two_input_module():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(minigrad.tensor([1.0, 2.0, 3.0], dtype=minigrad.float64))

        def forward(self, x, k, y):
            return x * self.w * k + y * y, (x * y).sum()

    return M()


def test_full_backward_hook_semantics(device):
    # Expected values are PyTorch 2.13's on the same module (checked when written).
    m = _two_input_module().to(device)
    seen = []
    m.register_full_backward_pre_hook(lambda mod, go: seen.append(("pre", go)))

    def hook(mod, grad_input, grad_output):
        seen.append(("hook", grad_input, grad_output))
        return (grad_input[0] * 10, None, grad_input[2])

    h = m.register_full_backward_hook(hook)
    x = minigrad.tensor([1.0, 2.0, 3.0], dtype=minigrad.float64, device=device, requires_grad=True)
    y = minigrad.tensor([0.5, -1.0, 2.0], dtype=minigrad.float64, device=device, requires_grad=True)
    a, b = m(x, 2.0, y)
    (a.sum() + 3 * b).backward()
    (kind0, go_pre), (kind1, gi, go) = seen
    assert kind0 == "pre" and kind1 == "hook"
    assert to_numpy(go_pre[0]).tolist() == [1.0, 1.0, 1.0] and float(go_pre[1]) == 3.0
    assert len(gi) == 3 and gi[1] is None  # one entry per positional argument
    np.testing.assert_allclose(to_numpy(gi[0]), [3.5, 1.0, 12.0])  # 2*w + 3*y
    np.testing.assert_allclose(to_numpy(gi[2]), [4.0, 4.0, 13.0])  # 2*y + 3*x
    assert go[0] is go_pre[0]
    np.testing.assert_allclose(to_numpy(x.grad), [35.0, 10.0, 120.0])  # replaced
    np.testing.assert_allclose(to_numpy(y.grad), [4.0, 4.0, 13.0])
    np.testing.assert_allclose(to_numpy(m.w.grad), [2.0, 4.0, 6.0])  # parameters untouched
    h.remove()
    seen.clear()
    x.grad = None
    m(x, 2.0, y)[0].sum().backward()
    assert [s[0] for s in seen] == ["pre"]
    np.testing.assert_allclose(to_numpy(x.grad), [2.0, 4.0, 6.0])


def test_full_backward_hook_without_input_grads_and_errors():
    lin = nn.Linear(3, 2)
    seen = []
    lin.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go[0].shape)))
    lin(minigrad.ones(4, 3)).sum().backward()  # only the parameters need gradients
    assert seen == [((None,), (4, 2))]
    assert lin.weight.grad is not None
    bad = nn.Linear(3, 2)
    bad.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but expected 1"):
        bad(minigrad.ones(1, 3, requires_grad=True)).sum().backward()
    with minigrad.no_grad():  # no graph: hooks are not involved
        assert bad(minigrad.ones(1, 3)).shape == (1, 2)


def test_backward_hooks_in_sequential_order_and_prepend():
    order = []
    net = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    for i, m in enumerate(net):
        m.register_full_backward_hook(lambda mod, gi, go, i=i: order.append(i))
    net[2].register_full_backward_hook(lambda mod, gi, go: order.append("first"), prepend=True)
    net(minigrad.randn(5, 2, requires_grad=True)).sum().backward()
    assert order == ["first", 2, 1, 0]


def test_module_to_non_blocking(device):
    lin = nn.Linear(2, 2)
    assert lin.to(device, non_blocking=True) is lin
    assert lin.weight.device == device
    assert lin.to(dtype=minigrad.float64, non_blocking=True).weight.dtype == minigrad.float64


# ------------------------------------------------------------------ audit additions
def test_parameter_list_and_dict(device):
    ps = nn.ParameterList([minigrad.zeros(2), nn.Parameter(minigrad.ones(3))]).to(device)
    assert all(isinstance(p, nn.Parameter) and p.device == device for p in ps)
    ps.append(minigrad.ones(1))
    assert len(ps) == 3 and [n for n, _ in ps.named_parameters()] == ["0", "1", "2"]
    ps[0] = minigrad.full((2,), 5.0)
    assert ps[0].tolist() == [5.0, 5.0] and len(ps[1:]) == 2
    pd = nn.ParameterDict({"a": minigrad.ones(2)})
    pd["b"] = minigrad.zeros(1)
    assert "b" in pd and list(pd) == ["a", "b"] and isinstance(pd["b"], nn.Parameter)

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.ps, self.pd = ps, pd

    m = M()
    keys = sorted(m.state_dict())
    assert keys == ["pd.a", "pd.b", "ps.0", "ps.1", "ps.2"]
    assert len(list(m.parameters())) == 5
    m2 = M()
    m2.load_state_dict(m.state_dict())


def test_prelu_module_and_padding_modules(device):
    m = nn.PReLU(3, device=device)
    assert m.weight.tolist() == [0.25] * 3
    x = minigrad.tensor([[-4.0, 1.0, -2.0]], device=device).reshape(1, 3)
    assert m(x).tolist() == [[-1.0, 1.0, -0.5]]
    with pytest.raises(RuntimeError, match="parameter count"):
        m(minigrad.ones(2, 4, device=device))
    x = minigrad.arange(6.0, device=device).reshape(1, 2, 3)
    np.testing.assert_array_equal(to_numpy(nn.ReflectionPad1d((1, 2))(x)),
                                  to_numpy(F.pad(x, (1, 2), mode="reflect")))  # fmt: skip
    assert nn.ZeroPad2d((1, 0, 2, 0))(minigrad.ones(1, 2, 2, device=device)).shape == (1, 4, 3)
    assert repr(nn.ConstantPad1d(2, 1.5)) == "ConstantPad1d(padding=(2, 2), value=1.5)"
    with pytest.raises(ValueError, match="tuple of 4"):
        nn.ReplicationPad2d((1, 2))


def test_distance_modules_and_pixel_shuffle_roundtrip(device):
    a = minigrad.randn(4, 6, device=device)
    b = minigrad.randn(4, 6, device=device)
    cs = nn.CosineSimilarity(dim=1)(a, b)
    want = (to_numpy(a) * to_numpy(b)).sum(1) / (
        np.linalg.norm(to_numpy(a), axis=1) * np.linalg.norm(to_numpy(b), axis=1)
    )
    np.testing.assert_allclose(to_numpy(cs), want, rtol=1e-5)
    d = nn.PairwiseDistance(p=1.0, eps=0.0)(a, b)
    np.testing.assert_allclose(to_numpy(d), np.abs(to_numpy(a) - to_numpy(b)).sum(1), rtol=1e-5)
    x = minigrad.randn(2, 12, 3, 4, device=device)
    y = nn.PixelShuffle(2)(x)
    assert y.shape == (2, 3, 6, 8)
    np.testing.assert_array_equal(to_numpy(nn.PixelUnshuffle(2)(y)), to_numpy(x))
    with pytest.raises(RuntimeError, match="divisible"):
        F.pixel_shuffle(minigrad.ones(1, 3, 2, 2), 2)


def test_structured_inits():
    w = nn.init.orthogonal_(minigrad.empty(6, 3, 2), gain=2.0)
    m = to_numpy(w).reshape(6, 6)
    np.testing.assert_allclose(m.T @ m, 4 * np.eye(6), atol=1e-5)
    tall = to_numpy(nn.init.orthogonal_(minigrad.empty(5, 3, dtype=minigrad.float64)))
    np.testing.assert_allclose(tall.T @ tall, np.eye(3), atol=1e-12)
    assert to_numpy(nn.init.eye_(minigrad.empty(3, 2))).tolist() == [[1, 0], [0, 1], [0, 0]]
    conv = nn.Conv2d(4, 4, 3, padding=1, bias=False)
    nn.init.dirac_(conv.weight)
    x = minigrad.randn(1, 4, 5, 5)
    np.testing.assert_allclose(to_numpy(conv(x)), to_numpy(x), atol=1e-6)
    w = to_numpy(nn.init.dirac_(minigrad.empty(4, 2, 3), groups=2))
    assert w[:, :, 1].tolist() == [[1, 0], [0, 1], [1, 0], [0, 1]]
    with pytest.raises(ValueError, match="2 or more"):
        nn.init.orthogonal_(minigrad.empty(3))


def test_optimizer_pytorch_keywords_and_named_parameters():
    from minigrad import optim

    m = nn.Linear(2, 2)
    opt = optim.AdamW(m.named_parameters(), lr=0.1, fused=False, foreach=None, capturable=False)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    m(minigrad.ones(1, 2)).sum().backward()
    opt.step()
    opt2 = optim.AdamW(m.named_parameters(), lr=0.1)
    opt2.load_state_dict(opt.state_dict())
    assert opt2.state[m.weight]["step"] == 1
    optim.SGD(m.parameters(), lr=0.1, foreach=True, differentiable=False, fused=None)
    optim.Adam(m.parameters(), foreach=False, fused=None)


# ------------------------------------------------------------------ attention
MHA = sorted(k.split(".")[1] for k in FIX.files if k.startswith("mha.") and k.endswith("config"))
SDPA = sorted(k.split(".")[1] for k in FIX.files if k.startswith("sdpa.") and k.endswith("config"))


def _t(key, device, grad=False):
    a = FIX[key]
    return minigrad.tensor(a, device=device, requires_grad=grad and a.dtype.kind == "f")


@pytest.mark.parametrize("name", MHA)
def test_multihead_attention_matches_pytorch(name, device):
    cfg = json.loads(str(FIX[f"mha.{name}.config"]))
    m = nn.MultiheadAttention(**cfg["init"], dtype=minigrad.float64, device=device)
    prefix = f"mha.{name}.param."
    params = {k[len(prefix) :]: FIX[k] for k in FIX.files if k.startswith(prefix)}
    assert set(params) == set(m.state_dict())
    m.load_state_dict({k: minigrad.tensor(v, device=device) for k, v in params.items()})
    q, k, v = (_t(f"mha.{name}.in.{n}", device, grad=True) for n in "qkv")
    call = dict(cfg.get("call", {}))
    for mk in ("key_padding_mask", "attn_mask"):
        if f"mha.{name}.in.{mk}" in FIX.files:
            call[mk] = _t(f"mha.{name}.in.{mk}", device)
    out, w = m(q, k, v, **call)
    np.testing.assert_allclose(to_numpy(out), FIX[f"mha.{name}.out"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_numpy(w), FIX[f"mha.{name}.weights"], rtol=1e-10, atol=1e-12)
    (out * minigrad.tensor(FIX[f"mha.{name}.gy"], device=device)).sum().backward()
    for n, t in zip("qkv", (q, k, v)):
        np.testing.assert_allclose(to_numpy(t.grad), FIX[f"mha.{name}.grad.{n}"], rtol=1e-9,
                                   atol=1e-12)  # fmt: skip
    for pname, p in m.named_parameters():
        np.testing.assert_allclose(to_numpy(p.grad), FIX[f"mha.{name}.pgrad.{pname}"],
                                   rtol=1e-9, atol=1e-12)  # fmt: skip


@pytest.mark.parametrize("name", SDPA)
def test_scaled_dot_product_attention_matches_pytorch(name, device):
    kw = json.loads(str(FIX[f"sdpa.{name}.config"]))
    q, k, v = (_t(f"sdpa.{name}.in.{n}", device, grad=True) for n in "qkv")
    if f"sdpa.{name}.in.attn_mask" in FIX.files:
        kw["attn_mask"] = _t(f"sdpa.{name}.in.attn_mask", device)
    out = F.scaled_dot_product_attention(q, k, v, **kw)
    np.testing.assert_allclose(to_numpy(out), FIX[f"sdpa.{name}.out"], rtol=1e-10, atol=1e-12)
    (out * minigrad.tensor(FIX[f"sdpa.{name}.gy"], device=device)).sum().backward()
    for n, t in zip("qkv", (q, k, v)):
        np.testing.assert_allclose(to_numpy(t.grad), FIX[f"sdpa.{name}.grad.{n}"], rtol=1e-9,
                                   atol=1e-12)  # fmt: skip


def test_attention_gradcheck_and_errors():
    rng = np.random.default_rng(0)
    q, k, v = (minigrad.tensor(rng.standard_normal(s), requires_grad=True)
               for s in ((2, 3, 4), (2, 5, 4), (2, 5, 2)))  # fmt: skip
    mask = minigrad.tensor(rng.uniform(size=(3, 5)) > 0.3)
    mask._data[:, 0] = True

    def fn(a, b, c):
        return F.scaled_dot_product_attention(a, b, c, attn_mask=mask)

    assert gradcheck(fn, [q, k, v])
    assert gradgradcheck(fn, [q, k, v])
    with pytest.raises(RuntimeError, match="attn_mask should not be set"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=True)
    with pytest.raises(ValueError, match="divisible by num_heads"):
        nn.MultiheadAttention(6, 4)
    m = nn.MultiheadAttention(4, 2)
    x = minigrad.randn(3, 2, 4)
    with pytest.raises(RuntimeError, match="need attn_mask"):
        m(x, x, x, is_causal=True)
    out, w = m(x, x, x, need_weights=False)
    assert out.shape == (3, 2, 4) and w is None


TF = sorted(k.split(".")[1] for k in FIX.files if k.startswith("tf.") and k.endswith("config"))


@pytest.mark.parametrize("name", TF)
def test_transformer_encoder_matches_pytorch(name, device):
    cfg = json.loads(str(FIX[f"tf.{name}.config"]))
    layer = nn.TransformerEncoderLayer(**cfg["layer"], dtype=minigrad.float64, device=device)
    if "num_layers" in cfg:
        norm = nn.LayerNorm(cfg["layer"]["d_model"], dtype=minigrad.float64, device=device)
        m = nn.TransformerEncoder(layer, cfg["num_layers"], norm=norm)
    else:
        m = layer
    prefix = f"tf.{name}.param."
    params = {k[len(prefix) :]: FIX[k] for k in FIX.files if k.startswith(prefix)}
    assert set(params) == set(m.state_dict())
    m.load_state_dict({k: minigrad.tensor(v, device=device) for k, v in params.items()})
    m.eval()
    x = _t(f"tf.{name}.in.x", device, grad=True)
    call = {}
    if cfg.get("causal"):
        mask = nn.generate_square_subsequent_mask(cfg["shape"][0], device, minigrad.float64)
        call = dict(src_mask=mask, is_causal=True)
    if cfg.get("kpm"):
        call["src_key_padding_mask"] = _t(f"tf.{name}.in.kpm", device)
    out = m(x, **call)
    np.testing.assert_allclose(to_numpy(out), FIX[f"tf.{name}.out"], rtol=1e-9, atol=1e-11)
    (out * minigrad.tensor(FIX[f"tf.{name}.gy"], device=device)).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), FIX[f"tf.{name}.grad.x"], rtol=1e-8, atol=1e-11)
    for pname, p in m.named_parameters():
        np.testing.assert_allclose(to_numpy(p.grad), FIX[f"tf.{name}.pgrad.{pname}"],
                                   rtol=1e-8, atol=1e-11)  # fmt: skip


def test_get_parameter_and_buffer():
    m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    assert m.get_parameter("0.weight") is m[0].weight
    assert m.get_buffer("1.running_mean") is m[1].running_mean
    with pytest.raises(AttributeError, match="no parameter `nope`"):
        m.get_parameter("0.nope")
    with pytest.raises(AttributeError, match="no submodule"):
        m.get_buffer("5.running_mean")


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(batch_first, side, device):
    from minigrad.nn.utils.rnn import pad_sequence, unpad_sequence

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((n, 2)) for n in (3, 1, 2)]
    seqs = [minigrad.tensor(a, device=device, requires_grad=True) for a in arrays]
    out = pad_sequence(seqs, batch_first=batch_first, padding_value=-1.0, padding_side=side)
    want = np.full((3, 3, 2), -1.0)  # (B, L, 2)
    for i, a in enumerate(arrays):
        if side == "right":
            want[i, : len(a)] = a
        else:
            want[i, 3 - len(a) :] = a
    if not batch_first:
        want = want.transpose(1, 0, 2)
    np.testing.assert_array_equal(to_numpy(out), want)
    out.sum().backward()
    assert all(to_numpy(s.grad).tolist() == np.ones(s.shape).tolist() for s in seqs)
    if side == "right":
        back = unpad_sequence(out, [3, 1, 2], batch_first=batch_first)
        for b, a in zip(back, arrays):
            np.testing.assert_array_equal(to_numpy(b), a)
    with pytest.raises(ValueError, match="trailing shape"):
        pad_sequence([minigrad.ones(2, 3), minigrad.ones(2, 4)])


@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_formula_and_moments(feature, device):
    fn = F.feature_alpha_dropout if feature else F.alpha_dropout
    minigrad.manual_seed(0)
    x = minigrad.randn(400, 50, 4, device=device, dtype=minigrad.float64, requires_grad=True)
    assert fn(x, 0.3) is x  # functional default: training=False, as PyTorch
    y = fn(x, 0.3, training=True)
    p, alpha = 0.3, 1.7580993408473766
    a = 1 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    xv, yv = to_numpy(x), to_numpy(y)
    dropped = np.abs(yv - a * alpha * (p - 1)) < 1e-12
    np.testing.assert_allclose(yv[~dropped], xv[~dropped] * a + alpha * a * p, rtol=1e-12)
    assert 0.25 < dropped.mean() < 0.35
    if feature:  # whole channels
        assert np.all(dropped.all(-1) | (~dropped).all(-1))
    assert abs(yv.mean()) < 0.05 and abs(yv.std() - 1) < 0.05  # self-normalizing
    y.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), np.where(dropped, 0.0, a))
    m = nn.AlphaDropout(0.3).eval()
    assert m(x) is x


WN = sorted(k.split(".")[1] for k in FIX.files if k.startswith("wn.") and k.endswith("config"))


@pytest.mark.parametrize("name", WN)
def test_weight_norm_matches_pytorch(name, device):
    cfg = json.loads(str(FIX[f"wn.{name}.config"]))
    cls, args = cfg["module"]
    m = getattr(nn, cls)(*args, dtype=minigrad.float64, device=device)
    w0 = minigrad.tensor(FIX[f"wn.{name}.weight0"], device=device)
    b0 = minigrad.tensor(FIX[f"wn.{name}.bias0"], device=device)
    m.load_state_dict({"weight": w0, "bias": b0})
    nn.utils.weight_norm(m, dim=cfg["dim"])
    assert sorted(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    # at creation, g * v / ||v|| is the original weight
    np.testing.assert_allclose(to_numpy(m.weight), FIX[f"wn.{name}.weight0"], rtol=1e-12)
    m.load_state_dict({k: minigrad.tensor(FIX[f"wn.{name}.param.{k}"], device=device)
                       for k in ("weight_g", "weight_v", "bias")})  # fmt: skip
    out = m(minigrad.tensor(FIX[f"wn.{name}.x"], device=device))
    np.testing.assert_allclose(to_numpy(out), FIX[f"wn.{name}.out"], rtol=1e-10, atol=1e-12)
    (out * minigrad.tensor(FIX[f"wn.{name}.gy"], device=device)).sum().backward()
    for pname in ("weight_g", "weight_v", "bias"):
        want = FIX[f"wn.{name}.pgrad.{pname}"]
        np.testing.assert_allclose(to_numpy(getattr(m, pname).grad), want, rtol=1e-9, atol=1e-12)
    with pytest.raises(RuntimeError, match="two weight_norm"):
        nn.utils.weight_norm(m, dim=cfg["dim"])
    nn.utils.remove_weight_norm(m)
    assert sorted(m.state_dict()) == ["bias", "weight"] and isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(to_numpy(m(minigrad.tensor(FIX[f"wn.{name}.x"], device=device))),
                               FIX[f"wn.{name}.out"], rtol=1e-10, atol=1e-12)  # fmt: skip


SN = sorted(k.split(".")[1] for k in FIX.files if k.startswith("sn.") and k.endswith("config"))


@pytest.mark.parametrize("name", SN)
def test_spectral_norm_matches_pytorch(name, device):
    cfg = json.loads(str(FIX[f"sn.{name}.config"]))
    cls, args = cfg["module"]
    m = nn.utils.spectral_norm(getattr(nn, cls)(*args, dtype=minigrad.float64, device=device),
                               **cfg["kw"])  # fmt: skip
    prefix = f"sn.{name}.init."
    init = {k[len(prefix) :]: FIX[k] for k in FIX.files if k.startswith(prefix)}
    assert sorted(init) == sorted(m.state_dict())
    m.load_state_dict({k: minigrad.tensor(v, device=device) for k, v in init.items()})
    x = minigrad.tensor(FIX[f"sn.{name}.x"], device=device)
    m(x)
    out = m(x)
    np.testing.assert_allclose(to_numpy(out), FIX[f"sn.{name}.out"], rtol=1e-10, atol=1e-12)
    (out * minigrad.tensor(FIX[f"sn.{name}.gy"], device=device)).sum().backward()
    want = FIX[f"sn.{name}.grad.weight_orig"]
    np.testing.assert_allclose(to_numpy(m.weight_orig.grad), want, rtol=1e-9, atol=1e-12)
    for k, v in m.state_dict().items():
        np.testing.assert_allclose(to_numpy(v), FIX[f"sn.{name}.final.{k}"], rtol=1e-10,
                                   atol=1e-12)  # fmt: skip
    m.eval()
    np.testing.assert_allclose(to_numpy(m(x)), FIX[f"sn.{name}.eval_out"], rtol=1e-10,
                               atol=1e-12)  # fmt: skip
    nn.utils.remove_spectral_norm(m)
    assert "weight" in m.state_dict() and "weight_u" not in m.state_dict()


def test_rrelu_training_draws_slopes_in_range(device):
    minigrad.manual_seed(0)
    x = minigrad.randn(2000, device=device, dtype=minigrad.float64, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    xv, yv = to_numpy(x), to_numpy(y)
    neg = xv < 0
    slope = yv[neg] / xv[neg]
    assert slope.min() >= 0.1 and slope.max() <= 0.3 and slope.std() > 0.03
    np.testing.assert_array_equal(yv[~neg], xv[~neg])
    y.sum().backward()
    g = to_numpy(x.grad)
    np.testing.assert_allclose(g[neg], slope, rtol=1e-12)
    assert np.all(g[~neg] == 1)
    m = nn.RReLU(0.1, 0.3)
    assert float(m.eval()(minigrad.tensor([-1.0]))) == pytest.approx(-0.2)


DEC = sorted(k.split(".")[1] for k in FIX.files if k.startswith("dec.") and k.endswith("config"))


@pytest.mark.parametrize("name", DEC)
def test_transformer_decoder_matches_pytorch(name, device):
    cfg = json.loads(str(FIX[f"dec.{name}.config"]))
    dd = dict(dtype=minigrad.float64, device=device)
    if "full" in cfg:
        m = nn.Transformer(**cfg["full"], **dd)
    else:
        m = nn.TransformerDecoderLayer(**cfg["layer"], **dd)
    prefix = f"dec.{name}.param."
    params = {k[len(prefix) :]: FIX[k] for k in FIX.files if k.startswith(prefix)}
    assert set(params) == set(m.state_dict())
    m.load_state_dict({k: minigrad.tensor(v, device=device) for k, v in params.items()})
    m.eval()
    tgt = _t(f"dec.{name}.in.tgt", device, grad=True)
    mem = _t(f"dec.{name}.in.mem", device, grad=True)
    call = {}
    if cfg.get("causal"):
        call["tgt_mask"] = nn.Transformer.generate_square_subsequent_mask(cfg["tgt"][0], **dd)
        call["tgt_is_causal"] = True
    if cfg.get("mem_kpm"):
        call["memory_key_padding_mask"] = _t(f"dec.{name}.in.kpm", device)
    out = m(mem, tgt, **call) if "full" in cfg else m(tgt, mem, **call)
    np.testing.assert_allclose(to_numpy(out), FIX[f"dec.{name}.out"], rtol=1e-9, atol=1e-11)
    (out * minigrad.tensor(FIX[f"dec.{name}.gy"], device=device)).sum().backward()
    for n, t in (("tgt", tgt), ("mem", mem)):
        want = FIX[f"dec.{name}.grad.{n}"]
        np.testing.assert_allclose(to_numpy(t.grad), want, rtol=1e-8, atol=1e-11)
    for pname, p in m.named_parameters():
        want = FIX[f"dec.{name}.pgrad.{pname}"]
        np.testing.assert_allclose(to_numpy(p.grad), want, rtol=1e-8, atol=1e-11)
