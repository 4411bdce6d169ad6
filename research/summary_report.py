"""One page that answers the seed question point by point from the latest run of every study.

The seed question: why is ReLU still the default although units can die and LeakyReLU is the
usual fix? Each explanation on offer is a claim; each claim points at the study that tests it,
and the page shows that study's findings and hypothesis verdicts with a link to its full report.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from research.report import markdown_to_page
from research.store import atomic_write_text

# (the explanation, the studies whose evidence answers it), in the order of RESEARCH.md.
POINTS = [
    ("Width makes death harmless: the chance that a ReLU net is dead at initialisation falls with "
     "width and rises with depth (Lu et al.).", ["dying_relu"]),
    ("Over-parameterisation: losing some units costs little.", ["dying_relu"]),
    ("Sparsity helps representation: zeroed units give sparse codes that separate classes.",
     ["sparsity"]),
    ("Non-injective maps disentangle: ReLU layers change the topology of the data faster than "
     "homeomorphic (LeakyReLU, tanh) layers (Naitzat et al.).", ["topology"]),
    ("ReLU separates entangled data better than LeakyReLU.", ["relu_vs_leaky", "narrow_nets"]),
    ("The geometry: linear regions grow with neurons, not exponentially with depth "
     "(Hanin & Rolnick); LeakyReLU has the same breakpoints.", ["linear_regions"]),
    ("Cost: ReLU is cheaper to compute.", ["activation_cost"]),
]

STUDIES = ["relu_vs_leaky", "narrow_nets", "dying_relu", "topology", "linear_regions", "sparsity",
           "activation_cost"]


def run_all(root: Path, quick: bool) -> list[str]:
  """Runs every study's default (or quick) config into root/<study>; returns failures."""
  failed = []
  for study in STUDIES:
    cmd = [sys.executable, "-m", f"experiments.{study}", "--workdir", str(root / study)]
    if quick:
      cmd += ["--config", f"configs/{study}.py:quick"]
    print(" ".join(cmd), flush=True)
    if subprocess.run(cmd).returncode != 0:
      failed.append(study)
  return failed


def gather(root: str | Path) -> tuple[Path, Path]:
  """Writes root/report.md and root/report.html from root/<study>/summary.json files."""
  root = Path(root)
  parts = ["# Why is ReLU still the default? The evidence, claim by claim", "",
           "Each point is an explanation offered for ReLU's place as the default (see "
           "`RESEARCH.md`); under it, what the latest run of each study found, its hypothesis "
           "verdicts (paired tests over seeds, Holm-corrected; SUPPORTED / REFUTED / INCONCLUSIVE "
           "by the rule in each report) and a link to the full report.", ""]
  missing = []
  shown: dict[str, int] = {}  # study -> the point that already shows its evidence
  for n, (claim, studies) in enumerate(POINTS, 1):
    parts += [f"## {n}. {claim}", ""]
    for study in studies:
      if study in shown:  # one study can answer two points: its evidence is shown once
        parts += [f"- [`{study}` report]({study}/report.html): the same evidence as point {shown[study]} above."]
        continue
      shown[study] = n
      summary_path = root / study / "summary.json"
      if not summary_path.exists():
        parts += [f"- `{study}`: not run yet (`python -m experiments.{study} --workdir {root / study}`)"]
        missing.append(study)
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
