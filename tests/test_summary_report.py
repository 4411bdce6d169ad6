"""research.summary_report: the one page that answers the seed question from every study's summary."""

import json
import re

import numpy as np

from research import studies, summary_report


def _png(path):
  from PIL import Image
  path.parent.mkdir(parents=True, exist_ok=True)
  rng = np.random.default_rng(0)
  Image.fromarray(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)).save(path)


def _summary(root, study, finding, mean_diff=-0.0305, figure=True):
  (root / study).mkdir(parents=True)
  cells = [dict(cell=dict(dataset="spirals"), n=64, mean_diff=mean_diff, ci_low=mean_diff - 0.03,
                ci_high=mean_diff + 0.02, ci_method="t ∪ boot-t", verdict="REFUTED"),
           dict(cell=dict(dataset="rings"), n=64, mean_diff=0.02, ci_low=0.012, ci_high=0.03,
                ci_method="t ∪ boot-t", verdict="SUPPORTED")]
  line = (f"`{study}_claim`: **REFUTED** (1 of 2 cells supported). test_acc, `relu` - `leaky_relu:0.01`: "
          f"spirals: {mean_diff:.2g} [{mean_diff - 0.03:.2g}, {mean_diff + 0.02:.2g}]")
  headline = dict(path="figures/headline.png", caption=f"What to read from the {study} figure.")
  if figure:
    _png(root / study / headline["path"])
  (root / study / "summary.json").write_text(json.dumps(dict(
      question=f"{study} question?", findings=[finding],
      verdicts=[dict(name=f"{study}_claim", verdict="REFUTED", counts="SUPPORTED: 1, REFUTED: 1",
                     claim="A claim.", line=line, cells=cells)],
      caveats=[f"{study} caveat"], headline=headline if figure else None)))
  return line


def test_every_point_answered_once_from_the_summaries_and_missing_studies_named(tmp_path):
  dying = _summary(tmp_path, "dying_relu", "born dead 0.56 at width 3")
  sparsity = _summary(tmp_path, "sparsity", "ReLU +4.8 points", mean_diff=-0.0123, figure=False)
  md, page = summary_report.gather(tmp_path, studies.discover())
  text = md.read_text()
  assert "RESEARCH.md" not in text and "RESEARCH.md" not in page.read_text()  # only what ships
  assert text.index("max(0, x)") < text.index("## 1.")  # the seed question opens the page
  explanations = list(summary_report.points(studies.discover()))
  for n, claim in enumerate(explanations, 1):
    assert f"## {n}. {claim.partition(': ')[0].rstrip('.')}" in text
    assert f"| {n} | {claim} |" in text  # the table at a glance
  # dying_relu answers points 1 and 2: its evidence appears once, point 2 points back to it.
  assert text.count("born dead 0.56 at width 3") == 1 and text.count("dying_relu caveat") == 1
  assert "the same evidence as point 1 above (`dying_relu_claim` **REFUTED**)" in text
  # Effects come from the summaries, and so does where the claim holds.
  assert f"- {dying} Holds in" in text and f"- {sparsity} Holds in" in text
  assert "Holds in 1 of 2 cells (rings); refuted in spirals." in text
  for study in ("relu_vs_leaky", "narrow_nets", "topology", "linear_regions", "activation_cost"):
    assert f"`{study}`: not run yet" in text
  html = page.read_text()
  assert html.count("data:image/png;base64,") == 1  # the headline figure that exists, embedded
  assert "What to read from the dying_relu figure." in html
  ids, links = set(re.findall(r'id="([^"]+)"', html)), re.findall(r'href="#([^"]+)"', html)
  assert len(links) == len(explanations) + 1 and set(links) <= ids


def test_literature_is_cited_by_name_for_each_explanation():
  text = " ".join(summary_report.literature(c) for c in summary_report.points(studies.discover()))
  for paper in ("Mirzadeh et al. (2024", "Sokar et al. (2023", "Dohare et al. (2024",
                "Lyle et al. (2025)", "Naitzat", "Lu, Shin, Su and Karniadakis"):
    assert paper in text, paper
  for keyword in ("width", "over-parameterisation", "sparsity", "topology", "cost"):
    claims = [c for c in summary_report.points(studies.discover()) if keyword in c.lower()]
    assert claims and all(summary_report.literature(c) for c in claims), keyword
