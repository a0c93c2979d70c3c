"""The IDX reader: round trips, MNIST/Fashion-MNIST layout, corrupt and truncated files."""

import gzip

import numpy as np
import pytest
from conftest import to_numpy

import minigrad
from minigrad.data import load_fashion_mnist, load_mnist, read_idx, write_idx


@pytest.mark.parametrize("dtype", ["u1", "i1", "i2", "i4", "f4", "f8"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip(tmp_path, dtype, suffix):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    path = tmp_path / f"a-idx3{suffix}"
    write_idx(path, a)
    b = read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    np.testing.assert_array_equal(a, b)


def test_header_is_big_endian(tmp_path):
    path = tmp_path / "x-idx1-ubyte"
    write_idx(path, np.array([1, 2, 3], dtype=np.int32))
    raw = path.read_bytes()
    assert raw[:4] == bytes([0, 0, 0x0C, 1])
    assert raw[4:8] == (3).to_bytes(4, "big")
    assert raw[8:12] == (1).to_bytes(4, "big")


def _write_mnist(root, n=5, h=28, gz=True, split="train"):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, h, h), dtype=np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    names = {
        "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }[split]
    sfx = ".gz" if gz else ""
    write_idx(root / (names[0] + sfx), images)
    write_idx(root / (names[1] + sfx), labels)
    return images, labels


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist(tmp_path, gz, device):
    images, labels = _write_mnist(tmp_path, gz=gz, split="test")
    x, y = load_mnist(tmp_path, split="test", device=device)
    assert x.shape == (5, 1, 28, 28) and x.dtype == minigrad.float32 and x.device == device
    assert y.dtype == minigrad.int64
    np.testing.assert_allclose(to_numpy(x)[:, 0], images / np.float32(255.0), rtol=1e-7)
    np.testing.assert_array_equal(to_numpy(y), labels)
    xf, _ = load_mnist(tmp_path, split="test", flatten=True)
    assert xf.shape == (5, 784)


def test_fashion_mnist_torchvision_layout(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    images, labels = _write_mnist(raw, n=3)
    x, y = load_fashion_mnist(tmp_path)
    np.testing.assert_array_equal(to_numpy(y), labels)
    assert x.shape == (3, 1, 28, 28)


def test_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="cannot find train-images-idx3-ubyte.*never"):
        load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_idx(tmp_path / "nothing")
    with pytest.raises(ValueError, match="split must be"):
        load_mnist(tmp_path, split="val")


def _header(code, dims):
    return bytes([0, 0, code, len(dims)]) + np.asarray(dims, dtype=">u4").tobytes()


@pytest.mark.parametrize(
    "data, match",
    [
        (b"\x00\x00", "too short for an IDX header"),
        (b"\x01\x02\x08\x01" + b"\x00" * 8, "bad magic number 0x01020801"),
        (b"\x00\x00\x07\x01" + b"\x00" * 8, "unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x00", "declares 0 dimensions"),
        (_header(0x08, [2, 3])[:9], "truncated header: 2 dimensions need 12 bytes"),
        (_header(0x08, [2, 3]) + b"\x00" * 5, r"data truncated: header says shape \(2, 3\)"),
        (_header(0x0C, [2]) + b"\x00" * 7, r"\(8 bytes\), the file holds 7 bytes"),
        (_header(0x08, [2]) + b"\x00" * 3, "has trailing bytes"),
    ],
)
def test_corrupt_headers_and_sizes(tmp_path, data, match):
    path = tmp_path / "bad-idx"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=match):
        read_idx(path)
    gz = tmp_path / "bad-idx.gz"
    gz.write_bytes(gzip.compress(data))
    with pytest.raises(ValueError, match=match):
        read_idx(gz)


def test_truncated_gzip(tmp_path):
    path = tmp_path / "a-idx1.gz"
    write_idx(path, np.arange(1000, dtype=np.int32))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        read_idx(path)


def test_gzip_content_without_gz_name(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(gzip.compress(_header(0x08, [1, 2, 2]) + b"\x00" * 4))
    with pytest.raises(ValueError, match="gzip-compressed without a .gz name"):
        read_idx(path)


def test_mnist_consistency_checks(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 4, 4), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="3 images .* but 2 labels"):
        load_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([0, 1, 12], np.uint8))
    with pytest.raises(ValueError, match="label 12 is not in 0..9"):
        load_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros((3, 1), np.uint8))
    with pytest.raises(ValueError, match="expected uint8 labels of 1 dimension"):
        load_mnist(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 16), np.float32))
    with pytest.raises(ValueError, match="expected uint8 images of 3 dimensions"):
        load_mnist(tmp_path)
    with pytest.raises(ValueError, match="cannot store"):
        write_idx(tmp_path / "x", np.zeros(2, np.int64))
