"""Helpers shared by the experiment configs."""

from __future__ import annotations

import ml_collections


TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def parse_arg(arg: str | None, **defaults) -> ml_collections.ConfigDict:
  """Parses a `name1=value1,flag` config suffix (as big_vision does) against known defaults.

  `python -m experiments.relu_vs_leaky --config configs/relu_vs_leaky.py:quick` gives
  arg="quick"; a bare name sets a boolean default to True. Unknown names and values that are not
  of the default's type (`quick=maybe`) raise one line with the valid ones.
  """
  import difflib
  parsed = ml_collections.ConfigDict(dict(defaults))
  for item in filter(None, (arg or "").split(",")):
    key, eq, value = item.partition("=")
    key, value = key.strip(), value.strip()
    if key not in defaults:
      near = difflib.get_close_matches(key, list(defaults), n=3, cutoff=0.6)
      hint = f" (did you mean {' or '.join(map(repr, near))}?)" if near else ""
      raise ValueError(f"unknown config variant {key!r} in {arg!r}{hint}; valid variants: "
                       f"{', '.join(sorted(defaults)) or '(none)'}")
    default = defaults[key]
    if isinstance(default, bool):
      if not eq:
        parsed[key] = True
      elif value.lower() in TRUE + FALSE:
        parsed[key] = value.lower() in TRUE
      else:
        raise ValueError(f"config variant {key}={value!r} in {arg!r} is not a boolean; valid: "
                         f"{key} alone, or {key}= one of {', '.join(TRUE + FALSE)}")
    elif not eq or not value:
      raise ValueError(f"config variant {key!r} in {arg!r} needs a value, e.g. {key}={default}")
    else:
      try:
        parsed[key] = type(default)(value)
      except (TypeError, ValueError):
        raise ValueError(f"config variant {key}={value!r} in {arg!r} is not a "
                         f"{type(default).__name__} (e.g. {key}={default})") from None
  return parsed


def sweep_config(study: str) -> ml_collections.ConfigDict:
  """Every field of a sweep-based study config, at the values most studies share.

  A study's config file starts here and sets what its study needs; the study's `validate` then
  checks the whole config. Fields that have no sensible shared value (the grid itself) are left
  for the study to set: num_seeds, data.names, model.activations, model.widths (or model.neurons)
  and model.depths.
  """
  c = ml_collections.ConfigDict()
  c.study = study
  c.seed = 0  # base of every model's init key and every data draw

  c.data = ml_collections.ConfigDict()
  c.data.num_train_per_class = 250
  c.data.num_test_per_class = 250
  c.data.noise = 0.1
  # Per-data-set extra generator parameters, e.g. {"spirals": {"turns": 1.75}}.
  c.data.params = ml_collections.ConfigDict({})

  c.model = ml_collections.ConfigDict()
  c.model.init = "he"
  # Numeric precisions, each a sweep factor of its own (one compiled program each): float64,
  # float32, bfloat16. Every precision starts from the same float32 initial weights and data, cast.
  c.model.dtypes = ("float32",)

  c.optim = ml_collections.ConfigDict()
  c.optim.optimizer = "adam"
  c.optim.momentum = 0.9  # sgd only
  c.optim.learning_rates = (0.01,)
  c.optim.schedule = "constant"
  c.optim.halve_every_steps = 2500  # the halve_every schedule only
  c.optim.num_steps = 2000
  c.optim.eval_every_steps = 250
  c.optim.batch_size = 0  # 0 = full batch
  # A training loss above this (nats) counts as diverged, like a non-finite one (Adam can run a
  # loss to 1e16 without overflowing); such a model is frozen and left out of every statistic.
  c.optim.max_loss = 1e6

  c.eval = ml_collections.ConfigDict()
  c.eval.grid_resolution = 200  # grid metrics on grid_resolution^2 points of the data domain
  c.eval.plot_seed = 0  # the seed drawn in the decision-boundary panels
  # Metric families (research/metrics/, one module each); "core" (sparsity, patterns) always runs.
  c.eval.metrics = ("core",)
  # Steps (0 = initialisation, multiples of eval_every_steps) at which every metric family is also
  # evaluated, into checkpoints.csv: e.g. (0, 500) for region counts through training.
  c.eval.checkpoint_steps = ()
  c.eval.expensive_seeds = 4  # host-side metrics (exact regions, ...) for seeds 0..k-1 of a cell
  # Also write the training and evaluation curves as TensorBoard event files, one run per model
  # under <workdir>/tensorboard (research/metric_writers.py; pip install -e '.[tensorboard]').
  c.eval.tensorboard = False

  c.max_models_per_chunk = 1024
  return c
