"""One page that answers the seed question point by point from the latest run of every study.

The seed question: why is ReLU still the default although units can die and LeakyReLU is the
usual fix? Each study declares the explanations its evidence answers (`Study.answers`); the page
opens with the question and a table of every explanation's verdicts, then gives one section per
explanation, in the order of the studies (`Study.order`): a paragraph with the verdicts, effect
sizes and the cells where each claim holds, all read from the studies' summary.json files (this
module holds no result), the study's headline figure beside it, and the newer literature the
explanation engages, cited by name. A study is shown in full once; a second explanation it
answers repeats its verdicts in one line and points back.
"""

from __future__ import annotations

import json
from pathlib import Path

from research.report_html import headings, markdown_to_page
from research.store import atomic_write_text

QUESTION = (
    "ReLU(x) = max(0, x) is still the default activation, although a ReLU unit can die (output 0 on "
    "every input, so it never receives a gradient again) and LeakyReLU is the usual fix. Why does "
    "ReLU stay the default? Each section below takes one explanation on offer and states what the "
    "latest run of each study found: paired comparisons over seeds (same initial weights and data "
    "for both arms), Holm-corrected over the cells of each claim, under the verdict rule printed in "
    "each study's report. A verdict is SUPPORTED only where the claimed size is shown.")

# Keyword in an explanation (lower case) -> the literature it engages, by paper name. These are
# citations, not results: every number on the page comes from the runs.
LITERATURE = (
    ("death harmless",
     "Lu, Shin, Su and Karniadakis (2020, \"Dying ReLU and Initialization\") derive the chance that "
     "a ReLU net is born dead, falling with width and rising with depth. Newer work moves dying "
     "from initialisation to training on changing data: Sokar et al. (2023, \"The Dormant Neuron "
     "Phenomenon in Deep Reinforcement Learning\") find dormant units common in reinforcement "
     "learning and rare in supervised learning, and Dohare et al. (2024, \"Loss of plasticity in "
     "deep continual learning\", Nature) and Lyle et al. (2025) tie dead and dormant units to lost "
     "plasticity when the data keep changing, a setting these fixed-data studies do not test."),
    ("over-parameterisation",
     "Sokar et al. (2023) show that the dormant fraction grows during reinforcement learning and "
     "that recycling dormant units restores expressivity; Dohare et al. (2024) keep continual "
     "learners plastic by reinitialising low-utility units; Lyle et al. (2025) study why networks "
     "lose plasticity under non-stationarity. Losing units is cheap when the task stays fixed and "
     "costly when it moves: the studies here test the fixed case."),
    ("sparsity",
     "Mirzadeh et al. (2024, \"ReLU Strikes Back: Exploiting Activation Sparsity in Large Language "
     "Models\", ICLR) find that ReLU costs large language models little quality and that its "
     "activation sparsity can be exploited to cut inference compute: an argument from efficiency "
     "at scale, which the separability test here does not cover."),
    ("non-injective",
     "Naitzat, Zhitnikov and Lim (2020, \"Topology of Deep Neural Networks\", JMLR) report that "
     "the Betti numbers of each class fall faster through ReLU layers than through tanh layers."),
    ("cost",
     "Mirzadeh et al. (2024) locate ReLU's inference savings in skipping the zeros its sparsity "
     "produces, not in max(0, x) being cheaper per element than other activations."),
    ("separates entangled",
     "Naitzat et al. (2020) argue that a non-injective layer can fold the data apart; Nguyen, "
     "Mukkamala and Hein (2018) prove connected decision regions for narrow nets with strictly "
     "monotone activations (LeakyReLU, not ReLU); Snopov and Musin (2025, \"Topology-Aware "
     "Activation Functions in Neural Networks\") found a learned-slope LeakyReLU (PReLU) reaching "
     "lower loss than ReLU on narrow ring data."),
    ("linear regions",
     "Hanin and Rolnick (2019, \"Complexity of Linear Regions in Deep Networks\"; \"Deep ReLU "
     "Networks Have Surprisingly Few Activation Patterns\") find region counts that grow with the "
     "number of neurons, not exponentially with depth."),
)


def literature(explanation: str) -> str:
  """The literature sentence of an explanation ('' when none matches)."""
  text = explanation.lower()
  return next((cite for key, cite in LITERATURE if key in text), "")


def points(studies: dict) -> dict[str, list[str]]:
  """explanation -> the names of the studies that answer it, in study order."""
  out: dict[str, list[str]] = {}
  for name, study in studies.items():
    for explanation in study.answers:
      out.setdefault(explanation, []).append(name)
  return out


def _load(root: Path, study: str) -> dict | None:
  try:
    return json.loads((root / study / "summary.json").read_text())
  except (OSError, ValueError):
    return None


def _cell_name(cell: dict) -> str:
  return ", ".join(str(v) if isinstance(v, str) else f"{k} {v}" for k, v in cell.items()) or "all runs"


def where_it_holds(v: dict) -> str:
  """Where the verdict's claim is shown, from its per-cell records."""
  cells = v.get("cells") or []
  if not cells:
    return ""
  supported = [_cell_name(c["cell"]) for c in cells if c["verdict"] == "SUPPORTED"]
  smaller = [_cell_name(c["cell"]) for c in cells if c["verdict"] == "SMALLER THAN CLAIMED"]
  refuted = [_cell_name(c["cell"]) for c in cells if c["verdict"] == "REFUTED"]
  total = len(cells)
  if len(supported) == total:
    return f"The claim holds in all {total} cells tested."
  parts = [f"holds in {len(supported)} of {total} cells" + (f" ({', '.join(supported)})" if supported else "")]
  if smaller:
    parts.append(f"an effect smaller than claimed in {', '.join(smaller)}")
  if refuted:
    parts.append(f"refuted in {', '.join(refuted)}")
  text = "; ".join(parts)
  return text[0].upper() + text[1:] + "."


def _verdict_text(v: dict) -> str:
  line = v.get("line") or f"`{v['name']}`: **{v['verdict']}** ({v.get('counts', '')})"
  holds = where_it_holds(v)
  return f"{line} {holds}".strip()


def _tally(summaries: list[dict]) -> str:
  verdicts = [v["verdict"] for s in summaries for v in s.get("verdicts", [])]
  if not verdicts:
    return "no hypothesis verdict"
  counts = {k: verdicts.count(k) for k in dict.fromkeys(verdicts)}
  return ", ".join(f"{n} {k}" for k, n in counts.items())


def _count(n: int, one: str, many: str) -> str:
  return f"{n} {one if n == 1 else many}"


def _answer(summaries: list[dict], num_studies: int) -> str:
  """One sentence: the verdicts of this explanation's hypotheses over the studies run."""
  if not summaries:
    return f"not run yet: none of its {num_studies} studies has a report."
  verdicts = [v for s in summaries for v in s.get("verdicts", [])]
  missing = num_studies - len(summaries)
  tail = f" ({missing} of its {num_studies} studies not run yet)" if missing else ""
  if not verdicts:
    return f"no hypothesis is tested here; the findings below are measurements{tail}."
  return (f"{_count(len(verdicts), 'hypothesis', 'hypotheses')} tested over "
          f"{_count(len(summaries), 'study', 'studies')}: {_tally(summaries)}"
          f"{tail}; the effects and where each claim holds follow.")


def _figure(study: str, s: dict) -> list[str]:
  head = s.get("headline")
  if not head:
    return []
  return [f"![{head['caption'].replace('[', '').replace(']', '')}]({study}/{head['path']})",
          f"*{study}:* {head['caption']}", ""]


def _study_section(root: Path, study: str, s: dict) -> list[str]:
  text = [f"**[`{study}`]({study}/report.html)**: {s['question']}", ""]
  text += [f"- {f}" for f in s.get("findings", [])]
  text += [f"- {_verdict_text(v)}" for v in s.get("verdicts", [])]
  if s.get("caveats"):
    text += [f"- {len(s['caveats'])} caveats in [its report]({study}/report.html#caveats-and-checks); "
             f"first: {s['caveats'][0]}"]
  text += [""]
  figure = _figure(study, s)
  if not figure:
    return text
  return ['<div class="side"><div>', "", *text, "</div>", "", *figure, "</div>", ""]


def gather(root: str | Path, studies: dict) -> tuple[Path, Path]:
  """Writes root/report.md and root/report.html from root/<study>/summary.json files."""
  root = Path(root)
  explanation_points = points(studies)
  summaries = {name: _load(root, name) for name in studies}
  glance = ["| # | explanation | studies | verdicts |", "|---|---|---|---|"]
  for n, (claim, names) in enumerate(explanation_points.items(), 1):
    done = [summaries[s] for s in names if summaries[s]]
    glance.append(f"| {n} | {claim} | {', '.join(f'`{s}`' for s in names)} | "
                  f"{_tally(done) if done else 'not run yet'} |")
  body = ["## The answers at a glance", "", *glance, ""]
  shown: dict[str, int] = {}  # study -> the point that already shows its evidence
  for n, (claim, names) in enumerate(explanation_points.items(), 1):
    done = [summaries[s] for s in names if summaries[s]]
    short, _, rest = claim.partition(": ")
    body += [f"## {n}. {short.rstrip('.')}", ""]
    if rest:
      body += [f"*The claim:* {claim}", ""]
    body += [f"**Answer.** {_answer(done, len(names))}", ""]
    for study in names:
      s = summaries[study]
      if s is None:
        body += [f"- `{study}`: not run yet (`python -m experiments.{study} --workdir {root / study}`)", ""]
        continue
      if study in shown:  # one study can answer two points: its evidence is shown once
        verdicts = "; ".join(f"`{v['name']}` **{v['verdict']}**" for v in (s or {}).get("verdicts", []))
        body += [f"- [`{study}`]({study}/report.html): the same evidence as point {shown[study]} above"
                 + (f" ({verdicts})." if verdicts else "."), ""]
        continue
      shown[study] = n
      body += _study_section(root, study, s)
    cite = literature(claim)
    if cite:
      body += [f"**Literature.** {cite}", ""]
  text = "\n".join(body)
  toc = [f"- [{t}](#{a})" for level, t, a in headings(text) if level == 2]
  markdown = "\n".join(["# Why is ReLU still the default? The evidence, claim by claim", "", QUESTION,
                        "", "**Contents**", "", *toc, "", text])
  md, page = root / "report.md", root / "report.html"
  atomic_write_text(md, markdown)
  atomic_write_text(page, markdown_to_page(markdown, "Why is ReLU still the default?", root))
  return md, page
