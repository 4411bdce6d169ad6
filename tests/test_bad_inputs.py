"""A corpus of bad command lines: each exits 2 with exactly one non-empty stderr line (no
traceback), computes nothing and writes nothing (its --workdir does not exist afterwards).

Most cases call an entry point's main(argv) in this process (each call parses its flags on a
fresh absl FlagValues, experiments/_entry.run); a few run the real command in a subprocess.
"""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ("relu_vs_leaky", "topology", "sparsity", "dying_relu", "linear_regions", "narrow_nets",
           "activation_cost")

# Config files written to tmp_path: name -> source ({ref} is a valid config module to start from).
FILES = {
    "empty.py": "",
    "syntax.py": "def get_config(arg=None):\n  return (\n",
    "none.py": "def get_config(arg=None):\n  return None\n",
    "raises.py": "def get_config(arg=None):\n  raise RuntimeError('boom')\n",
    "import_error.py": "import no_such_module_xyz\n",
    "not_callable.py": "get_config = 3\n",
    "dict.py": "def get_config(arg=None):\n  return {'study': 'relu_vs_leaky'}\n",
    "extra_top.py": "{ref}\n  c.num_seed = 5\n  return c\n",
    "extra_nested.py": "{ref}\n  c.model.dropout = 0.5\n  return c\n",
    "extra_eval.py": "{ref}\n  c.eval.grid_res = 32\n  return c\n",
    "deleted_optim.py": "{ref}\n  del c['optim']\n  return c\n",
    "deleted_leaf.py": "{ref}\n  del c.data['noise']\n  return c\n",
    "wrong_kind.py": "{ref}\n  c.model.widths = 8\n  return c\n",
    "group_as_value.py": "{ref}\n  c.optim = 0.01\n  return c\n",
    "no_study.py": "{ref}\n  del c['study']\n  return c\n",
    "other_study.py": "{ref}\n  c.study = 'topology'\n  return c\n",
    "names_ints.py": "{ref}\n  c.data.names = (1, 2)\n  return c\n",
    "arg_raises.py": "from configs.common import parse_arg\ndef get_config(arg=None):\n  parse_arg(arg, quick=False, seeds=3)\n  raise KeyError('x')\n",
}
REF = ("from configs.relu_vs_leaky import get_config as _base\n"
       "def get_config(arg=None):\n  c = _base(arg)")

HYPOTHESES = {
    "broken_syntax.py": "from research.hypotheses import Hypothesis\nHYPOTHESIS = Hypothesis(\n",
    "broken_raises.py": "raise RuntimeError('no')\n",
    "broken_no_object.py": "X = 1\n",
    "bad_factor.py": ("from research.hypotheses import Hypothesis\nHYPOTHESIS = Hypothesis(claim='c', "
                      "study='relu_vs_leaky', factor='activaton', treatment='relu', control='tanh', "
                      "metric='test_acc', direction='greater', min_effect=0.01, "
                      "conditions={'dataset': ['moons']}, num_seeds=4)\n"),
    "bad_control.py": ("from research.hypotheses import Hypothesis\nHYPOTHESIS = Hypothesis(claim='c', "
                       "study='relu_vs_leaky', factor='init', treatment='he', control='lecun', "
                       "metric='test_acc', direction='greater', min_effect=0.01, "
                       "conditions={'dataset': ['moons']}, num_seeds=4)\n"),
    "bad_condition.py": ("from research.hypotheses import Hypothesis\nHYPOTHESIS = Hypothesis(claim='c', "
                         "study='relu_vs_leaky', factor='activation', treatment='relu', control='tanh', "
                         "metric='test_acc', direction='greater', min_effect=0.01, "
                         "conditions={'datset': ['moons']}, num_seeds=4)\n"),
    "bad_metric.py": ("from research.hypotheses import Hypothesis\nHYPOTHESIS = Hypothesis(claim='c', "
                      "study='relu_vs_leaky', factor='activation', treatment='relu', control='tanh', "
                      "metric='test_accuracy', direction='greater', min_effect=0.01, "
                      "conditions={'dataset': ['moons']}, num_seeds=4)\n"),
    "bad_override.py": ("from research.hypotheses import Hypothesis\nHYPOTHESIS = Hypothesis(claim='c', "
                        "study='relu_vs_leaky', factor='activation', treatment='relu', control='tanh', "
                        "metric='test_acc', direction='greater', min_effect=0.01, "
                        "conditions={'dataset': ['moons']}, num_seeds=4, "
                        "config_overrides={'optim.num_step': 10})\n"),
    "bad_seeds.py": ("from research.hypotheses import Hypothesis\nHYPOTHESIS = Hypothesis(claim='c', "
                     "study='relu_vs_leaky', factor='activation', treatment='relu', control='tanh', "
                     "metric='test_acc', direction='greater', min_effect=0.01, "
                     "conditions={'dataset': ['moons']}, num_seeds=10000000)\n"),
}

W = "--workdir={w}"
Q = "--config=configs/relu_vs_leaky.py:quick"

# (entry point, arguments, a fragment the one stderr line must contain)
CASES = [
    # flags
    ("relu_vs_leaky", [], "--workdir"),
    ("relu_vs_leaky", ["--workdir="], "--workdir"),
    ("relu_vs_leaky", ["--workdir", "  "], "--workdir"),
    ("relu_vs_leaky", [W, "--nosuchflag"], "nosuchflag"),
    ("relu_vs_leaky", [W, "--workdri=x"], "workdri"),
    ("relu_vs_leaky", [W, "stray_positional"], "stray_positional"),
    ("relu_vs_leaky", [W, "--cpu_devices=0"], "cpu_devices"),
    ("relu_vs_leaky", [W, "--cpu_devices=two"], "cpu_devices"),
    ("relu_vs_leaky", [W, "--num_processes=0"], "num_processes"),
    ("relu_vs_leaky", [W, "--process_id=-1"], "process_id"),
    ("relu_vs_leaky", [W, "--plots=maybe"], "plots"),
    ("relu_vs_leaky", [W, "--studies_dir={tmp}/nowhere"], "nowhere"),
    ("relu_vs_leaky", ["--workdir={tmp}/afile"], "is a file"),
    ("relu_vs_leaky", ["--workdir={tmp}/afile/sub"], "is a file"),
    # config files and variants
    ("relu_vs_leaky", [W, "--config="], "--config"),
    ("relu_vs_leaky", [W, "--config=configs/relu_vs_leaky.py:quik"], "did you mean 'quick'"),
    ("relu_vs_leaky", [W, "--config=configs/relu_vs_leaky.py:quick=maybe"], "not a boolean"),
    ("relu_vs_leaky", [W, "--config=configs/relu_vs_leaky.py:quick=1,fast"], "valid variants: quick"),
    ("relu_vs_leaky", [W, "--config=configs/relu_vs_leaky.py:seeds=3"], "valid variants"),
    ("topology", [W, "--config=configs/topology.py:quick=yes_please"], "not a boolean"),
    ("relu_vs_leaky", [W, "--config=configs/nope.py"], "does not exist"),
    ("relu_vs_leaky", [W, "--config=configs"], "is a directory"),
    ("relu_vs_leaky", [W, "--config=configs/topology.py"], "not 'relu_vs_leaky'"),
    ("relu_vs_leaky", [W, "--config={tmp}/empty.py"], "no get_config"),
    ("relu_vs_leaky", [W, "--config={tmp}/syntax.py"], "syntax error"),
    ("relu_vs_leaky", [W, "--config={tmp}/none.py"], "returned NoneType"),
    ("relu_vs_leaky", [W, "--config={tmp}/raises.py"], "RuntimeError: boom"),
    ("relu_vs_leaky", [W, "--config={tmp}/import_error.py"], "no_such_module_xyz"),
    ("relu_vs_leaky", [W, "--config={tmp}/not_callable.py"], "no get_config"),
    ("relu_vs_leaky", [W, "--config={tmp}/dict.py"], "not an ml_collections.ConfigDict"),
    ("relu_vs_leaky", [W, "--config={tmp}/extra_top.py"], "did you mean 'num_seeds'"),
    ("relu_vs_leaky", [W, "--config={tmp}/extra_nested.py"], "config.model.dropout"),
    ("relu_vs_leaky", [W, "--config={tmp}/extra_eval.py"], "did you mean 'grid_resolution'"),
    ("relu_vs_leaky", [W, "--config={tmp}/deleted_optim.py"], "config.optim is missing"),
    ("relu_vs_leaky", [W, "--config={tmp}/deleted_leaf.py"], "config.data.noise is missing"),
    ("relu_vs_leaky", [W, "--config={tmp}/wrong_kind.py"], "widths"),
    ("relu_vs_leaky", [W, "--config={tmp}/group_as_value.py"], "optim"),
    ("relu_vs_leaky", [W, "--config={tmp}/no_study.py"], "study None"),
    ("relu_vs_leaky", [W, "--config={tmp}/other_study.py"], "not 'relu_vs_leaky'"),
    ("relu_vs_leaky", [W, "--config={tmp}/names_ints.py"], "data.names"),
    ("relu_vs_leaky", [W, "--config={tmp}/arg_raises.py:quick=2"], "not a boolean"),
    ("relu_vs_leaky", [W, "--config={tmp}/arg_raises.py"], "KeyError"),
    ("study", [W, "--study=relu_vs_leaky", "--config={tmp}/extra_nested.py"], "dropout"),
    ("study", [W, "--study=relu_vs_leaky", "--config={tmp}/syntax.py"], "syntax error"),
    ("study", [W, "--study=relu_vs_leaky", "--config={tmp}/deleted_optim.py"], "optim"),
    # override keys at every level
    ("relu_vs_leaky", [W, Q, "--config.num_seed=4"], "did you mean 'num_seeds'"),
    ("relu_vs_leaky", [W, Q, "--config.model.widht=8"], "did you mean 'width"),
    ("relu_vs_leaky", [W, Q, "--config.eval.grid_res=32"], "did you mean 'grid_resolution'"),
    ("relu_vs_leaky", [W, Q, "--config.modl.widths=(8,)"], "did you mean 'model'"),
    ("relu_vs_leaky", [W, Q, "--config.optim.learning_rate=0.1"], "learning_rates"),
    ("relu_vs_leaky", [W, Q, "--config.optim=0.1"], "group of fields"),
    ("relu_vs_leaky", [W, Q, "--config.num_seeds.x=1"], "not a group"),
    ("relu_vs_leaky", [W, Q, "--config..num_seeds=1"], "empty field"),
    ("relu_vs_leaky", [W, Q, "--config.zzzz=1"], "valid keys of config"),
    ("relu_vs_leaky", [W, Q, "--noconfig.num_seeds"], "not an integer"),
    ("topology", [W, "--config.eval.betti_kk=3"], "did you mean 'betti_k'"),
    ("dying_relu", [W, "--config.born_dead.width=(2,)"], "did you mean 'widths'"),
    ("activation_cost", [W, "--config.networks.wide.in_dims=3"], "did you mean 'in_dim'"),
    ("activation_cost", [W, "--config.num_round=3"], "did you mean 'num_rounds'"),
    ("benchmark", [W, "--config.workloads.mid.point=3"], "did you mean 'points'"),
    ("benchmark", [W, "--config.sectionz=('small',)"], "did you mean 'sections'"),
    ("study", [W, "--study=topology", "--config=configs/topology.py:quick", "--config.eval.betti_scal=2"], "betti_scale"),
    # types
    ("relu_vs_leaky", [W, Q, "--config.num_seeds=four"], "not an integer"),
    ("relu_vs_leaky", [W, Q, "--config.num_seeds=2.5"], "not an integer"),
    ("relu_vs_leaky", [W, Q, "--config.num_seeds"], "needs a value"),
    ("relu_vs_leaky", [W, Q, "--config.data.noise=lots"], "not a number"),
    ("relu_vs_leaky", [W, Q, "--config.data.names=(1,2)"], "strings"),
    ("relu_vs_leaky", [W, Q, "--config.model.widths=('a',)"], "numbers"),
    ("relu_vs_leaky", [W, Q, "--config.model.widths=(8"], "literal"),
    ("relu_vs_leaky", [W, Q, "--config.model.activations=(relu, tanh)"], "literal"),
    ("relu_vs_leaky", [W, Q, "--config.data.params=3"], "dict literal"),
    ("relu_vs_leaky", [W, Q, "--config.model.widths=(8.5,)"], "integer"),
    ("relu_vs_leaky", [W, Q, "--config.model.depths=(True,)"], "numbers"),
    ("activation_cost", [W, "--config.include_jax_nn_relu=sure"], "not a boolean"),
    # ranges
    ("relu_vs_leaky", [W, Q, "--config.num_seeds=0"], "num_seeds"),
    ("relu_vs_leaky", [W, Q, "--config.num_seeds=-3"], "num_seeds"),
    ("relu_vs_leaky", [W, Q, "--config.seed=-1"], "config.seed"),
    ("relu_vs_leaky", [W, Q, "--config.data.noise=-0.1"], "data.noise"),
    ("relu_vs_leaky", [W, Q, "--config.data.noise=nan"], "finite"),
    ("relu_vs_leaky", [W, Q, "--config.data.num_train_per_class=1"], "num_train_per_class"),
    ("relu_vs_leaky", [W, Q, "--config.data.num_test_per_class=0"], "num_test_per_class"),
    ("relu_vs_leaky", [W, Q, "--config.model.widths=(0,)"], "model.widths"),
    ("relu_vs_leaky", [W, Q, "--config.model.widths=()"], "non-empty"),
    ("relu_vs_leaky", [W, Q, "--config.model.depths=(0,)"], "model.depths"),
    ("relu_vs_leaky", [W, Q, "--config.optim.learning_rates=(0.0,)"], "learning_rates"),
    ("relu_vs_leaky", [W, Q, "--config.optim.learning_rates=(-1.0,)"], "learning_rates"),
    ("relu_vs_leaky", [W, Q, "--config.optim.learning_rates=(1e999,)"], "finite"),
    ("relu_vs_leaky", [W, Q, "--config.optim.num_steps=0"], "num_steps"),
    ("relu_vs_leaky", [W, Q, "--config.optim.eval_every_steps=33"], "must divide"),
    ("relu_vs_leaky", [W, Q, "--config.optim.momentum=1.5"], "momentum"),
    ("relu_vs_leaky", [W, Q, "--config.optim.batch_size=-1"], "batch_size"),
    ("relu_vs_leaky", [W, Q, "--config.eval.grid_resolution=4"], "grid_resolution"),
    ("relu_vs_leaky", [W, Q, "--config.eval.plot_seed=99"], "plot_seed"),
    ("relu_vs_leaky", [W, Q, "--config.eval.checkpoint_steps=(7,)"], "checkpoint_steps"),
    ("relu_vs_leaky", [W, Q, "--config.eval.checkpoint_steps=(10000,)"], "checkpoint_steps"),
    ("relu_vs_leaky", [W, Q, "--config.max_models_per_chunk=0"], "max_models_per_chunk"),
    ("relu_vs_leaky", [W, Q, "--config.eval.noise_stds=(-1.0,)"], "noise_stds"),
    ("topology", [W, "--config.eval.betti_k=0"], "betti_k"),
    ("dying_relu", [W, "--config.born_dead.lu_depth=7"], "lu_depth"),
    ("dying_relu", [W, "--config.born_dead.num_inits=1"], "num_inits"),
    ("linear_regions", [W, "--config.model.neurons=(25,)"], "divisible"),
    ("activation_cost", [W, "--config.num_rounds=0"], "num_rounds"),
    ("stats_simulation", ["--out={w}", "--reps=1"], "reps"),
    ("stats_simulation", ["--out={w}", "--n_boot=5"], "n_boot"),
    ("stats_simulation", ["--out={w}", "--reps=many"], "reps"),
    # names
    ("relu_vs_leaky", [W, Q, "--config.data.names=('spiral',)"], "valid data sets"),
    ("relu_vs_leaky", [W, Q, "--config.model.activations=('relu','leakyrelu')"], "valid activations"),
    ("relu_vs_leaky", [W, Q, "--config.model.activations=('leaky_relu',)"], "slope"),
    ("relu_vs_leaky", [W, Q, "--config.model.init=kaiming"], "valid initialisers"),
    ("relu_vs_leaky", [W, Q, "--config.optim.optimizer=adamw"], "valid optimizers"),
    ("relu_vs_leaky", [W, Q, "--config.optim.schedule=step"], "valid schedules"),
    ("relu_vs_leaky", [W, Q, "--config.eval.metrics=('core','bondary')"], "metrics"),
    ("relu_vs_leaky", [W, Q, "--config.study=topology"], "topology"),
    ("study", [W, "--study=relu_vs_leakyy", "--config=configs/relu_vs_leaky.py:quick"], "relu_vs_leaky"),
    ("study", [W, "--config=configs/relu_vs_leaky.py:quick"], "--study"),
    ("study", [W, "--study=relu_vs_leaky"], "--config"),
    ("dying_relu", [W, "--config.born_dead.inits=('he',)"], "born-dead initialisers"),
    ("activation_cost", [W, "--config.activations=('relu','relu6')"], "activations"),
    ("activation_cost", [W, "--config.activations=('relu','relu+tanh')"], "per-layer"),
    # data-set argument strings and parameters
    ("relu_vs_leaky", [W, Q, "--config.data.names=('rings:num_rings',)"], "key=value"),
    ("relu_vs_leaky", [W, Q, "--config.data.names=('rings:num_rings=abc',)"], "literal"),
    ("relu_vs_leaky", [W, Q, "--config.data.names=('rings:num_ring=3',)"], "num_ring"),
    ("relu_vs_leaky", [W, Q, "--config.data.names=('rings:num_rings=1',)"], "num_rings"),
    ("relu_vs_leaky", [W, Q, "--config.data.names=('spirals:turns=-1',)"], "turns"),
    ("relu_vs_leaky", [W, Q, "--config.data.names=('spirals:',)", "--config.data.params.xor.a=1"], "data.params"),
    ("relu_vs_leaky", [W, Q, "--config.data.params.spirals.turn=2"], "turn"),
    ("relu_vs_leaky", [W, Q, "--config.data.params.spirals.turns=-2"], "turns"),
    ("relu_vs_leaky", [W, Q, "--config.data.params.moons.noise=0.1"], "keys must be data sets"),
    ("relu_vs_leaky", [W, Q, "--config.data.params.spirals=3"], "dict"),
    ("relu_vs_leaky", [W, Q, "--config.data.params={'spirals': 3}"], "data.params.spirals"),
    ("relu_vs_leaky", [W, Q, "--config.data.params.rings.num_rings=100000000"], "num_rings"),
    ("relu_vs_leaky", [W, Q, "--config.data.names=('rings:num_rings=100000000',)"], "num_rings"),
    # per-layer activations and the boundary-function data set
    ("relu_vs_leaky", [W, Q, "--config.model.activations=('relu+tanh+relu',)"], "depths = (2,)"),
    ("relu_vs_leaky", [W, Q, "--config.model.activations=('relu+',)"], "empty layer"),
    ("relu_vs_leaky", [W, Q, "--config.data.names=boundary",
                       "--config.data.params.boundary.expression=open(x)"], "function 'open'"),
    ("relu_vs_leaky", [W, Q, "--config.data.names=boundary",
                       "--config.data.params.boundary.expression=__import__('os')"], "function '__import__'"),
    ("relu_vs_leaky", [W, Q, "--config.data.names=boundary",
                       "--config.data.params.boundary.expression=x**2+y**2+1"], "constant sign"),
    ("relu_vs_leaky", [W, Q, "--config.data.names=boundary:expression='x/y'"], "cannot hold"),
    # huge requests
    ("relu_vs_leaky", [W, "--config.num_seeds=10000000"], "num_seeds"),
    ("relu_vs_leaky", [W, "--config.num_seeds=100000"], "models"),
    ("relu_vs_leaky", [W, "--config.model.widths=(1000000,)"], "model.widths"),
    ("relu_vs_leaky", [W, "--config.model.widths=(60000,)"], "memory"),
    ("relu_vs_leaky", [W, "--config.model.depths=(100000,)"], "model.depths"),
    ("relu_vs_leaky", [W, "--config.eval.grid_resolution=4096"], "memory"),
    ("relu_vs_leaky", [W, "--config.data.num_train_per_class=1000000"], "num_train_per_class"),
    ("relu_vs_leaky", [W, "--config.data.num_train_per_class=60000", "--config.num_seeds=128"], "days"),
    ("relu_vs_leaky", [W, Q, "--config.data.names=('spirals:num_train_per_class=1000000',)"], "num_train_per_class"),
    ("relu_vs_leaky", [W, "--config.data.num_train_per_class=1e7"], "num_train_per_class"),
    ("relu_vs_leaky", [W, "--config.optim.num_steps=100000000"], "num_steps"),
    ("topology", [W, "--config.num_seeds=100000"], "config"),
    ("sparsity", [W, "--config.data.num_train_per_class=1000000"], "num_train_per_class"),
    ("narrow_nets", [W, "--config.eval.grid_resolution=4096", "--config.num_seeds=64"], "memory"),
    ("dying_relu", [W, "--config.born_dead.inits_per_call=100000000"], "memory"),
    ("linear_regions", [W, "--config.model.neurons=(1000000,)"], "neurons"),
    ("activation_cost", [W, "--config.elementwise_size=100000000000"], "elementwise_size"),
    # hypothesis files
    ("hypothesis", ["--hypothesis=broken_syntax", "--hypotheses_dir={tmp}/h", W], "syntax error"),
    ("hypothesis", ["--hypothesis=broken_raises", "--hypotheses_dir={tmp}/h", W], "RuntimeError"),
    ("hypothesis", ["--hypothesis=broken_no_object", "--hypotheses_dir={tmp}/h", W], "HYPOTHESIS"),
    ("hypothesis", ["--hypothesis=bad_factor", "--hypotheses_dir={tmp}/h", W, "--quick"], "activaton"),
    ("hypothesis", ["--hypothesis=bad_control", "--hypotheses_dir={tmp}/h", W, "--quick"], "lecun"),
    ("hypothesis", ["--hypothesis=bad_condition", "--hypotheses_dir={tmp}/h", W, "--quick"], "datset"),
    ("hypothesis", ["--hypothesis=bad_metric", "--hypotheses_dir={tmp}/h", W, "--quick"], "test_accuracy"),
    ("hypothesis", ["--hypothesis=bad_override", "--hypotheses_dir={tmp}/h", W, "--quick"], "num_step"),
    ("hypothesis", ["--hypothesis=bad_seeds", "--hypotheses_dir={tmp}/h", W], "num_seeds"),
    ("hypothesis", ["--hypothesis=relu_separates_bettr", W], "did you mean 'relu_separates_better'"),
    ("hypothesis", ["--hypothesis=relu_separates_better"], "--workdir"),
    ("hypothesis", ["--hypothesis=relu_separates_better", "--workdir="], "--workdir"),
    ("hypothesis", [W], "--hypothesis"),
    ("hypothesis", ["--list", "--hypotheses_dir={tmp}/nowhere"], "does not exist"),
    ("hypothesis", ["--hypothesis=relu_separates_better", W, "--configs_dir={tmp}"], "does not exist"),
    ("hypothesis", ["--hypothesis=relu_separates_better", W, "--config.num_seeds=3"], "no --config"),
    # the other entry points
    ("report", ["--workdirs="], "--workdirs"),
    ("report", ["--workdirs={w}"], "does not exist"),
    ("report", ["--workdirs={w}", "--run", "--configs_dir={tmp}/nowhere"], "configs_dir"),
    ("report", ["--workdirs={w}", "--studies_dir={tmp}/nowhere"], "nowhere"),
    ("report", ["--workdirs={tmp}/afile"], "is a file"),
    ("report", ["--workdirs={w}", "--bogus"], "bogus"),
    ("benchmark", [], "--workdir"),
    ("benchmark", [W, "--config=configs/benchmark.py:quik"], "quick"),
    ("benchmark", [W, "--config={tmp}/raises.py"], "boom"),
    ("benchmark", [W, "--config=configs/relu_vs_leaky.py"], "benchmark"),
    ("benchmark", [W, "--config.repetitions=three"], "not an integer"),
    ("stats_simulation", [], "--out"),
    ("stats_simulation", ["--out="], "--out"),
    ("stats_simulation", ["--out={tmp}/afile"], "is a file"),
    ("stats_simulation", ["--out={w}", "--config.x=1"], "no --config"),
] + [(s, ["--workdir="], "--workdir") for s in STUDIES] \
  + [(s, [W, "--config.num_seed=3"], "num_seed") for s in STUDIES] \
  + [(s, [W, f"--config=configs/{s}.py:quik"], "quick") for s in STUDIES] \
  + [(s, [W, "--config={tmp}/syntax.py"], "syntax error") for s in STUDIES]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
  tmp = tmp_path_factory.mktemp("bad")
  for name, text in FILES.items():
    (tmp / name).write_text(text.replace("{ref}", REF))
  (tmp / "h").mkdir()
  for name, text in HYPOTHESES.items():
    (tmp / "h" / name).write_text(text)
  (tmp / "afile").write_text("not a folder")
  return tmp


def _argv(args, tmp, workdir):
  return [a.replace("{tmp}", str(tmp)).replace("{w}", str(workdir)) for a in args]


def _check(code, err, fragment, workdir):
  lines = [line for line in err.splitlines() if line.strip()]
  assert code == 2, (code, err)
  assert "Traceback" not in err
  assert len(lines) == 1, err
  assert lines[0].startswith("error: "), err
  assert fragment.lower() in lines[0].lower(), (fragment, lines[0])
  assert not workdir.exists()


def test_the_corpus_is_large():
  assert len(CASES) >= 120
  assert {entry for entry, _, _ in CASES} == {*STUDIES, "study", "hypothesis", "report", "benchmark",
                                              "stats_simulation"}


@pytest.mark.parametrize("entry,args,fragment", CASES, ids=[f"{e}:{' '.join(a)}"[:90] for e, a, _ in CASES])
def test_bad_input_exits_2_with_one_line(entry, args, fragment, files, tmp_path, capsys):
  workdir = tmp_path / "w"
  main = importlib.import_module(f"experiments.{entry}").main
  with pytest.raises(SystemExit) as exit_:
    main(["prog", *_argv(args, files, workdir)])
  out = capsys.readouterr()
  _check(exit_.value.code, out.err, fragment, workdir)


SUBPROCESS_CASES = [
    ("relu_vs_leaky", [W, "--config.model.widht=8"], "did you mean 'widths'"),
    ("relu_vs_leaky", [W, "--config=configs/relu_vs_leaky.py:quick=maybe"], "not a boolean"),
    ("hypothesis", ["--hypothesis=broken_syntax", "--hypotheses_dir={tmp}/h", W], "syntax error"),
    ("stats_simulation", ["--out="], "--out"),
]


@pytest.mark.parametrize("entry,args,fragment", SUBPROCESS_CASES)
def test_the_real_command(entry, args, fragment, files, tmp_path):
  workdir = tmp_path / "w"
  out = subprocess.run([sys.executable, "-m", f"experiments.{entry}", *_argv(args, files, workdir)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
  _check(out.returncode, out.stderr, fragment, workdir)
