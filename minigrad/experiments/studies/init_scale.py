"""Study ``init-scale``: sensitivity of the final accuracy to the initial weight scale."""

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
    seeds,
    table,
    value,
)

NORMS = ["none", "batch", "layer"]
SCALES = [0.1, 0.3, 1.0, 3.0, 10.0]
CHANCE_ERR = 90.0
EPOCHS = 5


def err_or_chance(record):
    """Final test error in points; a diverged run scores chance (90%)."""
    return CHANCE_ERR if record.get("status") == "diverged" else value(record)


class InitScaleStudy(Study):
    NAME = "init-scale"
    TITLE = "sweep of the initial weight scale, with and without norms"
    CLAIMS = {
        "bn-less-sensitive-to-init": Claim(
            text="Batch Normalization makes training less sensitive to the initialization: "
            "back-propagation through a layer is unaffected by the scale of its parameters.",
            source="Ioffe & Szegedy 2015 (arXiv 1502.03167), section 3.3 (BN(Wu) = BN((aW)u))",
            quantity="spread of the final test error over initial scales 0.1x-10x (max minus "
            "min, points) without a norm minus with BN, per seed",
            direction="greater",
            published="no number: the paper argues it from the scale invariance of BN",
        ),
        "ln-less-sensitive-to-init": Claim(
            text="Layer normalization is invariant to re-scaling of the whole weight "
            "matrix, so it too removes the dependence on the weights' initial scale.",
            source="Ba, Kiros & Hinton 2016 (arXiv 1607.06450), section 5.1 and Table 1",
            quantity="spread of the final test error over initial scales (points) without a "
            "norm minus with LayerNorm, per seed",
            direction="greater",
            published="no number: Table 1 lists weight-matrix re-scaling invariance for BN and LN",
        ),
    }
    SETUP = f"""
`make_model('mlp', norm, in_shape=(1, 40), width=64, depth=4)` (four hidden
Linear-norm-ReLU layers); after PyTorch's default initialization every Linear weight is
multiplied by a scale in {SCALES}. SGD lr 0.05 with momentum 0.9, batch 32, {EPOCHS}
epochs, 5 seeds. Norms: {", ".join(NORMS)}. A diverged run counts as chance (90% error).
Per seed, the spread is the largest minus the smallest final test error over the scales.
"""

    def configs(self, quick: bool) -> list:
        if quick:
            base = RunConfig(model="mlp", width=8, depth=2, tags={"study": self.NAME},
                             **data_settings(True))  # fmt: skip
            return expand_grid(base, norm=["none", "batch", "layer"], init_scale=[0.1, 10.0],
                               seed=seeds(True))  # fmt: skip
        base = RunConfig(model="mlp", width=64, depth=4, batch_size=32, lr=0.05, epochs=EPOCHS,
                         tags={"study": self.NAME}, **data_settings(False))  # fmt: skip
        return expand_grid(base, norm=NORMS, init_scale=SCALES, seed=seeds(False))

    @staticmethod
    def spread(records, norm) -> dict:
        """``{seed: max - min over scales of the final test error}``."""
        per = {}
        for r in by(records, norm=norm):
            v = err_or_chance(r)
            if v is not None:
                per.setdefault(r["config"]["seed"], []).append(v)
        n_scales = len({r["config"]["init_scale"] for r in records})
        return {s: max(v) - min(v) for s, v in per.items() if len(v) == n_scales}

    def evidence(self, records) -> dict:
        none = self.spread(records, "none")
        return {
            "bn-less-sensitive-to-init": {"a": none, "b": self.spread(records, "batch")},
            "ln-less-sensitive-to-init": {"a": none, "b": self.spread(records, "layer")},
        }

    def analyze(self, records, out) -> str:
        norms = [n for n in NORMS if by(records, norm=n)]
        scales = sorted({r["config"]["init_scale"] for r in records})
        rows = []
        for n in norms:
            cells = []
            for s in scales:
                rs = by(records, norm=n, init_scale=s)
                m, sd, _ = mean_std([err_or_chance(r) for r in rs])
                div = sum(r.get("status") == "diverged" for r in rs)
                cells.append(f"{m:.1f} ± {sd:.1f}" + (f" ({div} div.)" if div else ""))
            sp = mean_std(list(self.spread(records, n).values()))
            rows.append([n, *cells, f"{sp[0]:.1f} ± {sp[1]:.1f}"])
        lines = [
            "## Results",
            "",
            "Final test error (%), mean ± std over seeds (a diverged run counts as 90%); the "
            "last column is the per-seed spread over scales (max - min), mean ± std:",
            "",
            table(["norm", *(f"x{s:g}" for s in scales), "spread (points)"], rows),
            "",
        ]
        if figures.have_matplotlib():
            groups = {n: {s: [err_or_chance(r) for r in by(records, norm=n, init_scale=s)]
                          for s in scales} for n in norms}  # fmt: skip
            p = figures.ci_lines(
                groups, out / "figures" / "error_vs_init_scale.png",
                xlabel="initial weight scale (x PyTorch's default, log scale)",
                ylabel="test error (%), diverged = 90", logx=True, legend_title="norm",
                title="final test error vs initial weight scale",
            )  # fmt: skip
            lines += [
                f"![test error vs init scale](figures/{p.name})",
                "",
                "*Mean over seeds; bars: 95% t-interval over seeds.*",
                "",
            ]
        else:
            lines += [figures.PLOT_HINT, ""]
        return "\n".join(lines)
