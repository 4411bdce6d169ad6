"""One page that answers the seed question point by point from the latest run of every study.

The seed question: why is ReLU still the default although units can die and LeakyReLU is the
usual fix? Each study declares the explanations its evidence answers (`Study.answers`); the page
has one section per explanation, in the order of the studies (`Study.order`), and shows under it
each study's findings and hypothesis verdicts with a link to its full report. A study is shown
once; a second explanation it answers points back to the first.
"""

from __future__ import annotations

import json
from pathlib import Path

from research.report import markdown_to_page
from research.store import atomic_write_text


def points(studies: dict) -> dict[str, list[str]]:
  """explanation -> the names of the studies that answer it, in study order."""
  out: dict[str, list[str]] = {}
  for name, study in studies.items():
    for explanation in study.answers:
      out.setdefault(explanation, []).append(name)
  return out


def gather(root: str | Path, studies: dict) -> tuple[Path, Path]:
  """Writes root/report.md and root/report.html from root/<study>/summary.json files."""
  root = Path(root)
  parts = ["# Why is ReLU still the default? The evidence, claim by claim", "",
           "Each point is an explanation offered for ReLU's place as the default; under it, what "
           "the latest run of each study found, its hypothesis verdicts (paired tests over seeds, "
           "Holm-corrected, by the rule in each report) and a link to the full report.", ""]
  shown: dict[str, int] = {}  # study -> the point that already shows its evidence
  for n, (claim, names) in enumerate(points(studies).items(), 1):
    parts += [f"## {n}. {claim}", ""]
    for study in names:
      if study in shown:  # one study can answer two points: its evidence is shown once
        parts += [f"- [`{study}` report]({study}/report.html): the same evidence as point {shown[study]} above."]
        continue
      shown[study] = n
      summary_path = root / study / "summary.json"
      if not summary_path.exists():
        parts += [f"- `{study}`: not run yet (`python -m experiments.{study} --workdir {root / study}`)"]
        continue
      s = json.loads(summary_path.read_text())
      parts += [f"- [`{study}` report]({study}/report.html): {s['question']}"]
      parts += [f"  - {f}" for f in s["findings"]]
      parts += [f"  - `{v['name']}`: **{v['verdict']}** ({v['counts']}) — {v['claim']}" for v in s["verdicts"]]
      parts += [f"  - caveat: {c}" for c in s["caveats"]]
    parts += [""]
  markdown = "\n".join(parts).replace("\n  - ", "\n- ")  # the page renderer knows one list level
  md, page = root / "report.md", root / "report.html"
  atomic_write_text(md, markdown)
  atomic_write_text(page, markdown_to_page(markdown, "Why is ReLU still the default?", root))
  return md, page
