"""Study ``train-vs-eval``: running statistics against batch statistics at small batches."""

from __future__ import annotations

import math

from minigrad.experiments import figures
from minigrad.experiments.config import RunConfig
from minigrad.experiments.grid import expand_grid
from minigrad.experiments.statistics import Claim
from minigrad.experiments.studies.common import (
    Study,
    by,
    data_settings,
    mean_std,
    paired_cells,
    per_seed,
    seeds,
    table,
    value,
)

BATCH_SIZES = [2, 4, 8, 32]
MOMENTA = [0.01, 0.1]
BASE_LR = 0.05
EPOCHS = 3
SMALL = 4


def batch_stats_err(record):
    """Test error (points) with each test batch's own statistics (train mode)."""
    acc = value(record, "test_acc_batch_stats")
    return None if acc is None else 100 * (1 - acc)


def running_minus_batch(record):
    """Per run: test error with running statistics minus with batch statistics."""
    a, b = value(record), batch_stats_err(record)
    return None if a is None or b is None else a - b


class TrainVsEvalStudy(Study):
    NAME = "train-vs-eval"
    TITLE = "BatchNorm at inference: running statistics vs batch statistics, and momentum"
    CLAIMS = {
        "population-stats-beat-batch-stats": Claim(
            text="Once the network has been trained, we use the normalization using "
            "population rather than mini-batch statistics: the output then depends "
            "deterministically on the input, and small batches give poor estimates of the "
            "batch statistics.",
            source="Ioffe & Szegedy 2015 (arXiv 1502.03167), section 3.1; Wu & He 2018, section 1",
            quantity=f"test error with batch statistics (train mode, test batches of {SMALL}) "
            "minus with running statistics (eval mode), same run (points), momentum 0.1",
            direction="greater",
        ),
        "batch-stats-worse-at-small-batch": Claim(
            text="Normalizing with the statistics of a small batch is noisy: the smaller the "
            "batch, the worse the estimates of mean and variance and the accuracy.",
            source="Wu & He 2018 (arXiv 1803.08494), section 1 and Figure 1",
            quantity="slope of the batch-statistics test error (points) against log2(batch "
            f"size), batches {BATCH_SIZES[0]} to {BATCH_SIZES[-1]}, momentum 0.1",
            direction="less",
            rule="trend",
        ),
    }
    SETUP = f"""
`make_model('cnn', 'batch', in_shape=(1, 40), width=16, depth=2)`, SGD momentum 0.9,
learning rate {BASE_LR}·N/32, {EPOCHS} epochs, batch sizes N in {BATCH_SIZES}, BN running-
statistics momentum in {MOMENTA}, 5 seeds. Each trained network is evaluated twice on the
test set: with its running statistics (eval mode, what PyTorch does at inference) and with
the statistics of test batches of N (train mode without gradients; the running statistics
are restored afterwards).
"""

    def configs(self, quick: bool) -> list:
        if quick:
            base = RunConfig(width=4, depth=1, **data_settings(True))
            grid = expand_grid(base, batch_size=[4, 16], bn_momentum=[0.1], seed=seeds(True))
        else:
            base = RunConfig(model="cnn", norm="batch", width=16, depth=2, epochs=EPOCHS,
                             **data_settings(False))  # fmt: skip
            grid = expand_grid(base, batch_size=BATCH_SIZES, bn_momentum=MOMENTA,
                               seed=seeds(False))  # fmt: skip
        return [c.replace(lr=BASE_LR * c.batch_size / 32, eval_batch_stats=True,
                          tags={"study": self.NAME}) for c in grid]  # fmt: skip

    def evidence(self, records) -> dict:
        sizes = sorted({r["config"]["batch_size"] for r in records})
        small = SMALL if SMALL in sizes else sizes[0]
        x, y = [], []
        for r in by(records, bn_momentum=0.1):
            v = batch_stats_err(r)
            if v is not None:
                x.append(math.log2(r["config"]["batch_size"]))
                y.append(v)
        return {
            "population-stats-beat-batch-stats": {
                "a": per_seed(records, batch_stats_err, batch_size=small, bn_momentum=0.1),
                "b": per_seed(records, "test_err", batch_size=small, bn_momentum=0.1),
            },
            "batch-stats-worse-at-small-batch": {"x": x, "y": y},
        }

    def analyze(self, records, out) -> str:
        sizes = sorted({r["config"]["batch_size"] for r in records})
        moms = sorted({r["config"]["bn_momentum"] for r in records})
        rows = []
        for b in sizes:
            for m in moms:
                rs = by(records, batch_size=b, bn_momentum=m)
                run = mean_std([value(r) for r in rs])
                bat = mean_std([batch_stats_err(r) for r in rs])
                d = paired_cells(per_seed(rs, batch_stats_err), per_seed(rs, "test_err"))
                rows.append([b, m, f"{run[0]:.1f} ± {run[1]:.1f}", f"{bat[0]:.1f} ± {bat[1]:.1f}",
                             d])  # fmt: skip
        lines = [
            "## Results",
            "",
            "Final test error (%), mean ± std over seeds; the last column is the per-seed "
            "difference (batch statistics minus running statistics, points, mean [95% CI]):",
            "",
            table(
                [
                    "batch",
                    "BN momentum",
                    "running stats (eval)",
                    "batch stats (train mode)",
                    "batch - running",
                ],
                rows,
            ),  # fmt: skip
            "",
            "The batch-statistics error does not depend on the momentum: the momentum only "
            "changes the running averages, never the training forward pass, so the trained "
            "weights are the same for every momentum.",
            "",
        ]
        if figures.have_matplotlib():
            groups = {
                f"running stats, momentum {m}": {
                    b: [value(r) for r in by(records, batch_size=b, bn_momentum=m)] for b in sizes
                }
                for m in moms
            }
            groups["batch stats (train mode)"] = {b: [batch_stats_err(r) for r in by(
                records, batch_size=b, bn_momentum=moms[0])] for b in sizes}  # fmt: skip
            p = figures.ci_lines(
                groups, out / "figures" / "running_vs_batch_stats.png",
                xlabel="batch size (training and test batches, log scale)",
                ylabel="test error (%)", logx=True,
                title="BN at inference: running vs batch statistics",
            )  # fmt: skip
            lines += [
                f"![running vs batch statistics](figures/{p.name})",
                "",
                "*Mean over seeds; bars: 95% t-interval over seeds.*",
                "",
            ]
        else:
            lines += [figures.PLOT_HINT, ""]
        return "\n".join(lines)
