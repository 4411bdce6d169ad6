"""Study reports (research/report.py and its parts): the quick relu_vs_leaky report rendered once
through the runner and read as a reader would (results table, captions, the rule once, size,
table of contents, figure cache), plus unit tests of the numbers, the image compression, the
figure cache's key and the caveats computed for metrics on a subset of seeds."""

import io
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from experiments._config import load_config
from research import figure_cache, hypotheses, report_checks, report_html, report_tables, stats, studies
from research.report import Figure, as_figure
from research.study import run_study


def _config():
  """The quick config, smaller still: the hypotheses' three activations, 2 seeds, 100 steps."""
  c = load_config("configs/relu_vs_leaky.py:quick")
  c.model.activations = ("relu", "leaky_relu:0.01", "leaky_relu:0.2")
  c.num_seeds = 2
  c.optim.num_steps = 100
  c.eval.metrics = ("core", "boundary", "exact_regions")
  c.eval.checkpoint_steps = (0,)
  return c


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
  workdir = tmp_path_factory.mktemp("report") / "relu_vs_leaky"
  config = _config()
  outcome = run_study(studies.get_study("relu_vs_leaky"), config, workdir, progress=False)
  assert outcome.ok
  return workdir, config


def _section(markdown: str, heading: str) -> str:
  start = markdown.index(f"\n{heading}\n")
  end = markdown.find("\n## ", start + 1)
  return markdown[start:end if end > 0 else None]


def _table(section: str) -> pd.DataFrame:
  lines = [l for l in section.splitlines() if l.startswith("|")]
  header = [c.strip() for c in lines[0].strip("|").split("|")]
  rows = [[c.strip() for c in l.strip("|").split("|")] for l in lines[2:]]
  return pd.DataFrame(rows, columns=header)


def test_results_table_has_one_row_per_cell_with_n_and_the_t_interval(quick):
  workdir, c = quick
  table = _table(_section((workdir / "report.md").read_text(), "## Results"))
  results = pd.read_csv(workdir / "results.csv")
  cells = len(c.data.names) * len(c.model.activations) * len(c.model.widths) * len(c.model.depths)
  assert len(table) == cells == len(results) // c.num_seeds
  assert (table["n"].astype(int) + table["diverged"].astype(int) == c.num_seeds).all()
  for row in table.itertuples(index=False):  # every estimate against its own computation
    acc = results[(results["dataset"] == row.dataset) & (results["activation"] == row.activation)
                  & ~results["diverged"]]["test_acc"].to_numpy()
    mean_text, half_text = row.test_acc.split(" ± ")
    half = scipy.stats.t.ppf(0.975, acc.size - 1) * acc.std(ddof=1) / math.sqrt(acc.size)
    decimals = len(mean_text.partition(".")[2])
    assert abs(float(mean_text) - acc.mean()) <= 0.5 * 10 ** -decimals + 1e-12
    assert abs(float(half_text) - half) <= 0.5 * 10 ** -decimals + 1e-12


def test_every_figure_has_a_caption_not_made_from_its_file_name(quick):
  workdir, _ = quick
  stored = json.loads((workdir / figure_cache.CACHE_NAME).read_text())["figures"]
  markdown = (workdir / "report.md").read_text()
  assert stored
  for n, f in enumerate(stored, 1):
    stem = f["path"].rsplit("/", 1)[-1].rsplit(".", 1)[0]
    assert not f["caption_from_name"], f"{f['path']}: the figure hook returned a bare path"
    assert f["caption"].strip() and f["caption"].lower().strip(". ") != stem.replace("_", " "), f
    assert f"**Figure {n}.** {f['caption']}" in markdown
  assert "no caption" not in markdown


def test_verdict_rule_once_and_one_line_per_verdict(quick):
  workdir, _ = quick
  markdown = (workdir / "report.md").read_text()
  page = (workdir / "report.html").read_text()
  assert markdown.count(stats.VERDICT_RULE) == 1
  first_line = stats.VERDICT_RULE.splitlines()[0]
  assert page.count(first_line) == 1
  verdicts = _section(markdown, "## Verdicts")
  lines = [l for l in verdicts.splitlines() if l.startswith("- `")]
  names = [h.name for h in hypotheses.discover().values() if h.study == "relu_vs_leaky"]
  assert len(lines) == len(names)
  for name, line in zip(sorted(names), sorted(lines)):
    assert line.startswith(f"- `{name}`: **") and "pairs per cell" in line and "95% CI" in line
  assert "seeds planned" not in markdown


def test_page_is_small_and_its_contents_links_resolve(quick):
  workdir, _ = quick
  page = (workdir / "report.html").read_text()
  assert len(page.encode()) < 1_000_000  # a quick run's page: well under the 3 MB of a default run
  stored = json.loads((workdir / figure_cache.CACHE_NAME).read_text())["figures"]
  assert page.count("data:image/png;base64,") == sum(f["path"].endswith(".png") for f in stored)
  ids = set(re.findall(r'id="([^"]+)"', page))
  links = re.findall(r'href="#([^"]+)"', page)
  assert len(links) >= 6 and set(links) <= ids, set(links) - ids
  for heading in ("Setting", "Results", "Verdicts", "Figures", "Details", "Caveats and checks"):
    assert f'href="#{report_html.slug(heading)}"' in page


def test_caveats_name_the_subset_of_seeds_and_what_was_checked(quick):
  workdir, c = quick
  caveats = _section((workdir / "report.md").read_text(), "## Details")
  assert "none recorded" not in caveats and "Checked on this run:" in caveats
  assert f"diverged models: 0 of {c.num_seeds * 6}" in caveats
  assert "measured on seed 0 only" in caveats and "`margin_mean`" in caveats


def test_rerun_reuses_the_figures_and_a_changed_table_redraws(quick, capsys):
  workdir, config = quick
  figures = sorted((workdir / "figures").glob("*.png"))
  before = {p: p.stat().st_mtime_ns for p in figures}
  run_study(studies.get_study("relu_vs_leaky"), config, workdir, progress=False)
  assert "reused" in capsys.readouterr().out
  assert {p: p.stat().st_mtime_ns for p in figures} == before


# ----------------------------------------------------------------------------- unit tests

def _fake_workdir(tmp_path):
  workdir = tmp_path / "w"
  workdir.mkdir()
  pd.DataFrame(dict(seed=[0, 1], test_acc=[0.5, 0.75])).to_csv(workdir / "results.csv", index=False)
  return workdir


def test_figure_cache_key_follows_tables_config_and_files(tmp_path):
  workdir = _fake_workdir(tmp_path)
  calls = []

  def draw():
    calls.append(1)
    path = workdir / "figures" / "a.png"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b"png" + bytes(len(calls)))
    return [Figure(path, "What to read.")]

  hooks = [draw]
  config = dict(num_seeds=2)
  figures, reused = figure_cache.draw_cached(workdir, config, draw, hooks)
  assert not reused and len(calls) == 1 and figures[0].caption == "What to read."
  figures, reused = figure_cache.draw_cached(workdir, config, draw, hooks)
  assert reused and len(calls) == 1 and figures[0].path == workdir / "figures" / "a.png"
  (workdir / "results.csv").write_text("seed,test_acc\n0,0.5\n1,0.8\n")  # a changed input
  assert not figure_cache.draw_cached(workdir, config, draw, hooks)[1] and len(calls) == 2
  assert not figure_cache.draw_cached(workdir, dict(num_seeds=3), draw, hooks)[1] and len(calls) == 3
  (workdir / "figures" / "a.png").unlink()  # a figure gone: drawn again
  assert not figure_cache.draw_cached(workdir, dict(num_seeds=3), draw, hooks)[1] and len(calls) == 4
  (workdir / "report.md").write_text("an output, not an input")
  assert figure_cache.draw_cached(workdir, dict(num_seeds=3), draw, hooks)[1] and len(calls) == 4


def test_a_bare_path_gets_a_caption_from_its_name_and_is_flagged(tmp_path):
  f = as_figure(tmp_path / "figures" / "test_accuracy.png")
  assert f.caption == "Test accuracy." and f.caption_from_name
  assert not as_figure(Figure(f.path, "x")).caption_from_name


def _plot_png(width_in=20.0, height_in=15.0, seed=0) -> bytes:
  """A matplotlib figure as the figure modules save them (RGBA, anti-aliased, 110 dpi)."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  rng = np.random.default_rng(seed)
  fig, axes = plt.subplots(2, 2, figsize=(width_in, height_in))
  for ax in axes.flat:
    x = rng.normal(size=(300, 2))
    ax.scatter(x[:, 0], x[:, 1], c=x[:, 0] > 0, cmap="coolwarm", s=8)
    ax.plot(np.linspace(-3, 3, 50), np.sin(np.linspace(-3, 3, 50)), "k-")
    ax.set_title("panel")
  out = io.BytesIO()
  fig.savefig(out, format="png", dpi=110)
  plt.close(fig)
  return out.getvalue()


def test_compression_keeps_the_picture_at_page_width_and_fits_the_budget(tmp_path):
  from PIL import Image
  data = _plot_png()
  small = report_html.compress_png(data)
  original, compressed = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(small))
  assert compressed.width == report_html.PAGE_WIDTH_PX and len(small) < len(data) / 3
  assert compressed.height == round(original.height * compressed.width / original.width)
  reference = np.asarray(original.convert("RGB").resize(compressed.size, Image.Resampling.LANCZOS), float)
  assert np.abs(np.asarray(compressed.convert("RGB"), float) - reference).mean() < 3  # of 255
  for n in range(6):
    (tmp_path / f"f{n}.png").write_bytes(_plot_png(seed=n))
  markdown = "\n\n".join(f"![f{n}](f{n}.png)\ncaption {n}" for n in range(6))
  roomy = report_html.markdown_to_page(markdown, "t", tmp_path, cache=False)
  budget = len(roomy) // 2
  tight = report_html.embed_images(report_html.md_to_html(markdown), tmp_path, cache=False, budget=budget)
  assert len(tight) <= budget and tight.count("data:image/png;base64,") == 6


def test_mean_ci_and_formats_are_the_t_interval_at_their_precision():
  x = np.array([0.9, 0.95, 0.85, 0.99, 0.91])
  mean, half, n = report_tables.mean_ci(x)
  assert n == 5 and mean == pytest.approx(x.mean())
  assert half == pytest.approx(scipy.stats.t.ppf(0.975, 4) * x.std(ddof=1) / math.sqrt(5))
  assert report_tables.format_estimate(0.8951, 0.0312) == "0.895 ± 0.031"
  assert report_tables.format_estimate(115.2, 23.4) == "115 ± 23"
  assert report_tables.format_estimate(1.0, 0.0) == "1 ± 0"
  assert report_tables.format_estimate(0.5, math.nan) == "0.5"
  assert report_tables.mean_ci([np.nan, 1.0])[1:] == (pytest.approx(math.nan, nan_ok=True), 1)


def _subset_results():
  """4 seeds x 2 activations x 2 data sets; num_regions measured on seeds 0-1 only."""
  rows = []
  for dataset in ("spirals", "rings"):
    for activation in ("relu", "leaky_relu:0.01"):
      for seed in range(4):
        rows.append(dict(dataset=dataset, activation=activation, width=4, depth=2, seed=seed,
                         diverged=False, test_acc=0.8 + 0.01 * seed + (activation == "relu") * 0.02,
                         num_regions=float(10 + seed) if seed < 2 else np.nan))
  return pd.DataFrame(rows)


def test_caveats_for_metrics_on_a_subset_of_seeds():
  import ml_collections
  config = ml_collections.ConfigDict(dict(num_seeds=4, eval=dict(expensive_seeds=2),
                                          optim=dict(max_loss=1e6)))
  results = _subset_results()
  assert report_checks.subset_seed_columns(results, config) == ["num_regions"]
  h = hypotheses.Hypothesis(name="more_regions", claim="c", study="s", factor="activation",
                            treatment="relu", control="leaky_relu:0.01", metric="num_regions",
                            direction="greater", min_effect=0.0, conditions=dict(dataset=["spirals", "rings"]),
                            num_seeds=4)
  v = hypotheses.evaluate(h, results, n_boot=200)
  checks = report_checks.check_run(results, config, verdicts=[v], main_metrics=("test_acc", "num_regions"))
  text = "\n".join(checks.caveats)
  assert "measured on seeds 0-1 only of the 4 seeds" in text and "`num_regions`" in text
  assert "(in the results table: num_regions)" in text
  assert "`more_regions` tests `num_regions`" in text and "n = 2 pairs" in text
  assert f"the {int(v.cells['n_nonfinite'].sum())} pairs counted as non-finite" in text
  assert int(v.cells["n_nonfinite"].sum()) == 4  # seeds 2 and 3 of both cells
  assert any("fewer than 5 pairs" in c and "`more_regions` (2 of 2 cells)" in c for c in checks.checked)
  everything = dict(num_seeds=4, eval=dict(expensive_seeds=4), optim=dict(max_loss=1e6))
  full = report_checks.check_run(results.assign(num_regions=1.0), ml_collections.ConfigDict(everything))
  assert not full.caveats and any("none (eval.expensive_seeds = 4 covers all 4 seeds)" in c
                                  for c in full.checked)
  table = report_tables.results_table(results, ["test_acc", "num_regions"], {"num_regions": "seeds 0-1 only"})
  assert "num_regions (seeds 0-1 only)" in table and "(n = 2)" in table
