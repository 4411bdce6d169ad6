"""Report pages: a small Markdown subset to one standalone HTML page, images embedded small.

The reports are written once as Markdown (report.md, readable on GitHub and in a terminal) and
rendered here to report.html, a page that works when mailed or opened from a laptop: PNGs are
embedded as data URIs, re-encoded for a page at most PAGE_WIDTH_PX wide (the files on disk stay as
drawn) and shrunk further if the page would pass MAX_PAGE_BYTES; headings carry the anchors GitHub
gives them, so one table of contents works in both. No Markdown package: the reports use
headings, tables, lists, code blocks, images, links, bold, italic, code spans and `<div>` lines
for a side-by-side layout (GitHub renders those too), and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
from pathlib import Path

from research.store import atomic_write_bytes

# The page's content width (CSS max-width): an image is never shown wider, so pixels beyond it
# only add bytes.
PAGE_WIDTH_PX = 1100
# Embedded GIFs (animations) are kept as they are; a larger one is linked instead of embedded.
MAX_EMBEDDED_GIF_BYTES = 1_500_000
# A page larger than this is slow to open and to mail: images are shrunk (or GIFs linked) to fit.
MAX_PAGE_BYTES = 2_900_000
CACHE_DIR = ".report_cache"  # re-encoded images, by the SHA-256 of the drawn file

STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.4}
table{border-collapse:collapse;margin:1em 0;font-size:90%}td,th{border:1px solid #ccc;padding:3px 6px}
td{font-variant-numeric:tabular-nums}th{background:#f3f3f3}
img{max-width:100%;border:1px solid #eee}pre{background:#f6f6f6;padding:8px;overflow-x:auto}
figure{margin:1.5em 0}figcaption{font-size:90%;color:#333;margin-top:.3em}
code{background:#f3f3f3;padding:0 2px}h2{border-bottom:1px solid #ddd;padding-bottom:.2em}
.side{display:flex;gap:1.5em;align-items:flex-start}.side>div{flex:1}.side>figure{flex:1;margin:0}"""


def slug(text: str, seen: dict[str, int] | None = None) -> str:
  """GitHub's heading anchor: lower case, punctuation dropped, spaces to '-'; repeats get -1, -2."""
  text = re.sub(r"[`*_]|\[(.*?)\]\(.*?\)", lambda m: m.group(1) or "", text)
  base = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
  if seen is None:
    return base
  n = seen.get(base, 0)
  seen[base] = n + 1
  return base if n == 0 else f"{base}-{n}"


def headings(markdown: str) -> list[tuple[int, str, str]]:
  """(level, text, anchor) of every heading outside code blocks, anchors as md_to_html sets them."""
  out, seen, in_code = [], {}, False
  for line in markdown.splitlines():
    if line.startswith("```"):
      in_code = not in_code
    elif not in_code and (m := re.match(r"(#+) (.*)", line)):
      out.append((len(m.group(1)), m.group(2), slug(m.group(2), seen)))
  return out


def md_to_html(text: str) -> str:
  """The Markdown subset of the reports to HTML (headings get GitHub's anchors as ids)."""
  out, in_code, in_table, in_list = [], False, False, False
  seen: dict[str, int] = {}
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
    if in_list and not re.match(r"\s*- ", line):
      out.append("</ul>")
      in_list = False
    if re.fullmatch(r"</?div( class=\"[\w -]+\")?>(<div>)?", line.strip()):  # layout blocks
      out.append(line.strip())
    elif line.startswith("|"):
      cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
      if all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
        continue
      tag = "td" if in_table else "th"
      if not in_table:
        out.append("<table>")
        in_table = True
      out.append("<tr>" + "".join(f"<{tag}>{_inline(c.replace(chr(92) + '|', '|'))}</{tag}>"
                                  for c in cells) + "</tr>")
    elif m := re.match(r"(#+) (.*)", line):
      level = len(m.group(1))
      out.append(f'<h{level} id="{slug(m.group(2), seen)}">{_inline(m.group(2))}</h{level}>')
    elif m := re.match(r"(\s*)- (.*)", line):
      if not in_list:
        out.append("<ul>")
        in_list = True
      nested = ' style="margin-left:1.5em"' if m.group(1) else ""
      out.append(f"<li{nested}>{_inline(m.group(2))}</li>")
    elif m := re.fullmatch(r"!\[(.*?)\]\((.*?)\)", line.strip()):
      out.append(f'<figure><img src="{html.escape(m.group(2))}" alt="{html.escape(m.group(1))}">'
                 "</figure>")
    elif line.strip():
      out.append(f"<p>{_inline(line)}</p>")
  if in_table:
    out.append("</table>")
  if in_list:
    out.append("</ul>")
  # A paragraph right after an image is its caption.
  return re.sub(r"</figure>\n<p>(.*?)</p>", r"<figcaption>\1</figcaption></figure>", "\n".join(out))


def _inline(text: str) -> str:
  text = html.escape(text, quote=False)
  text = re.sub(r"`(.+?)`", lambda m: f"<code>{m.group(1).replace('*', '&#42;')}</code>", text)
  text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
  text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", text)
  return re.sub(r"\[(.+?)\]\((.+?)\)", r'<a href="\2">\1</a>', text)


def compress_png(data: bytes, max_width: int = PAGE_WIDTH_PX) -> bytes:
  """A PNG re-encoded for a page: at most max_width px wide, 256-colour palette, optimised.

  Figures are flat colours and anti-aliased lines, which a palette keeps sharp where JPEG or
  lossy WebP would smear them; the result is 5-20 times smaller than matplotlib's RGBA output.
  Returns `data` itself when that is already smaller.
  """
  from PIL import Image  # imported here: only pages with images need it
  image = Image.open(io.BytesIO(data))
  image = image.convert("RGBA")
  if image.getchannel("A").getextrema()[0] == 255:  # opaque: no alpha channel needed
    image = image.convert("RGB")
  else:  # figures are drawn on white: flatten transparency onto it
    white = Image.new("RGB", image.size, (255, 255, 255))
    white.paste(image, mask=image.getchannel("A"))
    image = white
  if image.width > max_width:
    image = image.resize((max_width, max(1, round(image.height * max_width / image.width))),
                         Image.Resampling.LANCZOS)
  palette = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
  out = io.BytesIO()
  palette.save(out, "PNG", optimize=True)
  small = out.getvalue()
  return small if len(small) < len(data) else data


def embedded_bytes(path: Path, cache_root: Path | None, max_width: int = PAGE_WIDTH_PX
                   ) -> tuple[bytes, str]:
  """(the compressed PNG of `path`, its cache file name); from the cache under `cache_root` when
  the same drawn bytes were compressed before (a rerun then costs a read, not a re-encode)."""
  data = path.read_bytes()
  name = hashlib.sha256(data + f"|{max_width}".encode()).hexdigest()[:20] + ".png"
  if cache_root is None:
    return compress_png(data, max_width), name
  cached = cache_root / CACHE_DIR / name
  if cached.exists():
    return cached.read_bytes(), name
  small = compress_png(data, max_width)
  atomic_write_bytes(cached, small)
  return small, name


def _prune_cache(cache_root: Path, used: set[str]) -> None:
  for f in (cache_root / CACHE_DIR).glob("*.png"):
    if f.name not in used:
      f.unlink(missing_ok=True)


def _sources(body: str, base: Path) -> list[str]:
  """The relative .png/.gif sources of `body` that exist under `base`, in page order, once each."""
  found = re.findall(r'src="([^"]+\.(?:png|gif))"', body, flags=re.IGNORECASE)
  rels = [html.unescape(r) for r in found]
  return list(dict.fromkeys(r for r in rels if not re.match(r"[a-z]+:", r) and (base / r).is_file()))


def _encode(base: Path, rels: list[str], cache: bool, budget: int) -> tuple[dict[str, str], set[str]]:
  """rel -> data URI for every image that fits the page's byte budget, and the cache names used.

  GIFs (animations, kept as drawn) get their bytes first when together they take at most half
  the budget: a linked animation is lost when the page is mailed. PNGs then fill the rest, at
  PAGE_WIDTH_PX, or, when together they exceed it, encoded again at a width scaled by
  sqrt(budget / total) (bytes go roughly with the area), down to half the page. A GIF that does
  not fit what is left stays a link.
  """
  pngs = [r for r in rels if r.lower().endswith(".png")]
  gifs = [r for r in rels if r.lower().endswith(".gif")]
  gif_bytes = sum((base / r).stat().st_size * 4 // 3 + 32 for r in gifs
                  if (base / r).stat().st_size <= MAX_EMBEDDED_GIF_BYTES)
  png_budget = budget - gif_bytes if gif_bytes <= budget // 2 else budget
  width, uris, used = PAGE_WIDTH_PX, {}, set()
  for _ in range(4):
    uris.clear()
    names = set()
    for rel in pngs:
      data, name = embedded_bytes(base / rel, base if cache else None, width)
      names.add(name)
      uris[rel] = f"data:image/png;base64,{base64.b64encode(data).decode()}"
    used |= names  # every width tried stays cached: the next run tries the same widths
    total = sum(map(len, uris.values()))
    if total <= png_budget or width <= PAGE_WIDTH_PX // 2:
      break
    width = max(PAGE_WIDTH_PX // 2, int(width * (png_budget / total) ** 0.5 * 0.95))
  left = budget - sum(map(len, uris.values()))
  for rel in gifs:
    data = (base / rel).read_bytes()
    encoded = len(data) * 4 // 3 + 32
    if len(data) <= MAX_EMBEDDED_GIF_BYTES and encoded <= left:
      uris[rel] = f"data:image/gif;base64,{base64.b64encode(data).decode()}"
      left -= encoded
  return uris, used


def embed_images(body: str, base: Path, cache: bool = True,
                 budget: int = MAX_PAGE_BYTES) -> str:
  """Replaces src="<relative .png or .gif>" by data URIs (PNGs compressed, cached in base), so
  that the page stays under `budget` bytes; what does not fit stays a relative link."""
  base = Path(base)
  uris, used = _encode(base, _sources(body, base), cache, max(0, budget - len(body)))

  def embed(m):
    uri = uris.get(html.unescape(m.group(1)))
    return f'src="{uri}"' if uri else m.group(0)

  body = re.sub(r'src="([^"]+\.(?:png|gif))"', embed, body, flags=re.IGNORECASE)
  if cache and (base / CACHE_DIR).is_dir():
    _prune_cache(base, used)
  return body


def markdown_to_page(markdown: str, title: str, base: Path, cache: bool = True) -> str:
  """A standalone HTML page; images referenced relative to `base` are embedded (compressed)."""
  body = embed_images(md_to_html(markdown), Path(base), cache=cache)
  return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
          f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n")
