"""Study ``learning-rate``: the largest learning rate that still trains, per norm."""

from __future__ import annotations

from minigrad.experiments import figures
from minigrad.experiments.config import RunConfig
from minigrad.experiments.grid import expand_grid
from minigrad.experiments.results import summarize
from minigrad.experiments.studies.common import Study, by, final, mean_std, pct, table

NORMS = ["none", "batch", "layer", "group", "instance"]
LRS = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
#: A run "trains" when it did not diverge and ends at least this accurate (chance is 10%).
TRAINS = 0.80


class LearningRateStudy(Study):
    NAME = "learning-rate"
    TITLE = "learning-rate sweep with and without each norm"
    CLAIM = f"""
CLAIMS.md claim 3: BatchNorm *allows higher learning rates*. Ioffe & Szegedy 2015: on
ImageNet, Inception with BN trained at 5x and 30x the baseline's learning rate, while
"without BN, 5x the learning rate diverged".

**What would confirm it here:** the largest learning rate at which every seed trains
(no divergence, final test accuracy >= {100 * TRAINS:.0f}%, a threshold fixed before
running) is larger with BatchNorm than without a norm.
"""

    def __init__(self):
        self.SETUP = f"""
`make_model('cnn', norm, in_shape=(1, 8, 8), width=8, depth=2, groups=4)`, batch 32, SGD
with momentum 0.9, constant learning rate in {LRS}, 3 epochs, seeds 0 and 1. Norms:
{", ".join(NORMS)}. A loss that becomes NaN or infinite stops the run and counts it as
diverged.
"""

    def configs(self, quick: bool) -> list:
        if quick:
            base = RunConfig(
                width=4, depth=1, epochs=1, subset=64, test_subset=64, tags={"study": self.NAME}
            )
            return expand_grid(base, norm=["none", "batch"], lr=[0.1, 1e4], seed=[0])
        base = RunConfig(
            model="cnn",
            width=8,
            depth=2,
            groups=4,
            batch_size=32,
            epochs=3,
            tags={"study": self.NAME},
        )
        return expand_grid(base, norm=NORMS, lr=LRS, seed=[0, 1])

    def analyze(self, records, out) -> str:
        norms = [n for n in NORMS if by(records, norm=n)]
        lrs = sorted({r["config"]["lr"] for r in records})
        cells, largest = {}, {}
        for n in norms:
            for lr in lrs:
                rs = by(records, norm=n, lr=lr)
                if not rs:
                    continue
                accs = [final(r) for r in rs]
                div = sum(r.get("status") != "ok" for r in rs)
                m, s, _ = mean_std(accs)
                cells[n, lr] = pct(m, s) + (f" ({div}/{len(rs)} div.)" if div else "")
                if all(a is not None and a >= TRAINS for a in accs):
                    largest[n] = lr
        lines = [
            "## Results",
            "",
            "Final test accuracy (%), mean ± std over seeds; `div.` counts diverged runs:",
            "",
            table(
                ["norm", *(f"lr={lr:g}" for lr in lrs)],
                [[n, *(cells.get((n, lr), "—") for lr in lrs)] for n in norms],
            ),
            "",
            table(
                ["norm", f"largest lr where every seed reaches {100 * TRAINS:.0f}%"],
                [[n, f"{largest[n]:g}" if n in largest else "none"] for n in norms],
            ),
            "",
        ]
        if figures.have_matplotlib():
            p = figures.metric_vs_axis(
                summarize(records, ["norm", "lr"]),
                "lr",
                out / "figures" / "test_acc_vs_lr.png",
                logx=True,
                title="final test accuracy vs learning rate",
            )
            lines += [
                f"![test accuracy vs learning rate](figures/{p.name})",
                "",
                "*Diverged runs are left out of the means (see the table).*",
                "",
            ]
        else:
            lines += [figures.PLOT_HINT, ""]
        lines += ["## Verdict", ""]
        if "batch" in norms and "none" in norms:
            b, n = largest.get("batch"), largest.get("none")
            held = b is not None and (n is None or b > n)
            lines.append(
                f"- Largest trainable rate: BN {b if b is not None else 'none'} vs no norm "
                f"{n if n is not None else 'none'}: the claim **"
                f"{'held' if held else 'did not hold'}** at this scale."
            )
            others = [f"{k} {v:g}" for k, v in largest.items() if k not in ("batch", "none")]
            if others:
                lines.append(f"- Other norms: {', '.join(others)}.")
        return "\n".join(lines)
