"""Study reports: one Markdown file and one standalone HTML page (figures embedded) per workdir.

Both come from one template, in the order a reader needs: the question and a table of contents;
the setting; the results table per cell (mean +- 95% CI, n, diverged; research/report_tables.py);
the study's findings and each hypothesis's verdict in one line (its effect, CI, n and CI method);
the figures, each with its caption; then the details: the full verdict tables, the verdict rule
once, and the caveats and checks computed from the run (research/report_checks.py).
`python -m experiments.report` gathers the reports' summary.json files into one page.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from research import stats
from research.report_html import headings, markdown_to_page  # noqa: F401  (re-exported)
from research.store import atomic_write_text

# Outputs of other kinds are linked from the report; these are shown in it.
IMAGE_SUFFIXES = (".png", ".gif")


@dataclasses.dataclass(frozen=True)
class Figure:
  """A figure file and the one sentence a reader needs: what to read from it.

  Figure hooks return these; the report shows the caption under the image. caption_from_name
  marks a caption made up from the file name (a hook that returned a bare path).
  """

  path: Path
  caption: str
  caption_from_name: bool = False


def as_figure(item) -> Figure:
  """A Figure from what a hook returned: a Figure, or a path (captioned by its file name)."""
  if isinstance(item, Figure):
    return item
  path = Path(item)
  return Figure(path, path.stem.replace("_", " ").capitalize() + ".", caption_from_name=True)


def _figure_markdown(n: int, figure: Figure, workdir: Path) -> list[str]:
  path = Path(figure.path)
  try:
    rel = path.resolve().relative_to(workdir.resolve()).as_posix()
  except ValueError:
    rel = path.as_posix()
  caption = figure.caption.strip()
  label = f"**Figure {n}.** {caption}"
  if figure.caption_from_name:
    label += " (no caption: the figure hook returned a bare path)"
  if path.suffix.lower() in IMAGE_SUFFIXES:
    alt = re.sub(r"[\[\]]", "", caption)
    return [f"![{alt}]({rel})", label, ""]
  return [f"{label} Open [{path.name}]({rel}).", ""]


def _toc(markdown: str) -> list[str]:
  lines = []
  for level, text, anchor in headings(markdown):
    if level in (2, 3):
      lines.append(f"{'  ' * (level - 2)}- [{re.sub(r'[`*]', '', text)}](#{anchor})")
  return lines


def compose(*, title: str, question: str, setting: str, results_table: str = "",
            findings=(), verdict_lines=(), extra_markdown: str = "", figures=(), workdir: Path,
            verdicts=(), caveats=(), checked=()) -> str:
  """The report's Markdown from its parts (see the module docstring for the order)."""
  body = ["## Setting", "", setting, ""]
  if results_table:
    body += ["## Results", "",
             "Mean ± half-width of the 95% Student t interval over the models of each cell "
             "(diverged models left out); n: models used; diverged: models left out.", "",
             results_table, ""]
  if findings:
    body += ["## Summary", ""] + [f"- {f}" for f in findings] + [""]
  if verdict_lines:
    body += ["## Verdicts", "",
             "Each line: the verdict, the mean paired difference (treatment - control) per cell with "
             "its CI, the pairs per cell and the CI method; tables and rule under "
             "[Details](#details).", ""]
    body += [f"- {line}" for line in verdict_lines] + [""]
  if extra_markdown:
    body += [extra_markdown.strip(), ""]
  if figures:
    body += ["## Figures", ""]
    for n, figure in enumerate(figures, 1):
      body += _figure_markdown(n, figure, workdir)
  body += ["## Details", ""]
  if verdicts:
    body += ["### Verdict tables", ""]
    for v in verdicts:
      body += [v.to_markdown(include_rule=False, level=4), ""]
    body += ["### Verdict rule", "", "For every hypothesis of this report:", "", "```",
             stats.VERDICT_RULE, "```", ""]
  body += ["### Caveats and checks", ""]
  body += [f"- {c}" for c in caveats] if caveats else ["No caveat: every check below came out clean.", ""]
  if caveats:
    body += [""]
  if checked:
    body += ["Checked on this run:", ""] + [f"- {c}" for c in checked] + [""]
  text = "\n".join(body)
  head = [f"# {title}", "", f"**Question.** {question}", "", "**Contents**", "", *_toc(text), ""]
  return "\n".join(head) + "\n" + text


def write_report(workdir: str | Path, *, title: str, question: str, setting: str,
                 verdicts: list = (), figures: list = (), caveats: list[str] = (),
                 extra_markdown: str = "", findings: list[str] = (), results_table: str = "",
                 verdict_lines: list[str] = (), checked: list[str] = (),
                 verdict_records: list[dict] = (), headline: Figure | None = None
                 ) -> tuple[Path, Path]:
  """Writes <workdir>/report.md, report.html and summary.json; returns the first two paths.

  verdicts: HypothesisResult objects (their full tables go under Details); verdict_lines: one
  line each (report_tables.verdict_line); figures: Figure objects or paths, under the workdir;
  caveats: problems found, checked: every check run and what it found (report_checks);
  verdict_records: what summary.json keeps of each verdict (report_tables.verdict_record);
  headline: the figure the summary page shows beside the study's answer.
  """
  workdir = Path(workdir)
  figures = [as_figure(f) for f in figures]
  if verdicts and not verdict_lines:
    verdict_lines = [f"`{v.hypothesis.name}`: **{v.verdict}** ({v.summary()})" for v in verdicts]
  markdown = compose(title=title, question=question, setting=setting, results_table=results_table,
                     findings=findings, verdict_lines=verdict_lines, extra_markdown=extra_markdown,
                     figures=figures, workdir=workdir, verdicts=verdicts, caveats=caveats,
                     checked=checked)
  md_path, html_path = workdir / "report.md", workdir / "report.html"
  records = list(verdict_records) or [
      dict(name=v.hypothesis.name, claim=v.hypothesis.claim, verdict=v.verdict,
           counts=", ".join(f"{k}: {n}" for k, n in v.counts.items())) for v in verdicts]
  if headline is None and figures:
    headline = next((f for f in figures if Path(f.path).suffix.lower() == ".png"), None)
  summary = dict(title=title, question=question, findings=list(findings), caveats=list(caveats),
                 checked=list(checked), verdicts=records,
                 figures=[_figure_record(f, workdir) for f in figures],
                 headline=_figure_record(headline, workdir) if headline else None)
  atomic_write_text(workdir / "summary.json", json.dumps(summary, indent=2) + "\n")
  atomic_write_text(md_path, markdown)
  atomic_write_text(html_path, markdown_to_page(markdown, title, workdir))
  return md_path, html_path


def _figure_record(figure: Figure, workdir: Path) -> dict:
  path = Path(figure.path)
  try:
    rel = path.resolve().relative_to(Path(workdir).resolve()).as_posix()
  except ValueError:
    rel = path.as_posix()
  return dict(path=rel, caption=figure.caption)
