"""Studies: declared claims, verdicts computed from paired intervals, every study's
``--quick`` run end to end, and the findings page built from committed results."""

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("scipy")

from minigrad.experiments.config import RunConfig  # noqa: E402
from minigrad.experiments.grid import read_results  # noqa: E402
from minigrad.experiments.report import write_meta  # noqa: E402
from minigrad.experiments.statistics import Claim  # noqa: E402
from minigrad.experiments.studies import STUDIES, get_study, report_study, run_study  # noqa: E402
from minigrad.experiments.studies.common import Study, per_seed  # noqa: E402

# the repository's docs/ folder, wherever under tests/ this file sits
DOCS = next(p / "docs" for p in Path(__file__).resolve().parents if (p / "docs" / "_ext").is_dir())
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------- verdicts on synthetic records
def _record(norm, seed, acc, status="ok"):
    cfg = RunConfig(norm=norm, seed=seed, tags={"study": "toy"})
    return {"run_id": cfg.run_id(), "config": cfg.to_dict(), "status": status,
            "final": {"test_acc": acc} if status == "ok" else {}, "time_s": 0.0}  # fmt: skip


class ToyStudy(Study):
    NAME = "toy"
    TITLE = "toy"
    SETUP = "synthetic records"
    CLAIMS = {
        "bn-better": Claim(
            "BN is better", "nobody 2026", "error of none minus BN (points)", "greater"
        ),  # fmt: skip
    }

    def analyze(self, records, out):
        return "## Results\n\nnothing"

    def evidence(self, records):
        return {"bn-better": {"a": per_seed(records, norm="none"),
                              "b": per_seed(records, norm="batch")}}  # fmt: skip


def _verdict(none_accs, bn_accs):
    recs = [_record("none", s, a) for s, a in enumerate(none_accs)]
    recs += [_record("batch", s, a) for s, a in enumerate(bn_accs)]
    ((key, claim, v, note),) = ToyStudy().verdicts(recs)
    return v


def test_verdict_held_contradicted_not_resolved():
    none = [0.80, 0.82, 0.79, 0.81, 0.80]
    assert _verdict(none, [a + 0.05 + 0.002 * i for i, a in enumerate(none)]).verdict == "held"
    assert _verdict(none, [a - 0.05 + 0.002 * i for i, a in enumerate(none)]).verdict == (
        "contradicted"
    )
    assert _verdict(none, [a + (0.01 if i % 2 else -0.01) for i, a in enumerate(none)]).verdict == (
        "not resolved"
    )


def test_verdict_pairs_by_seed_and_drops_diverged_runs():
    # the same values in shuffled order pair by seed, not by position
    none = {0: 0.80, 1: 0.70, 2: 0.90, 3: 0.60, 4: 0.85}
    recs = [_record("none", s, a) for s, a in none.items()]
    recs += [_record("batch", s, a + 0.03) for s, a in reversed(list(none.items()))]
    recs.append(_record("batch", 5, 0.99))  # no partner: dropped, listed
    recs.append(_record("none", 6, 0.0, status="diverged"))  # no value: dropped
    ((_, _, v, _),) = ToyStudy().verdicts(recs)
    assert v.n == 5 and v.seeds == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(v.differences, [3.0] * 5, atol=1e-9)  # error none - BN, points
    assert v.verdict == "held" and v.unpaired == {"a": [], "b": [5]}


def test_full_report_states_claim_source_and_computed_verdict(tmp_path):
    none = [0.80, 0.82, 0.79, 0.81, 0.80]
    with open(tmp_path / "results.jsonl", "w") as f:
        for s, a in enumerate(none):
            f.write(json.dumps(_record("none", s, a)) + "\n")
            f.write(json.dumps(_record("batch", s, a + 0.05 + 0.002 * s)) + "\n")
    write_meta(tmp_path, "minigrad study toy", {"quick": False})
    text = ToyStudy().report(tmp_path).read_text()
    assert "> BN is better" in text and "nobody 2026" in text
    verdict = text.split("## Verdict", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"\*\*held: error of none minus BN \(points\) = 5\.40 \(95% CI", verdict)
    blob = json.loads((tmp_path / "verdicts.json").read_text())
    assert blob["quick"] is False and blob["claims"][0]["verdict"]["verdict"] == "held"


# ------------------------------------------------------------- every study, --quick
def test_every_study_declares_claims_with_sources():
    assert {"mnist1d-baselines", "rnn-norms", "adaptive-bn", "precise-bn", "norm-cost"} <= set(
        STUDIES
    )
    for name, study in STUDIES.items():
        assert study.TITLE and study.SETUP.strip(), name
        assert study.CLAIMS, name
        for c in study.CLAIMS.values():
            assert isinstance(c, Claim) and c.text and c.source and c.quantity, name


@pytest.mark.parametrize("name", list(STUDIES))
def test_every_study_runs_quick_and_gives_no_verdict(name, tmp_path):
    if name == "sync-bn":
        pytest.importorskip("mpi4py")
    study = get_study(name)
    path = run_study(name, tmp_path, quick=True, progress="none")
    text = path.read_text()
    for section in ("## Claims tested", "## Setup", "## Verdict", "## Provenance", "--quick"):
        assert section in text, section
    for c in study.CLAIMS.values():  # the claim and its source, quoted from the definition
        assert c.text.strip() in text and c.source in text
    assert "Smoke test" in text and "CLAIMS.md" not in text and "toy-scale" not in text
    verdict = text.split("## Verdict", 1)[1].split("\n## ", 1)[0]
    assert "No verdict" in verdict and not re.search(r"\*\*(held|contradicted)", verdict)
    blob = json.loads((tmp_path / "verdicts.json").read_text())
    assert blob["quick"] is True and all("verdict" not in c for c in blob["claims"])
    records = read_results(tmp_path)
    assert records and all(r["status"] in ("ok", "diverged") for r in records), [
        r.get("error") for r in records
    ]
    for png in (tmp_path / "figures").glob("*.png"):
        assert png.read_bytes()[:8] == PNG_SIGNATURE
    (tmp_path / "report.md").unlink()  # the report can be rebuilt from the folder alone
    assert report_study(tmp_path).read_text().startswith(f"# Study `{name}`")


def test_full_grids_are_mnist1d_with_five_seeds():
    for name, study in STUDIES.items():
        configs = study.configs(False)
        assert {c.dataset for c in configs} == {"mnist1d"}, name
        assert len({c.seed for c in configs}) >= 5, name
        assert all(c.subset is None or c.subset >= 500 for c in configs), name


# ------------------------------------------------------------------ findings page
def test_findings_page_from_committed_results():
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        import studies as docs_studies
    finally:
        sys.path.pop(0)
    text = docs_studies.build_findings(DOCS)
    assert text.startswith("<!--") and "# Findings" in text
    for row in ("logistic regression | 32", "MLP | 68", "CNN | 94", "GRU | 91"):
        assert row in text  # the published mnist1d table, ours beside it
    committed = 0
    for folder in sorted((DOCS / "studies").iterdir()):
        p = folder / "verdicts.json"
        if not p.is_file() or json.loads(p.read_text())["quick"]:
            continue
        for c in json.loads(p.read_text())["claims"]:
            committed += 1
            line = next(ln for ln in text.splitlines() if f"`{folder.name}`" in ln
                        and c["claim"]["text"].split(".")[0] in ln
                        and c["claim"]["quantity"] in ln)  # fmt: skip
            verdict = (c.get("verdict") or {}).get("verdict", "not resolved")
            assert f"**{verdict}**" in line
            if c.get("verdict"):
                assert f"{c['verdict']['estimate']:.2f}" in line
    names_without = [n for n in STUDIES if not (DOCS / "studies" / n / "verdicts.json").is_file()]
    for n in names_without:  # said plainly, with the command
        assert f"- `{n}`" in text
    assert committed or names_without


# ------------------------------------------------------------- compare's conclusion
def test_compare_conclusion_from_paired_intervals():
    from minigrad.experiments.conclusion import conclusion_markdown

    recs = []
    for s in range(5):
        for bs in (2, 32):
            for norm, acc in (("none", 0.70), ("batch", 0.80 if bs == 32 else 0.60),
                              ("group", 0.80)):  # fmt: skip
                cfg = RunConfig(norm=norm, batch_size=bs, seed=s)
                jitter = 0.01 * ((s * 7 + len(norm)) % 3)
                recs.append({"config": cfg.to_dict(), "status": "ok",
                             "final": {"test_acc": acc + jitter}})  # fmt: skip
    text = conclusion_markdown(recs, ["norm", "batch_size"])
    small = next(ln for ln in text.splitlines() if ln.startswith("- **batch size 2**"))
    assert "Better than no norm (norm minus none): group" in small
    assert "Worse than no norm: batch" in small
    big = next(ln for ln in text.splitlines() if ln.startswith("- **batch size 32**"))
    assert "Better than no norm (norm minus none):" in big
    assert "0 of 1 pairs differ" in big  # BN = GN at 32
    assert "At the smallest batch (2), BatchNorm is worse than GroupNorm beyond the noise" in text
