"""Study ``init-scale``: sensitivity of the final accuracy to the initial weight scale."""

from __future__ import annotations

from minigrad.experiments import figures
from minigrad.experiments.config import RunConfig
from minigrad.experiments.grid import expand_grid
from minigrad.experiments.results import summarize
from minigrad.experiments.studies.common import Study, by, final, mean_std, pct, table

NORMS = ["none", "batch", "layer"]
SCALES = [0.1, 0.3, 1.0, 3.0, 10.0]
CHANCE = 0.1


class InitScaleStudy(Study):
    NAME = "init-scale"
    TITLE = "sweep of the initial weight scale, with and without norms"
    CLAIM = """
CLAIMS.md claim 4: BatchNorm *reduces sensitivity to weight initialization*.

**What would confirm it here:** across initial scales from 0.1x to 10x PyTorch's default,
the spread (max - min over scales) of the mean final test accuracy is smaller with
BatchNorm than without a norm. A diverged run counts as chance accuracy (10%) in the
spread.
"""

    SETUP = f"""
`make_model('mlp', norm, in_shape=(1, 8, 8), width=64, depth=4)` (four hidden
Linear-norm-ReLU layers); after PyTorch's default initialization every Linear weight is
multiplied by a scale in {SCALES}. SGD lr 0.05 with momentum 0.9, batch 32, 5 epochs, seeds
0-2. Norms: {", ".join(NORMS)}.
"""

    def configs(self, quick: bool) -> list:
        if quick:
            base = RunConfig(
                model="mlp",
                width=8,
                depth=2,
                epochs=1,
                subset=64,
                test_subset=64,
                tags={"study": self.NAME},
            )
            return expand_grid(base, norm=["none", "batch"], init_scale=[0.1, 10.0], seed=[0])
        base = RunConfig(
            model="mlp",
            width=64,
            depth=4,
            batch_size=32,
            lr=0.05,
            epochs=5,
            tags={"study": self.NAME},
        )
        return expand_grid(base, norm=NORMS, init_scale=SCALES, seed=[0, 1, 2])

    def analyze(self, records, out) -> str:
        norms = [n for n in NORMS if by(records, norm=n)]
        scales = sorted({r["config"]["init_scale"] for r in records})
        rows, spread = [], {}
        for n in norms:
            means, cells = [], []
            for s in scales:
                rs = by(records, norm=n, init_scale=s)
                accs = [final(r) if r.get("status") == "ok" else CHANCE for r in rs]
                m, sd, _ = mean_std(accs)
                div = sum(r.get("status") != "ok" for r in rs)
                means.append(m)
                cells.append(pct(m, sd) + (f" ({div} div.)" if div else ""))
            spread[n] = max(means) - min(means)
            rows.append([n, *cells, f"{100 * spread[n]:.1f}"])
        lines = [
            "## Results",
            "",
            "Final test accuracy (%), mean ± std over seeds (diverged runs count as 10%):",
            "",
            table(["norm", *(f"x{s:g}" for s in scales), "spread (points)"], rows),
            "",
        ]
        if figures.have_matplotlib():
            p = figures.metric_vs_axis(
                summarize(records, ["norm", "init_scale"]),
                "init_scale",
                out / "figures" / "test_acc_vs_init_scale.png",
                logx=True,
                title="final test accuracy vs initial scale",
            )
            lines += [f"![test accuracy vs init scale](figures/{p.name})", ""]
        else:
            lines += [figures.PLOT_HINT, ""]
        lines += ["## Verdict", ""]
        if "batch" in spread and "none" in spread:
            held = spread["batch"] < spread["none"]
            lines.append(
                f"- Spread over initial scales: BN {100 * spread['batch']:.1f} points vs no norm "
                f"{100 * spread['none']:.1f}: the claim **{'held' if held else 'did not hold'}** "
                "at this scale."
            )
            if "layer" in spread:
                lines.append(f"- LayerNorm: {100 * spread['layer']:.1f} points.")
        return "\n".join(lines)
