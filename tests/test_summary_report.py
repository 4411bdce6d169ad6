"""research.summary_report: the one page that answers the seed question from every study's summary."""

import json

from research import studies, summary_report


def _summary(root, study, finding):
  (root / study).mkdir(parents=True)
  (root / study / "summary.json").write_text(json.dumps(dict(
      question=f"{study} question?", findings=[finding],
      verdicts=[dict(name=f"{study}_claim", verdict="REFUTED", counts="SUPPORTED: 0, REFUTED: 2",
                     claim="A claim.")],
      caveats=[f"{study} caveat"])))


def test_every_point_answered_once_and_missing_studies_named(tmp_path):
  _summary(tmp_path, "dying_relu", "born dead 0.56 at width 3")
  _summary(tmp_path, "sparsity", "ReLU +4.8 points")
  md, page = summary_report.gather(tmp_path, studies.discover())
  text = md.read_text()
  assert "RESEARCH.md" not in text  # outputs cite only what ships
  for n, claim in enumerate(summary_report.points(studies.discover()), 1):
    assert f"## {n}. {claim}" in text
  # dying_relu answers points 1 and 2: its evidence appears once, point 2 points back to it.
  assert text.count("born dead 0.56 at width 3") == 1 and text.count("dying_relu caveat") == 1
  assert "the same evidence as point 1 above" in text
  assert "**REFUTED** (SUPPORTED: 0, REFUTED: 2)" in text and "ReLU +4.8 points" in text
  for study in ("relu_vs_leaky", "narrow_nets", "topology", "linear_regions", "activation_cost"):
    assert f"`{study}`: not run yet" in text
  assert page.read_text().count("dying_relu/report.html") == 2  # both points link the report
