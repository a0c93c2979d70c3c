"""Build ``digits.npz`` (package data) from scikit-learn's copy of the UCI digits.

Run once by a maintainer (minigrad itself never imports scikit-learn)::

    python -m minigrad.data.make_digits [path/to/digits.csv.gz]

The source is ``sklearn/datasets/data/digits.csv.gz``: 1,797 rows of 64 pixel values
(0..16) and a label, the test part of the UCI "Optical Recognition of Handwritten Digits"
data (Alpaydin & Kaynak, 1998; CC BY 4.0). The output stores ``images`` as uint8
(1797, 8, 8) and ``labels`` as uint8 (1797,), compressed (about 20 kB).
"""

import gzip
import os
import sys

import numpy as np


def main(src=None):
    """Write ``minigrad/data/digits.npz`` from the scikit-learn digits table.

    Parameters
    ----------
    src : str, optional
        Path of ``digits.csv.gz``; by default the copy inside the installed scikit-learn.

    Raises
    ------
    ValueError
        If the table does not have 1,797 rows of 64 pixels in 0..16 and a label.

    Examples
    --------
    >>> from minigrad.data.make_digits import main
    >>> main()  # doctest: +SKIP
    wrote .../minigrad/data/digits.npz: 1797 images, label counts [178 182 177 ...]
    """
    if src is None:
        import sklearn  # only for finding the file

        src = os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data", "digits.csv.gz")
    with gzip.open(src, "rt") as fh:
        raw = np.loadtxt(fh, delimiter=",")
    if raw.shape != (1797, 65):
        raise ValueError(f"unexpected digits table shape {raw.shape}, expected (1797, 65)")
    pixels, labels = raw[:, :64], raw[:, 64]
    if not (np.all(pixels == np.round(pixels)) and pixels.min() >= 0 and pixels.max() <= 16):
        raise ValueError("digits pixels are expected to be integers in 0..16")
    images = pixels.astype(np.uint8).reshape(-1, 8, 8)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits.npz")
    np.savez_compressed(out, images=images, labels=labels.astype(np.uint8))
    print(f"wrote {out}: {images.shape[0]} images, label counts {np.bincount(labels.astype(int))}")


if __name__ == "__main__":
    main(*sys.argv[1:])
