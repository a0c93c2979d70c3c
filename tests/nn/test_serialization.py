"""Checkpoints: round trips of nested state, atomic writes, and refusal of damaged files."""

import os

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from conftest import FIXTURES, to_numpy
from hypothesis import HealthCheck, given, settings

import minigrad
from minigrad.optim import SGD, Adam
from minigrad.serialization import CheckpointError


def _state(device):
    return {
        "model": {
            "fc.weight": minigrad.randn(3, 4, device=device),
            "fc.bias": minigrad.zeros(3, device=device, dtype=minigrad.float64),
            "bn.num_batches_tracked": minigrad.tensor(5, device=device),
            "mask": minigrad.tensor([True, False], device=device),
            "half": minigrad.ones(2, device=device, dtype=minigrad.float16),
        },
        "epoch": 12,
        "best": float("inf"),
        "lr": 0.1,
        "nan": float("nan"),
        "name": "run-ü",
        "flag": False,
        "nothing": None,
        "betas": (0.9, 0.999),
        "history": [1.5, [2, "x"], {}],
        "by_int": {0: "zero", 1: {"step": 3}},
        "np": np.arange(6, dtype=np.int32).reshape(2, 3),
        "npscalar": np.float32(2.5),
    }


def test_round_trip_nested(tmp_path, device):
    obj = _state(device)
    path = tmp_path / "ck.npz"
    minigrad.save(obj, path)
    back = minigrad.load(path)
    assert set(back) == set(obj)
    for k, t in obj["model"].items():
        b = back["model"][k]
        assert isinstance(b, minigrad.Tensor) and b.device == device
        assert b.dtype == t.dtype and b.shape == t.shape
        np.testing.assert_array_equal(to_numpy(b), to_numpy(t))
    assert back["epoch"] == 12 and isinstance(back["epoch"], int)
    assert back["best"] == float("inf") and np.isnan(back["nan"])
    assert (back["lr"], back["name"], back["flag"], back["nothing"]) == (0.1, "run-ü", False, None)
    assert back["betas"] == (0.9, 0.999) and isinstance(back["betas"], tuple)
    assert back["history"] == [1.5, [2, "x"], {}]
    assert back["by_int"] == {0: "zero", 1: {"step": 3}}
    np.testing.assert_array_equal(back["np"], obj["np"])
    assert back["np"].dtype == np.int32
    assert back["npscalar"] == np.float32(2.5) and back["npscalar"].dtype == np.float32


def test_map_location_and_requires_grad(tmp_path, device):
    w = minigrad.randn(2, 2, device=device, requires_grad=True)
    minigrad.save({"w": w}, tmp_path / "w.npz")
    back = minigrad.load(tmp_path / "w.npz", map_location="cpu")["w"]
    assert back.device == minigrad.device("cpu") and back.requires_grad and back.is_leaf
    back = minigrad.load(tmp_path / "w.npz", map_location={str(device): "cpu"})["w"]
    assert back.device == minigrad.device("cpu")
    np.testing.assert_array_equal(to_numpy(back), to_numpy(w.detach()))


def test_weights_only_is_accepted_either_way(tmp_path, device):
    """PyTorch's ``load(..., weights_only=...)``: accepted; nothing is ever unpickled, so
    both values load the same tensors."""
    path = tmp_path / "w.safetensors"
    minigrad.save({"w": minigrad.arange(3.0, device=device)}, path)
    for flag in (True, False):
        got = minigrad.load(path, weights_only=flag)
        np.testing.assert_array_equal(to_numpy(got["w"]), [0.0, 1.0, 2.0])


def test_optimizer_state_round_trip(tmp_path, device):
    ps = [minigrad.randn(3, device=device, requires_grad=True) for _ in range(2)]
    opt = Adam([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.01}], lr=0.1, amsgrad=True)
    for _ in range(2):
        opt.zero_grad()
        sum((p * p).sum() for p in ps).backward()
        opt.step()
    minigrad.save(opt.state_dict(), tmp_path / "opt.npz")
    sd = minigrad.load(tmp_path / "opt.npz")
    assert sd["param_groups"][1]["lr"] == 0.01 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert sd["state"][1]["step"] == 2
    qs = [minigrad.tensor(to_numpy(p), device=device, requires_grad=True) for p in ps]
    opt2 = Adam([{"params": qs[:1]}, {"params": qs[1:]}], lr=0.5)
    opt2.load_state_dict(sd)
    for o, params in ((opt, ps), (opt2, qs)):
        o.zero_grad()
        sum((p * p).sum() for p in params).backward()
        o.step()
    for p, q in zip(ps, qs):
        np.testing.assert_array_equal(to_numpy(p.detach()), to_numpy(q.detach()))


def test_unsupported_objects_are_refused(tmp_path):
    with pytest.raises(TypeError, match=r"type object at \['a'\]\[0\]"):
        minigrad.save({"a": [object()]}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="dtype object"):
        minigrad.save({"a": np.array([{}], dtype=object)}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="dict key"):
        minigrad.save({(1, 2): 3}, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)  # nothing half-written left behind


def test_save_into_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="directory .*nope.* does not exist"):
        minigrad.save({"v": 1}, tmp_path / "nope" / "ck.npz")


def test_atomic_replace_leaves_no_temp_files(tmp_path):
    path = tmp_path / "ck.npz"
    minigrad.save({"v": 1}, path)
    minigrad.save({"v": 2}, path)
    assert minigrad.load(path) == {"v": 2}
    assert os.listdir(tmp_path) == ["ck.npz"]
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    with pytest.raises(TypeError):  # a failed save keeps the old checkpoint intact
        minigrad.save({"v": 3, "bad": object()}, path)
    assert minigrad.load(path) == {"v": 2}
    assert os.listdir(tmp_path) == ["ck.npz"]


# ----------------------------------------------------------------------------- damage
def _saved(tmp_path):
    path = tmp_path / "ck.safetensors"
    w = minigrad.tensor(np.arange(64, dtype=np.float64).reshape(8, 8) + 0.25)
    minigrad.save({"fc.weight": w, "step": 4, "groups": [{"lr": 0.1}]}, path)
    return path


def test_the_file_is_safetensors_with_keys_as_names(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    path = _saved(tmp_path)
    arrays = safetensors_numpy.load_file(str(path))
    assert list(arrays) == ["fc.weight"]
    np.testing.assert_array_equal(arrays["fc.weight"], np.arange(64.0).reshape(8, 8) + 0.25)


def test_corrupted_byte_is_refused(tmp_path):
    path = _saved(tmp_path)
    raw = bytearray(path.read_bytes())
    at = raw.find((np.arange(64, dtype=np.float64) + 0.25)[20:24].tobytes())
    assert at > 0
    raw[at + 3] ^= 0x40
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="fails its SHA-256 check"):
        minigrad.load(path)


def _fuzz_cases(raw: bytes, every: int = 1):
    """Damaged copies of a file: a changed byte at every ``every``-th position (the kind of
    change cycling through four), cuts at many lengths, and appended bytes."""
    changes = (0xFF, 0x01, 0x20, None)  # None: set to a newline (JSON whitespace)
    for i in range(0, len(raw), every):
        change = changes[(i // every) % len(changes)]
        bad = bytearray(raw)
        if change is None:
            if raw[i] == 0x0A:
                continue
            bad[i] = 0x0A
        else:
            bad[i] ^= change
        yield f"byte {i} changed ({change})", bytes(bad)
    for keep in sorted({*range(0, len(raw), 13), len(raw) - 1}):
        yield f"cut to {keep} bytes", raw[:keep]
    for extra in (b"\0", b" ", b"\n", b"{}", bytes(64)):
        yield f"appended {extra!r}", raw + extra


@pytest.mark.parametrize("fmt", ["safetensors", "npz"])
def test_fuzz_every_damaged_file_raises_checkpoint_error(tmp_path, fmt):
    if fmt == "npz":
        raw = open(os.path.join(FIXTURES, "checkpoint_v1.npz"), "rb").read()
    else:
        raw = _saved(tmp_path).read_bytes()
    path = tmp_path / "damaged"
    n = 0
    for what, blob in _fuzz_cases(raw, every=1 if fmt == "safetensors" else 3):
        path.write_bytes(blob)
        try:
            minigrad.load(path)
        except CheckpointError:
            n += 1
            continue
        except Exception as exc:  # noqa: BLE001 - the point of the test
            pytest.fail(f"{fmt}, {what}: {type(exc).__name__}: {exc}")
        if fmt == "npz":
            continue  # the first format promises no bare exception, not to see every change
        pytest.fail(f"{fmt}, {what}: loaded without error")
    assert n > (len(raw) if fmt == "safetensors" else 0)


def test_damaged_file_messages_name_the_problem(tmp_path):
    path = _saved(tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw[:5])
    with pytest.raises(CheckpointError, match="too short to be a checkpoint"):
        minigrad.load(path)
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match="truncated"):
        minigrad.load(path)
    path.write_bytes(raw + b"x")
    with pytest.raises(CheckpointError, match="SHA-256.*appended"):
        minigrad.load(path)
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="header length"):
        minigrad.load(path)


def test_newer_format_version_is_refused(tmp_path, monkeypatch):
    import minigrad.serialization as ser

    monkeypatch.setattr(ser, "VERSION", 99)
    minigrad.save({"v": 1}, tmp_path / "new.safetensors")
    monkeypatch.undo()
    with pytest.raises(CheckpointError, match="version '99' is not supported"):
        minigrad.load(tmp_path / "new.safetensors")


def test_first_format_checkpoints_still_load():
    back = minigrad.load(os.path.join(FIXTURES, "checkpoint_v1.npz"))
    np.testing.assert_array_equal(back["fc.weight"].numpy(), np.arange(6.0).reshape(2, 3))
    assert back["epoch"] == 3 and back["groups"] == [{"lr": 0.1, "betas": (0.9, 0.999)}]
    assert back["by_int"] == {0: "zero"}


def test_nested_names_and_unusual_dtypes(tmp_path):
    obj = {
        "model": {"fc.weight": minigrad.ones(2)},
        "c128": np.array([1 + 2j, 3.5j]),
        "big_endian": np.arange(3, dtype=">f8"),
        "text": np.array(["ab", "c"]),
        "scalar": minigrad.tensor(2.0),
        "empty": minigrad.zeros(0, 3),
    }
    minigrad.save(obj, tmp_path / "x.safetensors")
    back = minigrad.load(tmp_path / "x.safetensors")
    for k in ("c128", "big_endian", "text"):
        assert back[k].dtype == obj[k].dtype
        np.testing.assert_array_equal(back[k], obj[k])
    assert back["scalar"].shape == () and back["empty"].shape == (0, 3)
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    assert "model.fc.weight" in safetensors_numpy.load_file(str(tmp_path / "x.safetensors"))


# ----------------------------------------------------------------------------- PyTorch
class _TorchNet:
    """The same network in minigrad and in PyTorch."""

    @staticmethod
    def minigrad_model():
        from minigrad import nn

        return nn.Sequential(
            nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(36, 3)
        )

    @staticmethod
    def torch_model(torch):
        nn = torch.nn
        return nn.Sequential(
            nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(36, 3)
        )


def _torch():
    try:
        import safetensors.torch  # noqa: F401
        import torch
    except ImportError as exc:
        pytest.skip(f"PyTorch (a fixture-only dependency) is not installed: {exc}")
    return torch


def _train_a_little(model):
    from minigrad.optim import SGD

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = minigrad.randn(8, 1, 5, 5)
    for _ in range(2):
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()
    model.eval()
    return x


def test_minigrad_checkpoint_loads_into_pytorch(tmp_path):
    torch = _torch()
    from safetensors.torch import load_file

    minigrad.manual_seed(0)
    model = _TorchNet.minigrad_model()
    x = _train_a_little(model)
    minigrad.save(model.state_dict(), tmp_path / "model.safetensors")
    ref = _TorchNet.torch_model(torch)
    ref.load_state_dict(load_file(str(tmp_path / "model.safetensors")))  # strict
    ref.eval()
    with torch.no_grad():
        out = ref(torch.from_numpy(x.numpy())).numpy()
    np.testing.assert_allclose(out, model(x).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert int(ref[1].num_batches_tracked) == 2


def test_pytorch_safetensors_state_dict_loads_into_minigrad(tmp_path):
    torch = _torch()
    from safetensors.torch import save_file

    torch.manual_seed(0)
    ref = _TorchNet.torch_model(torch)
    with torch.no_grad():
        ref(torch.randn(16, 1, 5, 5))  # moves the running statistics
    ref.eval()
    save_file(ref.state_dict(), str(tmp_path / "torch.safetensors"))
    model = _TorchNet.minigrad_model()
    model.load_state_dict(minigrad.load(tmp_path / "torch.safetensors"))
    model.eval()
    x = np.random.default_rng(0).standard_normal((4, 1, 5, 5)).astype(np.float32)
    with torch.no_grad():
        want = ref(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(
        model(minigrad.tensor(x)).detach().numpy(), want, rtol=1e-5, atol=1e-6
    )


def test_missing_file_and_pickle_never_used(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such checkpoint"):
        minigrad.load(tmp_path / "nope.npz")
    evil = tmp_path / "evil.npz"  # the first format (npz): its manifest is never unpickled
    np.savez(evil, __manifest__=np.array([{"a": 1}], dtype=object))
    with pytest.raises(CheckpointError, match="manifest cannot be read"):
        minigrad.load(evil)


def test_sgd_state_with_none_buffer_round_trips(tmp_path):
    w = minigrad.ones(2, requires_grad=True)
    opt = SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    sd = opt.state_dict()
    minigrad.save(sd, tmp_path / "s.npz")
    assert minigrad.load(tmp_path / "s.npz") == sd


# ----------------------------------------------------------------------------- property
_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    hnp.arrays(
        st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.bool_]),
        hnp.array_shapes(min_dims=0, max_dims=3, max_side=3),
    ).map(minigrad.tensor),
)
_keys = st.one_of(st.text(max_size=6), st.integers(-5, 5))
_trees = st.recursive(
    _leaves,
    lambda kids: st.one_of(
        st.lists(kids, max_size=3),
        st.lists(kids, max_size=3).map(tuple),
        st.dictionaries(_keys, kids, max_size=3),
    ),
    max_leaves=10,
)


def _same(a, b):
    if isinstance(a, minigrad.Tensor):
        assert isinstance(b, minigrad.Tensor) and a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    else:
        assert type(a) is type(b) and a == b


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tree=_trees)
def test_round_trip_property(tmp_path, tree):
    path = tmp_path / "p.npz"
    minigrad.save(tree, path)
    _same(tree, minigrad.load(path))
