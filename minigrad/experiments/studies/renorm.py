"""Study ``renorm``: Batch Renormalization against BatchNorm at tiny batches."""

from __future__ import annotations

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

BATCH_SIZES = [2, 4, 32]
BASE_LR = 0.05
EPOCHS = 3
TRAIN_SIZE = 4000
IOFFE17 = "Ioffe 2017 (Batch Renormalization, arXiv 1702.03275), section 4.2 and Figure 2"


class RenormStudy(Study):
    NAME = "renorm"
    TITLE = "Batch Renormalization vs BatchNorm at batch 2 and 4"
    CLAIMS = {
        "renorm-better-at-batch-2": Claim(
            text="Batch Renormalization improves the training of models with small "
            "minibatches: the r and d corrections make the model's activations depend on "
            "the population statistics rather than on the minibatch alone.",
            source=IOFFE17,
            quantity="test error of BN minus Batch Renorm at batch 2 (points, eval mode)",
            direction="greater",
            published="Inception with 4 examples per worker: BN 76.5%, Batch Renorm 78.6% "
            "top-1 accuracy (BN with 32 per worker: 78.3%)",
        ),
        "renorm-better-at-batch-4": Claim(
            text="Batch Renormalization improves the training of models with small minibatches.",
            source=IOFFE17,
            quantity="test error of BN minus Batch Renorm at batch 4 (points, eval mode)",
            direction="greater",
            published="+2.1 points of top-1 accuracy for Batch Renorm at 4 per worker",
        ),
    }
    SETUP = f"""
`make_model('cnn', norm, in_shape=(1, 40), width=16, depth=2)` with `BatchNorm1d` or
`BatchRenorm1d` (momentum 0.1 for both). Renorm starts as plain BN (rmax=1, dmax=0) and
relaxes linearly to rmax=3, dmax=5 over the first epoch (Ioffe ramps them over the first
part of training too). SGD momentum 0.9, learning rate {BASE_LR}·N/32, {EPOCHS} epochs at
every batch size N in {BATCH_SIZES}, 5 seeds.
"""

    def configs(self, quick: bool) -> list:
        if quick:
            base = RunConfig(width=4, depth=1, **data_settings(True))
            grid = expand_grid(base, batch_size=[2, 4], norm=["batch", "renorm"], seed=seeds(True))
        else:
            base = RunConfig(model="cnn", width=16, depth=2, epochs=EPOCHS, rmax=3.0, dmax=5.0,
                             **data_settings(False))  # fmt: skip
            grid = expand_grid(base, batch_size=BATCH_SIZES, norm=["batch", "renorm"],
                               seed=seeds(False))  # fmt: skip
        out = []
        for c in grid:
            n = c.subset or TRAIN_SIZE
            c = c.replace(lr=BASE_LR * c.batch_size / 32, tags={"study": self.NAME})
            if c.norm == "renorm":
                c = c.replace(renorm_warmup=max(n // c.batch_size, 1))
            out.append(c)
        return out

    def evidence(self, records) -> dict:
        ev = {}
        for b in (2, 4):
            ev[f"renorm-better-at-batch-{b}"] = {
                "a": per_seed(records, norm="batch", batch_size=b),
                "b": per_seed(records, norm="renorm", batch_size=b),
            }
        return ev

    def analyze(self, records, out) -> str:
        sizes = sorted({r["config"]["batch_size"] for r in records})
        rows = []
        for b in sizes:
            row = [b]
            for n in ("batch", "renorm"):
                rs = by(records, norm=n, batch_size=b)
                m, s, k = mean_std([value(r) for r in rs])
                div = len(rs) - k
                row.append(f"{m:.1f} ± {s:.1f}" + (f" ({div} diverged)" if div else ""))
            row.append(paired_cells(per_seed(records, norm="batch", batch_size=b),
                                    per_seed(records, norm="renorm", batch_size=b)))  # fmt: skip
            rows.append(row)
        lines = [
            "## Results",
            "",
            "Final test error (%), eval mode, mean ± std over seeds; the last column is the "
            "paired difference BN minus Batch Renorm (points, mean [95% CI]; positive: renorm "
            "better):",
            "",
            table(["batch", "BatchNorm", "Batch Renorm", "BN - renorm"], rows),
            "",
        ]
        if figures.have_matplotlib():
            groups = {
                label: {b: [value(r) for r in by(records, norm=n, batch_size=b)] for b in sizes}
                for n, label in (("batch", "BatchNorm"), ("renorm", "Batch Renorm"))
            }
            p = figures.ci_lines(
                groups, out / "figures" / "renorm_vs_batchnorm.png",
                xlabel="batch size (log scale)", ylabel="test error (%), eval mode", logx=True,
                title="Batch Renorm vs BatchNorm",
            )  # fmt: skip
            lines += [
                f"![Batch Renorm vs BatchNorm by batch size](figures/{p.name})",
                "",
                "*Mean over seeds; bars: 95% t-interval over seeds.*",
                "",
            ]
        else:
            lines += [figures.PLOT_HINT, ""]
        return "\n".join(lines)
