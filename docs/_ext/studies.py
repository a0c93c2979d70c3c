"""Generate one page per study (docs/studies/NAME.md) from what the laboratory committed.

``minigrad study NAME --out docs/studies/NAME`` writes ``report.md`` and its PNG figures
into ``docs/studies/NAME/``. This module, called from ``conf.py`` on every build, writes
``docs/studies/NAME.md``: the claim the study tests and the command that reruns it,
followed by the committed report with its links made relative to the study folder. When
no report is there yet, the page says so plainly and gives the command.
"""

from __future__ import annotations

import re
from pathlib import Path

# name -> (title, claim, source)
STUDIES = {
    "bn-sigmoid-mlp": (
        "BatchNorm in a sigmoid MLP",
        "With BatchNorm, test accuracy rises faster and ends higher, and the distribution of "
        "the input to a last-layer sigmoid (its 15th, 50th and 85th percentiles) stays stable "
        "during training; without it, the distribution drifts.",
        "Ioffe & Szegedy 2015 (arXiv 1502.03167), Figure 1, at toy scale: three hidden layers "
        "of 100 sigmoid units, batch 60.",
    ),
    "batch-size": (
        "Batch size: BatchNorm against GroupNorm, LayerNorm and InstanceNorm",
        "BatchNorm degrades at small batches (ResNet-50 ImageNet error 23.6% at 32 images per "
        "GPU, 34.7% at 2), while GroupNorm is flat (24.1% at both).",
        "Wu & He 2018 (arXiv 1803.08494), Figure 1, at toy scale: the same number of epochs "
        "for every batch size, learning rate scaled with the batch size, BN evaluated with its "
        "running statistics.",
    ),
    "learning-rate": (
        "Learning rate",
        "BatchNorm allows higher learning rates: the largest rate that still trains is larger "
        "with a normalization than without.",
        "Ioffe & Szegedy 2015: on Inception, 5x the learning rate diverged without BN and "
        "trained with it.",
    ),
    "init-scale": (
        "Initial weight scale",
        "Normalization reduces sensitivity to weight initialization: the spread of final "
        "accuracy over initial weight scales is smaller with a norm.",
        "Claim 4 of the common explainers (see CLAIMS).",
    ),
    "regularization": (
        "Regularization",
        "BatchNorm acts as a regularizer through batch noise and narrows the train/test gap, "
        "although it does not always prevent overfitting.",
        "Claim 5 of the common explainers; Ioffe & Szegedy 2015.",
    ),
    "train-vs-eval": (
        "Train versus eval statistics",
        "At small batches, accuracy with running statistics (eval mode) differs from accuracy "
        "with batch statistics; the momentum of the running averages matters.",
        "Claims 1 and 6 of the common explainers.",
    ),
    "renorm": (
        "Batch Renormalization at tiny batches",
        "Batch Renormalization matches BatchNorm on normal batches and does better on small "
        "ones (here batch 2 and 4).",
        "Ioffe 2017 (arXiv 1702.03275).",
    ),
    "landscape": (
        "The loss landscape along the gradient step",
        "BatchNorm smooths the loss landscape: along each step, the loss varies less and the "
        "gradient changes less (gradient predictiveness, effective beta-smoothness).",
        "Santurkar et al. 2018 (arXiv 1805.11604).",
    ),
}

_FENCE = re.compile(r"^\s*(```|~~~)")
_IMG = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)([^)]*)\)")
_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)")
_HTML_IMG = re.compile(r"(<img[^>]*\ssrc=\")([^\"]+)(\")")
_IMAGE_EXT = (".png", ".svg", ".jpg", ".jpeg", ".gif")


def _is_relative(target: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:", target) and not target.startswith(("/", "#"))


def _rewrite(report: str, name: str, folder: Path) -> str:
    out = []
    in_fence = False
    for line in report.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            out.append(line)
            continue
        if in_fence:
            out.append(line)
            continue

        def img(m):
            alt, target, rest = m.group(1), m.group(2), m.group(3)
            if not _is_relative(target):
                return m.group(0)
            if not (folder / target).is_file():
                return f"*(figure `{target}` is missing from the study folder)*"
            return f"![{alt}]({name}/{target}{rest})"

        def link(m):
            text, target = m.group(1), m.group(2)
            if not _is_relative(target):
                return m.group(0)
            path = target.split("#")[0]
            if not (folder / path).is_file():
                return text
            if path.lower().endswith(_IMAGE_EXT + (".csv", ".json", ".jsonl", ".txt", ".md")):
                return f"{{download}}`{text} <{name}/{path}>`"
            return text

        def html_img(m):
            target = m.group(2)
            if not _is_relative(target):
                return m.group(0)
            return m.group(1) + f"{name}/{target}" + m.group(3)

        line = _IMG.sub(img, line)
        line = _LINK.sub(link, line)
        line = _HTML_IMG.sub(html_img, line)
        out.append(line)
    return "\n".join(out)


def _rerun(name: str) -> list[str]:
    return [
        "```bash",
        'pip install ".[lab]"',
        f"minigrad study {name} --out docs/studies/{name}",
        "```",
        "",
    ]


def _page(name: str, folder: Path) -> str:
    title, claim, source = STUDIES[name]
    head = [
        "<!-- Generated by docs/_ext/studies.py on every build; do not edit. -->",
        "",
        f"(study-{name})=",
    ]
    report = folder / "report.md"
    if report.is_file():
        body = _rewrite(report.read_text(encoding="utf-8"), name, folder).splitlines()
        # keep the report's own title (its first level-1 heading), or give it ours
        first = next((i for i, ln in enumerate(body) if ln.strip()), None)
        if first is not None and body[first].startswith("# "):
            head += [body[first], ""]
            body = body[first + 1 :]
        else:
            head += [f"# Study `{name}`: {title}", ""]
        head += [
            ":::{admonition} Where this page comes from",
            f"The report below was written by `minigrad study {name}` and committed in "
            f"`docs/studies/{name}/` with its figures; the docs build only includes it. "
            "Its provenance section gives the command, the date and the machine. Rerun it "
            "with:",
            "",
            *_rerun(name),
            ":::",
            "",
            *body,
            "",
        ]
    else:
        head += [
            f"# Study `{name}`: {title}",
            "",
            f"**Claim tested.** {claim}",
            "",
            f"**Source.** {source}",
            "",
            "## Results",
            "",
            "```{note}",
            f"This study has not been run yet: there is no `docs/studies/{name}/report.md` "
            "in the repository. Run it with the command below, commit the folder it writes, "
            "and rebuild the docs to see its tables and figures here.",
            "```",
            "",
            *_rerun(name),
        ]
    return "\n".join(head) + "\n"


def generate(docs_dir: Path) -> list[str]:
    """Write ``studies/NAME.md`` for every study; return the names that have a report."""
    studies = docs_dir / "studies"
    studies.mkdir(exist_ok=True)
    have = []
    for name in STUDIES:
        folder = studies / name
        text = _page(name, folder)
        path = studies / f"{name}.md"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        if (folder / "report.md").is_file():
            have.append(name)
    status = [
        ".. Generated by docs/_ext/studies.py on every build; do not edit.",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 22 58 20",
        "",
        "   * - study",
        "     - claim tested",
        "     - status",
    ]
    for name, (_title, claim, _source) in STUDIES.items():
        state = "report committed" if name in have else "not run yet"
        status += [f"   * - :doc:`{name}`", f"     - {claim}", f"     - {state}"]
    text = "\n".join(status) + "\n"
    path = studies / "status.txt"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return have
