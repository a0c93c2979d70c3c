"""Checkpoints: round trips of nested state, atomic writes, and refusal of damaged files."""

import json
import os

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from conftest import to_numpy
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
    path = tmp_path / "ck.npz"
    w = minigrad.tensor(np.arange(64, dtype=np.float64).reshape(8, 8) + 0.25)
    minigrad.save({"fc.weight": w, "step": 4}, path)
    return path


def _rewrite(path, change):
    """Rewrite the archive with ``change(dict_of_arrays)`` applied (a valid zip again)."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    change(arrays)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _manifest(arrays):
    return json.loads(arrays["__manifest__"].tobytes().decode())


def _set_manifest(arrays, m):
    arrays["__manifest__"] = np.frombuffer(json.dumps(m).encode(), dtype=np.uint8)


def test_corrupted_byte_is_refused(tmp_path):
    path = _saved(tmp_path)
    raw = bytearray(path.read_bytes())
    at = raw.find((np.arange(64, dtype=np.float64) + 0.25)[20:24].tobytes())
    assert at > 0
    raw[at + 3] ^= 0x40
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="a0 cannot be read .*CRC"):
        minigrad.load(path)


def test_tampered_values_fail_checksum(tmp_path):
    path = _saved(tmp_path)

    def change(a):
        a["a0"] = a["a0"].copy()
        a["a0"][3, 3] += 1.0

    _rewrite(path, change)
    with pytest.raises(CheckpointError, match=r"array a0 \(shape \(8, 8\)\) fails its SHA-256"):
        minigrad.load(path)


def test_wrong_shape_and_dtype_are_refused(tmp_path):
    path = _saved(tmp_path)
    _rewrite(path, lambda a: a.update(a0=a["a0"].reshape(4, 16)))
    with pytest.raises(CheckpointError, match=r"shape \(4, 16\), the manifest records \(8, 8\)"):
        minigrad.load(path)
    path = _saved(tmp_path)
    _rewrite(path, lambda a: a.update(a0=a["a0"].astype(np.float32)))
    with pytest.raises(CheckpointError, match="dtype <f4, the manifest records <f8"):
        minigrad.load(path)


def test_missing_and_extra_arrays_are_refused(tmp_path):
    path = _saved(tmp_path)
    _rewrite(path, lambda a: a.pop("a0"))
    with pytest.raises(CheckpointError, match="a0 listed in the manifest are missing"):
        minigrad.load(path)
    path = _saved(tmp_path)
    _rewrite(path, lambda a: a.update(evil=np.zeros(3)))
    with pytest.raises(CheckpointError, match="evil that the manifest does not list"):
        minigrad.load(path)


def test_manifest_problems_are_refused(tmp_path):
    path = _saved(tmp_path)

    def newer(a):
        m = _manifest(a)
        m["version"] = 99
        _set_manifest(a, m)

    _rewrite(path, newer)
    with pytest.raises(CheckpointError, match="version 99 is not supported"):
        minigrad.load(path)

    path = _saved(tmp_path)

    def dangling(a):
        m = _manifest(a)
        m["root"]["items"][0][1]["array"] = "a7"
        _set_manifest(a, m)

    _rewrite(path, dangling)
    with pytest.raises(CheckpointError, match=r"\['fc.weight'\] refers to array 'a7'"):
        minigrad.load(path)

    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.zeros(2))
    with pytest.raises(CheckpointError, match="no __manifest__"):
        minigrad.load(plain)


@pytest.mark.parametrize("keep", [0.3, 0.9])
def test_truncated_file_is_refused(tmp_path, keep):
    path = _saved(tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * keep)])
    with pytest.raises(CheckpointError, match="truncated or corrupted"):
        minigrad.load(path)


def test_missing_file_and_pickle_never_used(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such checkpoint"):
        minigrad.load(tmp_path / "nope.npz")
    evil = tmp_path / "evil.npz"
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
