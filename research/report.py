"""Study reports: one Markdown file and one standalone HTML page (figures embedded) per workdir.

A report states the question, the setting, the verdict table of every hypothesis evaluated on the
study's results (with the verdict rule), the figures and the caveats (runs dropped, cells
underpowered). `python -m experiments.report` gathers the reports of all studies into one page.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import re
from pathlib import Path

from research import stats
from research.store import atomic_write_text


@dataclasses.dataclass(frozen=True)
class Figure:
  """A figure file and the one sentence a reader needs: what to read from it.

  Figure hooks return these; the report shows the caption under the image.
  """

  path: Path
  caption: str


def _md_to_html(text: str) -> str:
  """A small Markdown subset (headings, tables, code blocks, lists, paragraphs) to HTML.

  Enough for the reports this project writes; no dependency on a Markdown package.
  """
  out, in_code, in_table, in_list = [], False, False, False
  for line in text.splitlines():
    if line.startswith("```"):
      out.append("</pre>" if in_code else "<pre>")
      in_code = not in_code
      continue
    if in_code:
      out.append(html.escape(line))
      continue
    if in_table and not line.startswith("|"):
      out.append("</table>")
      in_table = False
    if in_list and not line.startswith("- "):
      out.append("</ul>")
      in_list = False
    if line.startswith("|"):
      cells = [c.strip() for c in line.strip("|").split("|")]
      if all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
        continue
      if not in_table:
        out.append("<table>")
        in_table = True
        out.append("<tr>" + "".join(f"<th>{_inline(c)}</th>" for c in cells) + "</tr>")
      else:
        out.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in cells) + "</tr>")
    elif m := re.match(r"(#+) (.*)", line):
      level = len(m.group(1))
      out.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
    elif line.startswith("- "):
      if not in_list:
        out.append("<ul>")
        in_list = True
      out.append(f"<li>{_inline(line[2:])}</li>")
    elif m := re.match(r"!\[(.*?)\]\((.*?)\)", line):
      out.append(f'<figure><img src="{m.group(2)}" alt="{html.escape(m.group(1))}">'
                 f"<figcaption>{html.escape(m.group(1))}</figcaption></figure>")
    elif line.strip():
      out.append(f"<p>{_inline(line)}</p>")
  if in_table:
    out.append("</table>")
  if in_list:
    out.append("</ul>")
  return "\n".join(out)


def _inline(text: str) -> str:
  text = html.escape(text)
  text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
  text = re.sub(r"`(.+?)`", r"<code>\1</code>", text)
  return re.sub(r"\[(.+?)\]\((.+?)\)", r'<a href="\2">\1</a>', text)


STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.4}
table{border-collapse:collapse;margin:1em 0;font-size:90%}td,th{border:1px solid #ccc;padding:3px 6px}
img{max-width:100%;border:1px solid #eee}pre{background:#f6f6f6;padding:8px;overflow-x:auto}
figcaption{font-size:85%;color:#555}"""


def _counts(v) -> str:
  return ", ".join(f"{k}: {n}" for k, n in v.counts.items())


def markdown_to_page(markdown: str, title: str, base: Path) -> str:
  """A standalone HTML page; images referenced relative to `base` are embedded as data URIs."""
  body = _md_to_html(markdown)

  def embed(m):
    path = base / m.group(1)
    if not path.exists():
      return m.group(0)
    data = base64.b64encode(path.read_bytes()).decode()
    return f'src="data:image/png;base64,{data}"'

  body = re.sub(r'src="([^"]+\.png)"', embed, body)
  return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
          f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n")


def write_report(workdir: str | Path, *, title: str, question: str, setting: str,
                 verdicts: list = (), figures: list[Path] = (), caveats: list[str] = (),
                 extra_markdown: str = "", findings: list[str] = ()) -> tuple[Path, Path]:
  """Writes <workdir>/report.md, report.html and summary.json; returns the first two paths.

  verdicts: HypothesisResult objects (their to_markdown() is included).
  figures: PNG paths, shown relative to the workdir.
  findings: one-line results in words (measured numbers), shown first and gathered by
  `python -m experiments.report` with the verdicts.
  """
  workdir = Path(workdir)
  parts = [f"# {title}", "", f"**Question.** {question}", "", "## Setting", "", setting, ""]
  if findings or verdicts:
    parts += ["## Summary", ""] + [f"- {f}" for f in findings]
    parts += [f"- hypothesis `{v.hypothesis.name}`: **{v.verdict}** ({_counts(v)})" for v in verdicts]
    parts += [""]
  if verdicts:
    parts += ["## Verdicts", ""]
    for v in verdicts:
      parts += [v.to_markdown(include_rule=False), ""]
    parts += ["Verdict rule, for every hypothesis above:", "", "```", stats.VERDICT_RULE, "```", ""]
  if extra_markdown:
    parts += [extra_markdown, ""]
  if figures:
    parts += ["## Figures", ""]
    for f in figures:
      rel = Path(f).resolve().relative_to(workdir.resolve())
      parts += [f"![{rel.stem.replace('_', ' ')}]({rel.as_posix()})", ""]
  parts += ["## Caveats", ""] + ([f"- {c}" for c in caveats] or ["- none recorded"]) + [""]
  markdown = "\n".join(parts)
  md_path, html_path = workdir / "report.md", workdir / "report.html"
  summary = dict(title=title, question=question, findings=list(findings), caveats=list(caveats),
                 verdicts=[dict(name=v.hypothesis.name, claim=v.hypothesis.claim, verdict=v.verdict,
                                counts=_counts(v)) for v in verdicts])
  atomic_write_text(workdir / "summary.json", json.dumps(summary, indent=2) + "\n")
  atomic_write_text(md_path, markdown)
  atomic_write_text(html_path, markdown_to_page(markdown, title, workdir))
  return md_path, html_path
