"""Study ``learning-rate``: does a norm let the network train at higher learning rates?"""

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

NORMS = ["none", "batch", "layer", "group"]
BASE = 0.05  # the laboratory's default SGD rate
LRS = [0.05, 0.25, 0.5, 1.5]
HIGH, HIGHER = 0.5, 1.5  # 10x and 30x the default, declared before running
EPOCHS = 5
CHANCE_ERR = 90.0

IOFFE = (
    "Ioffe & Szegedy 2015 (arXiv 1502.03167), sections 3.3 and 4.2.2: Inception on "
    "ImageNet with BN trained at 5x and 30x the baseline's learning rate"
)


def err_or_chance(record):
    """Final test error in points; a diverged run scores chance (90%)."""
    if record.get("status") == "diverged":
        return CHANCE_ERR
    return value(record)


class LearningRateStudy(Study):
    NAME = "learning-rate"
    TITLE = "learning-rate sweep with and without each norm"
    CLAIMS = {
        "bn-trains-at-10x": Claim(
            text="Batch Normalization enables higher learning rates: in a batch-normalized "
            "model, we have been able to use much higher learning rates without divergence "
            "or poor local minima.",
            source=IOFFE,
            quantity=f"test error without a norm minus with BN at lr {HIGH:g} (10x the default "
            f"{BASE:g}), points; a diverged run counts as 90% (chance)",
            direction="greater",
            published="Inception without BN diverged at 5x its rate; BN-x5 reached 72.2% top-1 "
            "in 6 times fewer steps than Inception's 72.2%",
        ),
        "bn-trains-at-30x": Claim(
            text="Batch Normalization enables higher learning rates (BN-x30: 30 times the "
            "initial learning rate still trains, to a higher final accuracy).",
            source=IOFFE,
            quantity=f"test error without a norm minus with BN at lr {HIGHER:g} (30x the "
            "default), points; a diverged run counts as 90%",
            direction="greater",
            published="BN-x30 reached 74.8% top-1 (vs 72.2% for Inception at its own rate)",
        ),
    }
    SETUP = f"""
`make_model('cnn', norm, in_shape=(1, 40), width=16, depth=2, groups=4)`, batch 32, SGD
with momentum 0.9, constant learning rate in {LRS} ({", ".join(f"{lr / BASE:g}x" for lr in LRS)}
the default {BASE:g}), {EPOCHS} epochs, 5 seeds. Norms: {", ".join(NORMS)}. A loss that
becomes NaN or infinite stops the run and counts it as diverged (scored as chance, 90%
error, in the comparisons).
"""

    def configs(self, quick: bool) -> list:
        if quick:
            base = RunConfig(width=4, depth=1, tags={"study": self.NAME}, **data_settings(True))
            return expand_grid(base, norm=["none", "batch"], lr=[0.1, 1e4], seed=seeds(True))
        base = RunConfig(model="cnn", width=16, depth=2, groups=4, batch_size=32, epochs=EPOCHS,
                         tags={"study": self.NAME}, **data_settings(False))  # fmt: skip
        return expand_grid(base, norm=NORMS, lr=LRS, seed=seeds(False))

    def evidence(self, records) -> dict:
        lrs = sorted({r["config"]["lr"] for r in records})
        hi = HIGH if HIGH in lrs else lrs[-1]
        top = HIGHER if HIGHER in lrs else lrs[-1]
        return {
            "bn-trains-at-10x": {
                "a": per_seed(records, err_or_chance, norm="none", lr=hi),
                "b": per_seed(records, err_or_chance, norm="batch", lr=hi),
            },
            "bn-trains-at-30x": {
                "a": per_seed(records, err_or_chance, norm="none", lr=top),
                "b": per_seed(records, err_or_chance, norm="batch", lr=top),
            },
        }

    def analyze(self, records, out) -> str:
        norms = [n for n in NORMS if by(records, norm=n)]
        lrs = sorted({r["config"]["lr"] for r in records})
        cells = {}
        for n in norms:
            for lr in lrs:
                rs = by(records, norm=n, lr=lr)
                if not rs:
                    continue
                m, s, _ = mean_std([err_or_chance(r) for r in rs])
                div = sum(r.get("status") == "diverged" for r in rs)
                cells[n, lr] = f"{m:.1f} ± {s:.1f}" + (f" ({div}/{len(rs)} div.)" if div else "")
        diff = [[f"none - {n}", *(paired_cells(per_seed(records, err_or_chance, norm="none", lr=lr),
                 per_seed(records, err_or_chance, norm=n, lr=lr)) for lr in lrs)]
                for n in norms if n != "none"]  # fmt: skip
        lines = [
            "## Results",
            "",
            "Final test error (%), mean ± std over seeds; a diverged run (`div.`) counts as "
            "90% (chance):",
            "",
            table(
                ["norm", *(f"lr={lr:g}" for lr in lrs)],
                [[n, *(cells.get((n, lr), "—") for lr in lrs)] for n in norms],
            ),  # fmt: skip
            "",
            "Paired differences of test error, no norm minus each norm (points; mean [95% CI]; "
            "positive: the norm is better):",
            "",
            table(["difference", *(f"lr={lr:g}" for lr in lrs)], diff),
            "",
        ]
        if figures.have_matplotlib():
            groups = {n: {lr: [err_or_chance(r) for r in by(records, norm=n, lr=lr)]
                          for lr in lrs} for n in norms}  # fmt: skip
            p = figures.ci_lines(
                groups, out / "figures" / "error_vs_lr.png",
                xlabel="learning rate (log scale)", ylabel="test error (%), diverged = 90",
                title="final test error vs learning rate", logx=True, legend_title="norm",
            )  # fmt: skip
            lines += [
                f"![test error vs learning rate](figures/{p.name})",
                "",
                "*Final test error against the learning rate (mean over seeds; bars: 95% "
                "t-interval; a diverged run counts as 90%).*",
                "",
            ]
        else:
            lines += [figures.PLOT_HINT, ""]
        return "\n".join(lines)
