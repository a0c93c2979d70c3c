"""Study ``batch-size``: Wu & He 2018, Figure 1, on mnist1d."""

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

NORMS = ["batch", "group", "layer", "none"]
BATCH_SIZES = [2, 4, 8, 32]
SMALL = 2
LARGE = 32
EPOCHS = 5
BASE_LR = 0.05  # at batch 32; lr = BASE_LR * N / 32 (Wu & He use 0.1 * N / 32 for ResNet-50)
WIDTH = 16

WU_HE = (
    "Wu & He 2018 (Group Normalization, arXiv 1803.08494), Figure 1 and Table 2: ResNet-50 "
    "on ImageNet, the same epochs at every batch size, learning rate 0.1·N/32"
)


class BatchSizeStudy(Study):
    NAME = "batch-size"
    TITLE = "test error against batch size for BN, GN, LN and no norm"
    CLAIMS = {
        "bn-vs-gn-at-batch-2": Claim(
            text="BatchNorm's error increases rapidly when the batch size becomes smaller; "
            "GroupNorm's accuracy is stable in a wide range of batch sizes, so at a tiny "
            "batch GN is clearly better than BN.",
            source=WU_HE,
            quantity=f"test error of BN minus test error of GN at batch {SMALL} (points)",
            direction="greater",
            published="BN 34.7% vs GN 24.1% validation error at 2 images per GPU (+10.6 "
            "points); at 32: BN 23.6%, GN 24.1%",
        ),
        "bn-error-vs-batch": Claim(
            text="BatchNorm depends on the batch size: small batches give poor estimates of "
            "the batch statistics, and its error rises as the batch shrinks.",
            source=WU_HE,
            quantity=f"slope of BN's test error (points) against log2(batch size), batches "
            f"{BATCH_SIZES[0]} to {LARGE}",
            direction="less",
            rule="trend",
            published="BN 34.7, 28.3, 27.3, 24.8, 23.6% error at 2, 4, 8, 16, 32 images per "
            "GPU (about -2.6 points per doubling)",
        ),
        "bn-degrades-more-than-gn": Claim(
            text="GroupNorm's error is nearly unchanged from batch 32 to batch 2 while "
            "BatchNorm's rises: BN loses more from the small batch than GN.",
            source=WU_HE,
            quantity=f"(BN error at batch {SMALL} minus at {LARGE}) minus (GN error at "
            f"{SMALL} minus at {LARGE}), per seed (points)",
            direction="greater",
            published="BN +11.1 points (23.6 -> 34.7), GN +0.0 (24.1 -> 24.1)",
        ),
    }
    SETUP = f"""
`make_model('cnn', norm, in_shape=(1, 40), width={WIDTH}, depth=2, groups=4)`: two
blocks Conv1d(k3)-norm-ReLU-MaxPool ({WIDTH} and {2 * WIDTH} channels), then a Linear
classifier. GN uses 4 groups; "layer" is `LayerNorm((C, L))`. SGD with momentum 0.9,
learning rate {BASE_LR}·N/32 (the linear scaling rule, as in Wu & He), {EPOCHS} epochs at
every batch size N in {BATCH_SIZES} (the same number of epochs, so smaller batches take
more steps), last partial batch dropped. BN is evaluated in eval mode with its running
statistics (momentum 0.1). Norms: {", ".join(NORMS)}; 5 seeds per setting.
"""

    def configs(self, quick: bool) -> list:
        if quick:
            base = RunConfig(model="cnn", width=4, depth=1, **data_settings(True))
            grid = expand_grid(base, batch_size=[2, 16], norm=["batch", "group"], seed=seeds(True))
        else:
            base = RunConfig(model="cnn", width=WIDTH, depth=2, groups=4, epochs=EPOCHS,
                             **data_settings(False))  # fmt: skip
            grid = expand_grid(base, batch_size=BATCH_SIZES, norm=NORMS, seed=seeds(False))
        return [c.replace(lr=BASE_LR * c.batch_size / 32, tags={"study": self.NAME}) for c in grid]

    def _sizes(self, records):
        return sorted({r["config"]["batch_size"] for r in records})

    def evidence(self, records) -> dict:
        sizes = self._sizes(records)
        lo, hi = min(sizes), max(b for b in sizes if b <= LARGE) if sizes else (None, None)
        bn_lo, gn_lo = per_seed(records, norm="batch", batch_size=lo), per_seed(
            records, norm="group", batch_size=lo)  # fmt: skip
        bn_hi, gn_hi = per_seed(records, norm="batch", batch_size=hi), per_seed(
            records, norm="group", batch_size=hi)  # fmt: skip
        x, y = [], []
        for r in by(records, norm="batch"):
            b, v = r["config"]["batch_size"], value(r)
            if v is not None and b <= LARGE:
                x.append(math.log2(b))
                y.append(v)
        both = set(bn_lo) & set(bn_hi) & set(gn_lo) & set(gn_hi)
        return {
            "bn-vs-gn-at-batch-2": {"a": bn_lo, "b": gn_lo},
            "bn-error-vs-batch": {"x": x, "y": y},
            "bn-degrades-more-than-gn": {
                "a": {s: bn_lo[s] - bn_hi[s] for s in both},
                "b": {s: gn_lo[s] - gn_hi[s] for s in both},
            },
        }

    def analyze(self, records, out) -> str:
        norms = [n for n in NORMS if by(records, norm=n)]
        sizes = self._sizes(records)
        rows = []
        for n in norms:
            cells = []
            for b in sizes:
                rs = by(records, norm=n, batch_size=b)
                m, s, k = mean_std([value(r) for r in rs])
                bad = len(rs) - k
                cells.append(
                    ("—" if not k else f"{m:.1f} ± {s:.1f}") + (f" ({bad} diverged)" if bad else "")
                )
            rows.append([n, *cells])
        lines = [
            "## Results",
            "",
            "Test error (%), mean ± std over seeds (BN with running statistics):",
            "",
            table(["norm", *(f"N={b}" for b in sizes)], rows),
            "",
        ]
        if "group" in norms:
            diff_rows = []
            for n in [n for n in norms if n != "group"]:
                diff_rows.append([f"{n} - group", *(paired_cells(
                    per_seed(records, norm=n, batch_size=b),
                    per_seed(records, norm="group", batch_size=b)) for b in sizes)])  # fmt: skip
            lines += [
                "Paired differences of test error against GroupNorm (points; mean over seeds "
                "[95% CI]; positive: GN better):",
                "",
                table(["difference", *(f"N={b}" for b in sizes)], diff_rows),
                "",
            ]
        if figures.have_matplotlib():
            groups = {n: {b: [value(r) for r in by(records, norm=n, batch_size=b)]
                          for b in sizes} for n in norms}  # fmt: skip
            p = figures.ci_lines(
                groups,
                out / "figures" / "error_vs_batch_size.png",
                xlabel="batch size (samples per step, log scale)",
                ylabel="test error (%)",
                title="test error vs batch size (cf. Wu & He 2018, Fig. 1)",
                logx=True,
                legend_title="norm",
            )
            lines += [
                f"![test error vs batch size](figures/{p.name})",
                "",
                "*Test error against the batch size, one line per norm: the mean over seeds; "
                "the bars are its 95% confidence interval (t-interval over seeds).*",
                "",
            ]
        else:
            lines += [figures.PLOT_HINT, ""]
        return "\n".join(lines)
