# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # From spirals to a paired verdict
#
# This notebook uses the public API, `research.api` (its module docstring lists every name), to
# ask one question end to end: **do ReLU networks end training with more dead hidden units than
# LeakyReLU(0.01) networks?** We train both activations on the same seeds (the same data draw and
# the same initial weights per seed), look at their decision boundaries and exact linear regions,
# count dead units, state the claim as a hypothesis and get its paired verdict. The last cells show
# how to write the claim as a hypothesis file and run it as a study from the command line.
#
# `notebooks/tutorial.ipynb` is built from `notebooks/tutorial.py` (`python notebooks/build.py`);
# the test suite executes it on a small setting (`TUTORIAL_SMALL=1`), so it cannot rot.

# %% tags=["parameters"]
import os

# The test suite sets TUTORIAL_SMALL=1: fewer seeds, points and steps (a smoke run, not evidence).
SMALL = os.environ.get("TUTORIAL_SMALL") == "1"
NUM_SEEDS = 3 if SMALL else 10
NUM_STEPS = 150 if SMALL else 2000
POINTS_PER_CLASS = 40 if SMALL else 250
GRID_RESOLUTION = 32 if SMALL else 200

# %% [markdown]
# ## The data
# `load_dataset` draws a data set by its spec exactly as `train` draws it for a seed. Two
# interleaved spirals: no line separates them, so a network has to bend its boundary.

# %%
from research import api

# research.api's figures show themselves; this puts the notebook's own pyplot figures inline again
# (the study figures' module selects matplotlib's file-only backend when research.api imports it).
# %matplotlib inline
import matplotlib.pyplot as plt

data = api.load_dataset("spirals", seed=0, num_train_per_class=POINTS_PER_CLASS)
fig, ax = plt.subplots(figsize=(4, 4))
ax.scatter(data.x_train[:, 0], data.x_train[:, 1], c=data.y_train, cmap="coolwarm", s=6)
ax.set_title(f"spirals, seed 0: {len(data.x_train)} training points")
ax.set_aspect("equal")

# %% [markdown]
# ## Train ReLU and LeakyReLU(0.01) on the same seeds
# One call trains the whole grid: every activation x width x depth x learning rate x seed. Models
# that differ only in the slope (ReLU is LeakyReLU with slope 0) are one compiled program. Narrow
# and deep nets are where dead units show, so: 3 hidden layers of 8 units.

# %%
models = api.train("spirals", ["relu", "leaky_relu:0.01"], widths=[8], depths=[3], num_seeds=NUM_SEEDS,
                   num_steps=NUM_STEPS, num_train_per_class=POINTS_PER_CLASS,
                   num_test_per_class=POINTS_PER_CLASS, grid_resolution=GRID_RESOLUTION)
print(models)
models.results[["activation", "seed", "train_acc", "test_acc", "dead_fraction", "diverged"]]

# %% [markdown]
# ## Decision boundaries
# One row per seed, one column per activation: the two panels of a row started from the same
# weights on the same data.

# %%
api.plot_boundaries(models, models_shown=models.results.index[models.results["seed"] < 2])

# %% [markdown]
# ## Exact linear regions
# A ReLU or LeakyReLU network is piecewise linear: the input plane splits into convex regions,
# on each of which the network is one affine map. `regions` enumerates them exactly (no sampling),
# and `evaluate` adds any metric family's columns to the results, here `exact_regions`.

# %%
seed0 = list(models.results.index[models.results["seed"] == 0])
print({models.results["activation"][i]: int(api.regions(models, i).num_regions) for i in seed0})
api.plot_regions(models, seed0)

# %%
models = api.evaluate(models, "exact_regions")
models.results.groupby("activation")[["num_regions", "boundary_length"]].mean()

# %% [markdown]
# ## Dead units
# A unit is dead when its pre-activation is <= 0 on every training point: a ReLU unit then passes
# nothing and gets no gradient. `dead_fraction` is the fraction of hidden units that are dead;
# `dead_fraction_l<k>` is that of layer k. `plot_hidden_units` draws what every unit computes over
# the plane, and frames the units that are off on the whole plane and the data (red: dead, they
# output zero everywhere; orange: LeakyReLU's still pass their negative side).

# %%
layers = [f"dead_fraction_l{k}" for k in range(3)]
print(models.results.groupby("activation")[["dead_fraction", *layers]].mean())
relu_models = models.results.index[models.results["activation"] == "relu"]
most_dead = int(models.results.loc[relu_models, "dead_fraction"].idxmax())
api.plot_hidden_units(models, most_dead)

# %%
api.plot_curves(models, "train_loss")

# %% [markdown]
# ## State the claim, get the verdict
# A `Hypothesis` names the factor compared (activation), its two arms, the metric, the direction
# and the smallest effect that matters. `verdict` pairs the runs by seed within each cell, tests the
# paired differences, Holm-adjusts over cells and applies the verdict rule (`research.stats`):
# SUPPORTED, SMALLER THAN CLAIMED, REFUTED or INCONCLUSIVE.

# %%
claim = api.Hypothesis(
    claim="ReLU nets end training with at least 5 points more dead hidden units than LeakyReLU(0.01) nets.",
    study="relu_vs_leaky", factor="activation", treatment="relu", control="leaky_relu:0.01",
    metric="dead_fraction", direction="greater", min_effect=0.05,
    conditions={"dataset": ["spirals"]}, num_seeds=NUM_SEEDS)
result = api.verdict(models, claim)
print(result.summary())
result.cells[["dataset", "n", "mean_diff", "ci_low", "ci_high", "p_holm", "verdict"]]

# %% [markdown]
# ## The same claim as a hypothesis file, run from the command line
# A hypothesis file is a Python file that defines `HYPOTHESIS`; it is discovered by its file name
# (in `research/hypotheses/`, or in any folder given with `--hypotheses_dir`). This cell writes one
# into `my_hypotheses/` and loads it back the way the command line does.

# %%
from pathlib import Path

from research.hypotheses import get_hypothesis

Path("my_hypotheses").mkdir(exist_ok=True)
Path("my_hypotheses/relu_more_dead_units.py").write_text('''\
from research.hypotheses import Hypothesis

HYPOTHESIS = Hypothesis(
    claim="ReLU nets end training with at least 5 points more dead hidden units than LeakyReLU(0.01) nets.",
    study="relu_vs_leaky",
    factor="activation",
    treatment="relu",
    control="leaky_relu:0.01",
    metric="dead_fraction",
    direction="greater",
    min_effect=0.05,
    conditions={"dataset": ["spirals"]},
    num_seeds=10,
)
''')
from_file = get_hypothesis("relu_more_dead_units", extra_dirs=["my_hypotheses"])
print(from_file.name, "->", api.verdict(models, from_file).summary())

# %% [markdown]
# From a shell in the repository, the study's own runner trains exactly the runs the hypothesis
# needs (with the study's config: its widths, depths and 10 seeds) and writes `hypothesis.md`:
#
# ```
# .venv/bin/python -m experiments.hypothesis --hypothesis relu_more_dead_units \
#     --hypotheses_dir notebooks/my_hypotheses --workdir workdirs/relu_more_dead_units
# ```
#
# Add `--quick` for a smoke run. The whole study, with every hypothesis of it, its figures and
# report, and its curves also as TensorBoard event files:
#
# ```
# .venv/bin/python -m experiments.relu_vs_leaky --workdir workdirs/relu_vs_leaky --config.eval.tensorboard=True
# tensorboard --logdir workdirs/relu_vs_leaky/tensorboard
# ```
#
# A finished run loads back as the same `Models`: `api.load_workdir("workdirs/relu_vs_leaky")`.
