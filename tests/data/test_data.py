"""Datasets and DataLoader: batching, determinism, devices, digits, synthetic sets, MNIST-1D."""

import random

import numpy as np
import pytest
from conftest import to_numpy

import minigrad
from minigrad.data import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    load_digits,
    load_mnist1d,
    make_moons,
    make_spirals,
    random_split,
)


def _ds(n=10, device=None):
    x = minigrad.arange(n * 3, dtype=minigrad.float32, device=device).reshape(n, 3)
    y = minigrad.arange(n, device=device)
    return TensorDataset(x, y)


class ListDataset(Dataset):
    """A plain dataset without __getitems__ (the per-sample path)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": np.full(2, i, dtype=np.float32), "y": i, "name": f"s{i}"}


def test_tensor_dataset_basics(device):
    ds = _ds(4, device)
    x, y = ds[2]
    assert to_numpy(x).tolist() == [6.0, 7.0, 8.0] and int(y.item()) == 2
    with pytest.raises(ValueError, match=r"size mismatch.*\(3, 2\), \(4,\)"):
        TensorDataset(minigrad.zeros(3, 2), minigrad.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


@pytest.mark.parametrize("drop_last, sizes", [(False, [4, 4, 2]), (True, [4, 4])])
def test_batching_in_order(drop_last, sizes, device):
    loader = DataLoader(_ds(10, device), batch_size=4, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(batches) == len(sizes)
    assert [len(y) for _, y in batches] == sizes
    ys = np.concatenate([to_numpy(y) for _, y in batches])
    np.testing.assert_array_equal(ys, np.arange(sum(sizes)))
    for x, y in batches:
        assert x.device == device and x.dtype == minigrad.float32 and y.dtype == minigrad.int64
        np.testing.assert_array_equal(to_numpy(x)[:, 0], to_numpy(y) * 3)  # rows stay paired


def test_shuffle_is_a_permutation_and_seeded(device):
    def epoch(loader):
        return np.concatenate([to_numpy(y) for _, y in loader])

    a = DataLoader(_ds(23, device), batch_size=5, shuffle=True, seed=7)
    b = DataLoader(_ds(23, device), batch_size=5, shuffle=True, seed=7)
    a1, a2, b1, b2 = epoch(a), epoch(a), epoch(b), epoch(b)
    assert sorted(a1.tolist()) == list(range(23))
    assert not np.array_equal(a1, np.arange(23))
    assert not np.array_equal(a1, a2)  # a new order every epoch
    np.testing.assert_array_equal(a1, b1)  # ... the same sequence for the same seed
    np.testing.assert_array_equal(a2, b2)
    c = DataLoader(_ds(23, device), batch_size=5, shuffle=True, seed=8)
    assert not np.array_equal(epoch(c), a1)


def test_shuffle_follows_manual_seed_and_generator():
    def first_epoch():
        loader = DataLoader(_ds(30), batch_size=30, shuffle=True)
        return to_numpy(next(iter(loader))[1])

    minigrad.manual_seed(3)
    a = first_epoch()
    minigrad.manual_seed(3)
    b = first_epoch()
    minigrad.manual_seed(4)
    c = first_epoch()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    g1, g2 = np.random.default_rng(1), np.random.default_rng(1)
    x = next(iter(DataLoader(_ds(30), batch_size=30, shuffle=True, generator=g1)))[1]
    y = next(iter(DataLoader(_ds(30), batch_size=30, shuffle=True, generator=g2)))[1]
    np.testing.assert_array_equal(to_numpy(x), to_numpy(y))


def test_device_argument_moves_batches(device):
    loader = DataLoader(_ds(6), batch_size=4, device=device)
    for x, y in loader:
        assert x.device == device and y.device == device


def test_per_sample_dataset_and_collate(device):
    loader = DataLoader(ListDataset(5), batch_size=2, device=device)
    batches = list(loader)
    assert len(batches) == 3
    b = batches[0]
    assert b["x"].shape == (2, 2) and b["x"].dtype == minigrad.float32
    assert b["y"].dtype == minigrad.int64 and to_numpy(b["y"]).tolist() == [0, 1]
    assert b["name"] == ["s0", "s1"] and b["x"].device == device
    with pytest.raises(RuntimeError, match="same length"):
        default_collate([(1, 2), (3,)])
    with pytest.raises(TypeError, match="got object"):
        default_collate([object()])
    assert default_collate([1.5, 2.5]).dtype == minigrad.float64


def test_subset_and_random_split():
    ds = _ds(10)
    sub = Subset(ds, [9, 3, 5])
    x, y = next(iter(DataLoader(sub, batch_size=3)))
    assert to_numpy(y).tolist() == [9, 3, 5]
    parts = random_split(ds, [6, 4], seed=0)
    again = random_split(ds, [6, 4], seed=0)
    assert [len(p) for p in parts] == [6, 4]
    assert sorted(np.concatenate([p.indices for p in parts]).tolist()) == list(range(10))
    np.testing.assert_array_equal(parts[0].indices, again[0].indices)
    with pytest.raises(ValueError, match="does not equal the length"):
        random_split(ds, [3, 3])
    list_sub = Subset(ListDataset(4), [3, 1])
    assert to_numpy(next(iter(DataLoader(list_sub, batch_size=2)))["y"]).tolist() == [3, 1]


def test_dataloader_errors():
    with pytest.raises(ValueError, match="positive integer"):
        DataLoader(_ds(), batch_size=0)
    with pytest.raises(ValueError, match="positive integer"):
        DataLoader(_ds(), batch_size=2.5)
    with pytest.raises(ValueError, match="either seed or generator"):
        DataLoader(_ds(), seed=1, generator=np.random.default_rng(1))


# ----------------------------------------------------------------------------- datasets
def test_digits_contents():
    x, y = load_digits()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == minigrad.float32
    assert y.shape == (1797,) and y.dtype == minigrad.int64
    xn, yn = to_numpy(x), to_numpy(y)
    assert xn.min() == 0.0 and xn.max() == 1.0
    np.testing.assert_array_equal(np.unique(xn * 16), np.arange(17))  # 17 grey levels
    np.testing.assert_array_equal(
        np.bincount(yn), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    )
    # the first sample of scikit-learn's digits is a 0 with this top row
    assert yn[0] == 0
    np.testing.assert_array_equal(xn[0, 0, 0] * 16, [0, 0, 5, 13, 9, 1, 0, 0])


def test_digits_split_deterministic_stratified_disjoint(device):
    xtr, ytr = load_digits("train", device=device)
    xte, yte = load_digits("test", device=device, flatten=True)
    assert xtr.device == device and xte.shape == (359, 64)
    assert len(ytr) + len(yte) == 1797
    counts_te = np.bincount(to_numpy(yte), minlength=10)
    np.testing.assert_array_equal(
        counts_te, np.round(np.array([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]) * 0.2)
    )
    xtr2, _ = load_digits("train", device=device)
    np.testing.assert_array_equal(to_numpy(xtr), to_numpy(xtr2))
    # the 1,797 images are all distinct, so rows identify samples: the splits partition them
    all_x, _ = load_digits(flatten=True)
    rows = {r.tobytes(): i for i, r in enumerate(to_numpy(all_x))}
    assert len(rows) == 1797
    te_idx = {rows[r.tobytes()] for r in to_numpy(xte)}
    tr_idx = {rows[r.tobytes()] for r in to_numpy(xtr).reshape(-1, 64)}
    assert not (te_idx & tr_idx) and len(te_idx | tr_idx) == 1797
    other, _ = load_digits("test", seed=1)
    assert not np.array_equal(to_numpy(other).reshape(-1, 64), to_numpy(xte))
    with pytest.raises(ValueError, match="split must be"):
        load_digits("val")
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits("train", test_fraction=1.0)


def test_digits_in_a_loader():
    loader = DataLoader(TensorDataset(*load_digits("train")), batch_size=256, shuffle=True, seed=0)
    x, y = next(iter(loader))
    assert x.shape == (256, 1, 8, 8) and len(loader) == 6


@pytest.mark.parametrize("make", [make_spirals, make_moons])
def test_synthetic(make, device):
    x, y = make(120, seed=0, device=device)
    x2, y2 = make(120, seed=0, device=device)
    x3, _ = make(120, seed=1)
    assert x.shape == (120, 2) and x.dtype == minigrad.float32 and y.dtype == minigrad.int64
    assert x.device == device
    np.testing.assert_array_equal(to_numpy(x), to_numpy(x2))
    np.testing.assert_array_equal(to_numpy(y), to_numpy(y2))
    assert not np.array_equal(to_numpy(x), to_numpy(x3))
    counts = np.bincount(to_numpy(y))
    assert counts.max() - counts.min() <= 1


def test_moons_geometry_without_noise():
    x, y = make_moons(100, noise=0.0, seed=0)
    xn, yn = to_numpy(x), to_numpy(y)
    outer = xn[yn == 0]
    np.testing.assert_allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0, rtol=1e-6)
    inner = xn[yn == 1]
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1, inner[:, 1] - 0.5), 1.0, rtol=1e-6)


def test_synthetic_errors():
    with pytest.raises(ValueError, match="n_classes >= 2"):
        make_spirals(10, n_classes=1)
    with pytest.raises(ValueError, match="n_samples must be >= 2"):
        make_moons(1)


def test_mnist1d_isolates_global_rng():
    pytest.importorskip("mnist1d")
    # mnist1d reseeds the legacy global generators; the caller's streams must be untouched
    np.random.seed(11)  # noqa: NPY002
    random.seed(11)
    expect_np, expect_py = np.random.rand(), random.random()  # noqa: NPY002
    np.random.seed(11)  # noqa: NPY002
    random.seed(11)
    x, y = load_mnist1d("train", num_samples=200, seed=3)
    assert np.random.rand() == expect_np and random.random() == expect_py  # noqa: NPY002
    xt, yt = load_mnist1d("test", num_samples=200, seed=3)
    assert x.shape == (160, 40) and xt.shape == (40, 40)
    assert x.dtype == minigrad.float32 and y.dtype == minigrad.int64
    assert set(np.unique(to_numpy(y))) <= set(range(10))
    x2, _ = load_mnist1d("train", num_samples=200, seed=3)
    np.testing.assert_array_equal(to_numpy(x), to_numpy(x2))
    with pytest.raises(ValueError, match="split must be"):
        load_mnist1d("val")


def test_mnist1d_missing_package_message(monkeypatch, tmp_path):
    import sys

    from minigrad.data import mnist1d as m

    monkeypatch.setitem(sys.modules, "mnist1d", None)
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)
    monkeypatch.setattr(m, "_cache", {})
    monkeypatch.setenv("MINIGRAD_CACHE_DIR", str(tmp_path))  # no file kept from other tests
    with pytest.raises(ImportError, match=r"minigrad-lab\[datasets\]"):
        load_mnist1d()


def _fresh_mnist1d(monkeypatch, folder):
    from minigrad.data import mnist1d as m

    monkeypatch.setattr(m, "_cache", {})
    monkeypatch.setenv("MINIGRAD_CACHE_DIR", str(folder))
    return m


def test_mnist1d_disk_cache_is_read_instead_of_generating(monkeypatch, tmp_path):
    pytest.importorskip("mnist1d")
    import mnist1d.data

    m = _fresh_mnist1d(monkeypatch, tmp_path)
    x, y = load_mnist1d("train", num_samples=200, seed=3)
    files = list(tmp_path.glob("mnist1d-*-n200-seed3.npz"))
    assert len(files) == 1 and not list(tmp_path.glob("*.tmp"))

    def no_generation(args):
        raise AssertionError("generated again although the file was kept")

    monkeypatch.setattr(mnist1d.data, "make_dataset", no_generation)
    monkeypatch.setattr(m, "_cache", {})  # a new process: only the file is left
    x2, y2 = load_mnist1d("train", num_samples=200, seed=3)
    xt2, _ = load_mnist1d("test", num_samples=200, seed=3)
    np.testing.assert_array_equal(to_numpy(x), to_numpy(x2))
    np.testing.assert_array_equal(to_numpy(y), to_numpy(y2))
    assert x2.dtype == minigrad.float32 and y2.dtype == minigrad.int64 and xt2.shape == (40, 40)


def test_mnist1d_damaged_cache_file_is_generated_again(monkeypatch, tmp_path):
    pytest.importorskip("mnist1d")
    _fresh_mnist1d(monkeypatch, tmp_path / "a")
    want, _ = load_mnist1d("train", num_samples=200, seed=3)
    (path,) = (tmp_path / "a").glob("*.npz")
    path.write_bytes(path.read_bytes()[:1000])  # a torn file
    _fresh_mnist1d(monkeypatch, tmp_path / "a")
    got, _ = load_mnist1d("train", num_samples=200, seed=3)
    np.testing.assert_array_equal(to_numpy(want), to_numpy(got))
    assert path.stat().st_size > 1000  # and kept whole again


def test_mnist1d_unwritable_cache_folder_still_loads(monkeypatch, tmp_path):
    pytest.importorskip("mnist1d")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    _fresh_mnist1d(monkeypatch, blocker / "cache")  # mkdir fails: nothing is kept
    x, _ = load_mnist1d("train", num_samples=200, seed=3)
    assert x.shape == (160, 40)
