"""Figures: identical bytes from identical inputs, a caption on every figure, one point per seed,
log axes for region counts, the true boundary and a legend on decision-boundary maps.

Every figure is drawn from small synthetic tables written here (no training), so the expected
counts are known independently of the drawing code.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import scipy.stats
from matplotlib.collections import PathCollection

from research.figures import (activation_cost, dying_relu, linear_regions, sparsity, stats_simulation, style,
                              topology, training)
from research.report import Figure

R = 24  # grid resolution of the synthetic maps
ACTS = ("relu", "leaky_relu:0.1")
ARCHS = ((4, 2), (8, 3))
DATASETS = ("rings", "band")
SEEDS = 5
COUNTED = 2  # region counts on seeds 0..COUNTED-1, as eval.expensive_seeds does


def _grid():
  xs = (np.arange(R) + 0.5) / R * 2 - 1
  return np.meshgrid(xs, xs, indexing="xy")


def make_training_workdir(root: Path) -> pd.DataFrame:
  """A workdir as a training study writes it: results.csv, curves.csv and unit arrays."""
  rng = np.random.default_rng(1)
  (root / "units").mkdir(parents=True)
  (root / "config_hash.txt").write_text("synthetic\n")
  gx, gy = _grid()
  rows, curves = [], []
  for dataset in DATASETS:
    for width, depth in ARCHS:
      unit = f"{dataset}_{width}_{depth}"
      models = [(a, s) for a in ACTS for s in range(SEEDS)]
      arrays = dict(plot_domain=np.array([[-1.0, 1.0], [-1.0, 1.0]]),
                    plot_truth=(gx ** 2 + gy ** 2 < 0.4).astype(np.int8),
                    data_index=np.array([s for _, s in models]),
                    data_x_train=rng.uniform(-1, 1, (SEEDS, 30, 2)).astype(np.float16),
                    data_y_train=rng.integers(0, 2, (SEEDS, 30)).astype(np.int8))
      preds, plot = [], []
      for m, (act, seed) in enumerate(models):
        angle = rng.uniform(0, np.pi)
        preds.append((np.cos(angle) * gx + np.sin(angle) * gy > 0).astype(np.int8))
        diverged = dataset == "band" and width == 4 and act == "relu" and seed == 3
        acc = 0.5 if (dataset == "rings" and width == 8 and act == "relu" and seed == 1) else rng.uniform(0.8, 1.0)
        row = dict(unit=unit, model_index=m, dataset=dataset, activation=act, width=width, depth=depth, lr=0.01,
                   seed=seed, diverged=diverged, test_acc=np.nan if diverged else acc,
                   grid_agreement=np.nan if diverged else rng.uniform(0.7, 1.0),
                   num_regions=np.nan if diverged or seed >= COUNTED else float(rng.integers(10, 5000)))
        for l in range(depth):
          row[f"dead_fraction_l{l}"] = np.nan if diverged else rng.uniform(0, 0.3)
          row[f"inactive_fraction_l{l}"] = np.nan if diverged else rng.uniform(0.3, 0.7)
        rows.append(row)
        for step in (0, 50, 100):
          curves.append(dict(unit=unit, model_index=m, dataset=dataset, activation=act, width=width, depth=depth,
                             lr=0.01, seed=seed, step=step, train_loss=0.7 * np.exp(-step / 40) + 1e-3,
                             test_loss=0.7 * np.exp(-step / 50) + 2e-3, train_acc=0.5 + step / 250,
                             test_acc=0.5 + step / 260))
        if seed == 0:  # the plot seed: its score map and exact regions
          plot.append(m)
          arrays[f"regions_{m}_vertices"] = np.array([[-1, -1], [0, -1], [0, 1], [-1, 1], [0, -1], [1, -1],
                                                      [1, 1], [0, 1]], float)
          arrays[f"regions_{m}_offsets"] = np.array([0, 4, 8])
          arrays[f"regions_{m}_boundary"] = np.array([[[0.0, -1.0], [0.0, 1.0]]])
      arrays["grid_pred"] = np.stack(preds)
      arrays["plot_model_index"] = np.array(plot)
      arrays["plot_grid_score"] = np.stack([preds[m].astype(np.float32) - 0.5 for m in plot])
      arrays["plot_x_train"], arrays["plot_y_train"] = arrays["data_x_train"][0], arrays["data_y_train"][0]
      np.savez(root / "units" / f"{unit}.npz", **arrays)
  results = pd.DataFrame(rows)
  results.to_csv(root / "results.csv", index=False)
  pd.DataFrame(curves).to_csv(root / "curves.csv", index=False)
  return results


def make_other_tables(root: Path) -> None:
  """The CSV tables of the sparsity, topology, linear_regions, dying_relu and cost studies."""
  rng = np.random.default_rng(2)
  root.mkdir(parents=True, exist_ok=True)
  layers = [dict(dataset=d, activation=a, width=8, depth=3, seed=s, layer=l, inactive_fraction=rng.uniform(0.3, 0.6),
                 dead_fraction=rng.uniform(0, 0.2), probe_acc=rng.uniform(0.5, 1), collapse=rng.uniform(0, 0.01))
            for d in DATASETS for a in ACTS for s in range(SEEDS) for l in range(4)]
  pd.DataFrame(layers).to_csv(root / "layers.csv", index=False)
  models = [dict(dataset=d, activation=a, seed=s, inactive_fraction=rng.uniform(0.3, 0.6),
                 hoyer_sparsity=rng.uniform(0, 1), probe_acc_hidden_mean=rng.uniform(0.5, 1))
            for d in DATASETS for a in ACTS for s in range(SEEDS)]
  pd.DataFrame(models).to_csv(root / "models.csv", index=False)
  spearman = [dict(dataset=d, over="models", sparsity=x, separability="probe_acc_hidden_mean", activation=a,
                   rho=rng.uniform(-1, 1)) for d in DATASETS for x in ("inactive_fraction", "hoyer_sparsity")
              for a in (*ACTS, "all pooled")]
  pd.DataFrame(spearman).to_csv(root / "spearman.csv", index=False)
  betti = [dict(dataset=d, activation=a, width=8, depth=3, seed=s, cls=c, dim=k, layer=l,
                betti=float(rng.integers(0, 4))) for d in DATASETS for a in ACTS for s in range(SEEDS)
           for c in (0, 1) for k in (0, 1) for l in range(4)]
  pd.DataFrame(betti).to_csv(root / "betti_per_layer.csv", index=False)
  kept = [dict(dataset=d, activation=a, width=8, depth=3, seed=s, layers_to_trivial=[np.nan, 2.0][s % 2],
               layers_to_trivial_capped=[4.0, 2.0][s % 2], **{f"betti_total_l{l}": float(rng.integers(2, 8))
                                                            for l in range(4)})
          for d in DATASETS for a in ACTS for s in range(SEEDS)]
  pd.DataFrame(kept).to_csv(root / "kept_runs.csv", index=False)
  fit = [dict(dataset=d, activation=a, width=8, depth=3, runs=SEEDS, kept=SEEDS) for d in DATASETS for a in ACTS]
  pd.DataFrame(fit).to_csv(root / "fit_summary.csv", index=False)
  regions = [dict(dataset="rings", activation=a, activation_name=a.split(":")[0], neurons=n, depth=d, width=n // d,
                  seed=s, step=step, diverged=False, density=n * rng.uniform(0.8, 1.2),
                  num_regions=(n * n * rng.uniform(0.8, 1.2)) if s < COUNTED else np.nan)
             for a in ACTS for n in (12, 24, 48) for d in (1, 2) for s in range(4) for step in (0, 100)]
  pd.DataFrame(regions).to_csv(root / "regions.csv", index=False)
  (root / "trained").mkdir(exist_ok=True)
  trained = [dict(dataset=d, activation=a, lr=lr, width=w, seed=s, diverged=False, test_acc=rng.uniform(0.5, 1),
                  dead_fraction=rng.uniform(0, 0.5)) for d in DATASETS for a in ACTS for lr in (0.01, 0.1)
             for w in (2, 8) for s in range(SEEDS)]
  pd.DataFrame(trained).to_csv(root / "trained" / "results.csv", index=False)
  born = [dict(place=p, init=i, width=w, depth=dep, p_born_dead=q, ci_low=max(q - 0.05, 0), ci_high=min(q + 0.05, 1),
               num_inits=100) for p in (dying_relu.DOMAIN, dying_relu.SINGLE) for i in ("he", "rai")
          for w in (2, 4, 8) for dep in (2, 10) for q in [rng.uniform(0, 1)]]
  pd.DataFrame(born).to_csv(root / "born_dead.csv", index=False)
  summary = [dict(benchmark=b, activation=a, ratio_to_relu=r, ratio_min=r * 0.9, ratio_max=r * 1.2, ratio_q25=r * 0.95,
                  ratio_q75=r * 1.05, median_s=1e-3 * r) for b in ("elementwise", "mlp")
             for a, r in (("relu", 1.0), ("tanh", 1.4))]
  pd.DataFrame(summary).to_csv(root / "summary.csv", index=False)


def draw_all(root: Path) -> list[Figure]:
  """Every figure module's figures, from the synthetic tables under root."""
  figs = training.plot_study(root / "train")
  figs += sparsity.draw_figures(root / "other")
  figs += topology.draw_figures(root / "other")
  figs += linear_regions.plot_study(root / "other")
  figs += dying_relu.draw_figures(root / "other", curve_depth=10)
  figs += activation_cost.draw_figures(root / "other", min_effect=0.1)
  cov = pd.DataFrame([dict(distribution=d, n=n, union=0.95, t=0.94) for d in ("normal", "skewed") for n in (8, 32)])
  rates = pd.DataFrame([dict(distribution="normal", n=n, min_effect_sd=0.5, effect_over_min_effect=e,
                             **{"SUPPORTED": e / 3, "SMALLER THAN CLAIMED": 1 - e / 3})
                        for n in (8, 32) for e in (0.0, 1.0, 2.0)])
  rates = rates.rename(columns={"SUPPORTED": stats_simulation.stats.SUPPORTED,
                                "SMALLER THAN CLAIMED": stats_simulation.stats.SMALLER})
  figs.append(stats_simulation.plot(cov, rates, root / "other" / "figures" / "stats_simulation.png"))
  return figs


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
  root = tmp_path_factory.mktemp("tables")
  results = make_training_workdir(root / "train")
  make_other_tables(root / "other")
  return root, results


@pytest.fixture(scope="module")
def drawn(tables, tmp_path_factory):
  """One draw of every figure: (root, Figure objects, matplotlib figures by file stem kept open for
  inspection, progress lines printed). Drawing is the slow part, so the tests share this one."""
  source, _ = tables
  root = tmp_path_factory.mktemp("drawn") / "a"
  shutil.copytree(source, root)
  kept, close, real_save = {}, plt.close, style.save

  def keep(fig, path):
    plt.close = lambda f: None
    try:
      out = real_save(fig, path)
    finally:
      plt.close = close
    kept[Path(path).stem] = fig
    return out
  out = io.StringIO()
  with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
    mp.setitem(plt.rcParams, "figure.max_open_warning", 0)  # kept open on purpose, for the tests
    for module in (style, training, training.boundaries, sparsity, topology, linear_regions, dying_relu,
                   activation_cost, stats_simulation):
      mp.setattr(module, "save", keep)
    figs = draw_all(root)
  yield root, figs, kept, [l for l in out.getvalue().splitlines() if l.startswith("  figure ")]
  for fig in kept.values():
    close(fig)


def test_two_identical_draws_give_identical_bytes(drawn, tables, tmp_path):
  first, figs, _, _ = drawn
  second = tmp_path / "b"
  shutil.copytree(tables[0], second)
  with pytest.MonkeyPatch.context() as mp:
    mp.setitem(plt.rcParams, "figure.max_open_warning", 0)  # the first draw's figures are open
    draw_all(second)
  names = sorted(p.relative_to(first) for p in first.rglob("*.png"))
  assert len(names) == len(figs) >= 20
  assert names == sorted(p.relative_to(second) for p in second.rglob("*.png"))
  for name in names:
    assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_every_figure_has_a_caption(drawn):
  _, figs, kept, lines = drawn
  for f in figs:
    assert isinstance(f, Figure) and f.path.exists(), f
    assert len(f.caption) > 40 and f.caption.endswith("."), (f.path.name, f.caption)
  assert len(lines) == len(figs) == len(kept)  # one progress line per figure written
  assert lines[0].startswith("  figure 1: test_accuracy (") and lines[0].endswith(" s)")


def _points(ax) -> int:
  return sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))


def test_every_seed_is_a_point(tables, drawn):
  _, results = tables
  captured = drawn[2]
  ok = results[~results["diverged"]]
  assert results["diverged"].sum() == 1
  for stem, column in (("test_accuracy", "test_acc"), ("grid_agreement", "grid_agreement")):
    axes = captured[stem].axes
    assert len(axes) == len(DATASETS) * len(ARCHS)
    assert sum(_points(ax) for ax in axes) == ok[column].notna().sum() == len(results) - 1
    for ax, (dataset, (w, d)) in zip(axes, [(ds, a) for ds in DATASETS for a in ARCHS]):
      cell = ok[(ok["dataset"] == dataset) & (ok["width"] == w) & (ok["depth"] == d)]
      assert _points(ax) == len(cell), (stem, dataset, w, d)
  # Per layer: one point per model and layer, each architecture in its own panel (depths unpooled).
  axes = captured["dead_units_by_layer"].axes[:len(DATASETS) * len(ARCHS)]
  assert sum(_points(ax) for ax in axes) == sum(len(ok[ok["depth"] == d]) * d for _, d in ARCHS)
  assert [len(ax.get_xticks()) for ax in axes] == [d for _ in DATASETS for _, d in ARCHS]


def test_region_counts_on_log_axes_over_the_counted_seeds(tables, drawn):
  _, results = tables
  captured, figs = drawn[2], {f.path.stem: f for f in drawn[1]}
  fig = captured["region_count"]
  assert all(ax.get_yscale() == "log" for ax in fig.axes)
  counted = results["num_regions"].notna().sum()
  assert sum(_points(ax) for ax in fig.axes) == counted
  assert f"seeds 0-{COUNTED - 1} only" in fig._suptitle.get_text()
  assert f"seeds 0-{COUNTED - 1} only" in figs["region_count"].caption
  # The interval drawn is the t-interval of log10(counts), computed independently here.
  cell = results[(results["dataset"] == DATASETS[0]) & (results["width"] == ARCHS[0][0])
                 & (results["activation"] == ACTS[0])]["num_regions"].dropna()
  logs = np.log10(cell.to_numpy())
  lo, hi = scipy.stats.t.interval(0.95, len(logs) - 1, loc=logs.mean(), scale=scipy.stats.sem(logs))
  mean, low, high, n = style.t_interval(cell, log=True)
  np.testing.assert_allclose([np.log10(mean), np.log10(low), np.log10(high), n], [logs.mean(), lo, hi, len(logs)])


def test_decision_boundaries_show_truth_legend_and_the_median_seed(tables, drawn):
  _, results = tables
  captured = drawn[2]
  fig = captured[f"decision_boundaries_{DATASETS[0]}"]
  assert fig.get_size_inches()[1] * style.DPI <= 2000
  truth = [c for ax in fig.axes for c in ax.collections if c.get_gid() == "truth"]
  assert len(truth) == len(ARCHS) * len(ACTS)
  labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
  assert "true boundary" in labels and any(l.startswith("class 0") for l in labels)
  # The panel of relu at width 8 shows the lower median seed by test accuracy, named with its accuracy.
  cell = results[(results["dataset"] == DATASETS[0]) & (results["width"] == 8) & (results["activation"] == "relu")]
  accs = cell.sort_values(["test_acc", "seed"])
  median = accs.iloc[(len(accs) - 1) // 2]
  title = fig.axes[ARCHS.index((8, 3)) * len(ACTS) + ACTS.index("relu")].get_title()
  assert f"seed {median['seed']} (median of {len(cell)}): acc {median['test_acc']:.3f}" in title
  assert f"worst seed of the cell {0.5:.3f}" in title  # the collapsed seed is named, not hidden


def test_training_curves_start_at_step_0_with_train_and_test(drawn):
  fig = drawn[2]["training_curves"]
  assert len(fig.axes) == 2 * len(DATASETS) * len(ARCHS)  # loss and accuracy rows per data set
  ax = fig.axes[0]
  means = ax.get_lines()
  assert {l.get_linestyle() for l in means} == {"-", "--"}  # train solid, test dashed
  assert all(l.get_xdata()[0] == 0 for l in means)
  assert ax.get_yscale() == "log" and fig.axes[len(ARCHS)].get_yscale() == "linear"


def test_t_interval_matches_scipy_and_clips_and_skips_small_n():
  v = np.array([0.5, 1.0, 1.0, 1.0, 1.0, 0.9])
  mean, lo, hi, n = style.t_interval(v)
  ref = scipy.stats.t.interval(0.95, len(v) - 1, loc=v.mean(), scale=scipy.stats.sem(v))
  np.testing.assert_allclose([mean, lo, hi, n], [v.mean(), *ref, 6])
  fig, ax = plt.subplots()
  style.seeds_and_means(ax, [0, 1], [v, [0.2, 0.4]], "C0", np.random.default_rng(0), clip=(0, 1))
  bars = [c for c in ax.collections if not isinstance(c, PathCollection)][0].get_segments()
  assert bars[0][1][1] == 1.0 < ref[1]  # the interval is cut at the largest possible fraction
  assert bars[1][0][1] == bars[1][1][1] == pytest.approx(0.3)  # n = 2 < MIN_N: the mean only
  plt.close(fig)


def test_topology_wilson_interval_matches_the_dying_relu_study():
  from research.studies.dying_relu import wilson_interval
  for k, n in ((0, 5), (1, 5), (7, 9), (12, 12)):
    np.testing.assert_allclose(topology._wilson(k, n), wilson_interval(k, n), atol=1e-12)
