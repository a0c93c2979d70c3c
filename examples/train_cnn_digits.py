"""
Train a CNN on the 8x8 digits
=============================

Train a small convolutional network on the bundled 8x8 digits.

Two 3x3 convolutions with BatchNorm and ReLU, 2x2 max pooling, a linear classifier;
cross-entropy with label smoothing; AdamW with a short linear warm-up then cosine decay
(LambdaLR); train/eval mode; test accuracy per epoch; light data augmentation (random
shifts by one pixel, done on whole batches). About 20 s on two CPU cores::

    python examples/train_cnn_digits.py --epochs 20 --device cpu --seed 0
"""

import argparse
import math
import time

import numpy as np

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.data import DataLoader, TensorDataset, load_digits
from minigrad.optim import AdamW
from minigrad.optim.lr_scheduler import LambdaLR


class DigitsCNN(nn.Module):
    """conv(1->c)-BN-ReLU - conv(c->2c)-BN-ReLU - maxpool 2 - flatten - linear(2c*16 -> 10)."""

    def __init__(self, channels: int = 16):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, 2 * channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(2 * channels)
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(2 * channels * 4 * 4, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.max_pool2d(x, 2)
        return self.fc(self.drop(x.flatten(1)))


def random_shift(x, rng):
    """Shift each image of a batch by -1, 0 or +1 pixel in each direction (zero fill).

    One gather for the whole batch: no Python loop over images.
    """
    n, _, h, w = x.shape
    dev = x.device
    padded = F.pad(x, (1, 1, 1, 1))
    dy = minigrad.tensor(rng.integers(0, 3, n), device=dev)
    dx = minigrad.tensor(rng.integers(0, 3, n), device=dev)
    rows = dy[:, None] + minigrad.arange(h, device=dev)[None, :]
    cols = dx[:, None] + minigrad.arange(w, device=dev)[None, :]
    out = padded[
        minigrad.arange(n, device=dev)[:, None, None], 0, rows[:, :, None], cols[:, None, :]
    ]
    return out[:, None]


def warmup_cosine(warmup: int, total: int):
    """Learning-rate factor: linear warm-up for ``warmup`` epochs, then cosine to 0."""

    def factor(epoch: int) -> float:
        if epoch < warmup:
            return (epoch + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (epoch - warmup) / max(1, total - warmup)))

    return factor


def evaluate(model, loader) -> float:
    """Accuracy of ``model`` in eval mode on ``loader``."""
    model.eval()
    correct = total = 0
    with minigrad.no_grad():
        for x, y in loader:
            correct += int((model(x).argmax(dim=1) == y).sum().item())
            total += len(y)
    return correct / total


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train a CNN on the 8x8 digits")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:n]")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--channels", type=int, default=16, help="width of the first conv")
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument("--no-augment", action="store_true", help="train without shifts")
    args = parser.parse_args(argv)

    minigrad.manual_seed(args.seed)
    device = minigrad.device(args.device)
    x_train, y_train = load_digits("train", device=device)
    x_test, y_test = load_digits("test", device=device)
    train = DataLoader(
        TensorDataset(x_train, y_train), batch_size=args.batch_size, shuffle=True, seed=args.seed
    )
    test = DataLoader(TensorDataset(x_test, y_test), batch_size=512)
    rng = np.random.default_rng(args.seed)

    model = DigitsCNN(args.channels).to(device)
    opt = AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)
    sched = LambdaLR(opt, warmup_cosine(2, args.epochs))

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        loss_sum = 0.0
        for x, y in train:
            if not args.no_augment:
                x = random_shift(x, rng)
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y, label_smoothing=args.label_smoothing)
            loss.backward()
            opt.step()
            loss_sum += float(loss.item()) * len(y)
        sched.step()
        acc = evaluate(model, test)
        print(
            f"epoch {epoch:3d}  lr {sched.get_last_lr()[0]:.2e}  loss "
            f"{loss_sum / len(x_train):.4f}  test acc {acc:.2%}  "
            f"({time.perf_counter() - start:.1f} s)"
        )
    print(f"final test accuracy {acc:.2%}; total time {time.perf_counter() - start:.1f} s")
    return acc


if __name__ == "__main__":
    main()
