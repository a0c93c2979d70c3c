"""Study ``renorm``: Batch Renormalization against BatchNorm at tiny batches."""

from __future__ import annotations

from minigrad.experiments import figures
from minigrad.experiments.config import RunConfig
from minigrad.experiments.grid import expand_grid
from minigrad.experiments.studies.common import Study, by, final, mean_std, pct, table

BATCH_SIZES = [2, 4, 32]
BASE_LR = 0.05
TRAIN_SIZE = 1438


class RenormStudy(Study):
    NAME = "renorm"
    TITLE = "Batch Renormalization vs BatchNorm at batch 2 and 4"
    CLAIM = """
Ioffe 2017 (Batch Renormalization, arXiv 1702.03275): the r and d corrections (clipped,
without gradient) make training use the running statistics' scale; Batch Renorm *matches
BN on normal batches and does better on small or non-i.i.d. ones* (CLAIMS.md; claim 6's
small-batch weakness is what it addresses).

**What would confirm it here:** at batch 2 and 4, Batch Renorm's test accuracy (eval
mode, running statistics) above BN's by more than the seed spread, and about equal to BN at
batch 32.
"""

    SETUP = f"""
`make_model('cnn', norm, in_shape=(1, 8, 8), width=8, depth=2)` with `BatchNorm2d` or
`BatchRenorm2d` (momentum 0.1 for both). Renorm starts as plain BN (rmax=1, dmax=0) and
relaxes linearly to rmax=3, dmax=5 over the first epoch (Ioffe ramps them over the first
part of training too). SGD momentum 0.9, learning rate {BASE_LR}·N/32, 3 epochs at every
batch size N in {BATCH_SIZES}, seeds 0-2.
"""

    def configs(self, quick: bool) -> list:
        if quick:
            base = RunConfig(width=4, depth=1, epochs=1, subset=64, test_subset=64)
            grid = expand_grid(base, batch_size=[4], norm=["batch", "renorm"], seed=[0])
        else:
            base = RunConfig(model="cnn", width=8, depth=2, epochs=3, rmax=3.0, dmax=5.0)
            grid = expand_grid(
                base, batch_size=BATCH_SIZES, norm=["batch", "renorm"], seed=[0, 1, 2]
            )
        out = []
        for c in grid:
            n = c.subset or TRAIN_SIZE
            c = c.replace(lr=BASE_LR * c.batch_size / 32, tags={"study": self.NAME})
            if c.norm == "renorm":
                c = c.replace(renorm_warmup=max(n // c.batch_size, 1))
            out.append(c)
        return out

    def analyze(self, records, out) -> str:
        sizes = sorted({r["config"]["batch_size"] for r in records})
        res, rows = {}, []
        for b in sizes:
            row = [b]
            for n in ("batch", "renorm"):
                rs = by(records, norm=n, batch_size=b)
                res[n, b] = mean_std([final(r) for r in rs])
                div = sum(r.get("status") != "ok" for r in rs)
                row.append(pct(*res[n, b][:2]) + (f" ({div} diverged)" if div else ""))
            row.append(f"{100 * (res['renorm', b][0] - res['batch', b][0]):+.1f}")
            rows.append(row)
        lines = [
            "## Results",
            "",
            "Final test accuracy (%), eval mode, mean ± std over seeds:",
            "",
            table(["batch", "BatchNorm", "Batch Renorm", "renorm - BN (points)"], rows),
            "",
            "## Verdict",
            "",
        ]
        small = [b for b in sizes if b <= 4]
        verdicts = []
        for b in small:
            (mb, sb, _), (mr, sr, _) = res["batch", b], res["renorm", b]
            better = mr - mb > max(sb, sr)
            verdicts.append(better)
            lines.append(
                f"- Batch {b}: renorm {pct(mr)}% vs BN {pct(mb)}% "
                f"({100 * (mr - mb):+.1f} points; seed std {100 * max(sb, sr):.1f}): "
                f"{'better beyond the spread' if better else 'not better beyond the spread'}."
            )
        if small:
            won = [b for b, v in zip(small, verdicts) if v]
            if len(won) == len(small):
                state = "held"
            elif won:
                state = f"held only at batch {', '.join(map(str, won))}"
            else:
                state = "did not hold"
            lines.append(
                f"- The claim that Batch Renorm does better at small batches **{state}** at "
                "this scale."
            )
        lines.append("")
        if figures.have_matplotlib():
            p = self._plot(res, sizes, out / "figures" / "renorm_vs_batchnorm.png")
            lines += [f"![Batch Renorm vs BatchNorm by batch size](figures/{p.name})", ""]
        else:
            lines += [figures.PLOT_HINT, ""]
        return "\n".join(lines)

    @staticmethod
    def _plot(res, sizes, path):
        plt = figures.pyplot()
        fig, ax = plt.subplots(figsize=(6, 4))
        for n, label in (("batch", "BatchNorm"), ("renorm", "Batch Renorm")):
            m = [100 * res[n, b][0] for b in sizes]
            s = [100 * res[n, b][1] for b in sizes]
            ax.errorbar(sizes, m, yerr=s, marker="o", capsize=3, label=label)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes, [str(b) for b in sizes])
        ax.set_xlabel("batch size")
        ax.set_ylabel("test accuracy (%), eval mode")
        ax.set_title("Batch Renorm vs BatchNorm (mean ± std over seeds)")
        ax.grid(alpha=0.3)
        ax.legend()
        return figures.save(fig, path)
