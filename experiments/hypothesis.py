"""Runs one hypothesis file, of any study, and reports its verdict.

  python -m experiments.hypothesis --list
  python -m experiments.hypothesis --hypothesis relu_separates_better --workdir workdirs/h1
  python -m experiments.hypothesis --hypothesis my_claim --hypotheses_dir path/to/mine --quick
"""

import sys

from absl import flags

from experiments._entry import load_config, parse_flags, usage_error

flags.DEFINE_bool("list", False, "List every hypothesis with its study and claim.")
flags.DEFINE_string("hypothesis", None, "Name of the hypothesis (its file stem).")
flags.DEFINE_multi_string("hypotheses_dir", [], "Extra folders of hypothesis files.")
flags.DEFINE_multi_string("studies_dir", [], "Extra folders of study modules.")
flags.DEFINE_string("configs_dir", "configs", "Folder of the study config files (<study>.py).")
flags.DEFINE_string("workdir", None, "Folder for the study's runs and hypothesis.md.")
flags.DEFINE_bool("quick", False, "Use the study's quick variant (smoke test, not evidence).")
flags.DEFINE_bool("overwrite", False, "Delete results of a different config found in --workdir.")
flags.DEFINE_bool("progress", True, "Show progress bars.")


def main(argv=None):
  parse_flags(sys.argv if argv is None else argv)
  from research import studies
  from research.hypotheses import discover, get_hypothesis
  from research.hypothesis_runner import run_hypothesis
  f = flags.FLAGS
  try:
    if f.list:
      for name, h in discover(f.hypotheses_dir).items():
        print(f"{name} [{h.study}]: {h.claim}")
      return
    if not f.hypothesis or not f.workdir:
      usage_error("give --hypothesis NAME and --workdir DIR (or --list)")
    h = get_hypothesis(f.hypothesis, f.hypotheses_dir)
    study = studies.get_study(h.study, f.studies_dir)
    config = load_config(f"{f.configs_dir}/{h.study}.py" + (":quick" if f.quick else ""))
    result = run_hypothesis(h, study, config, f.workdir, quick=f.quick, overwrite=f.overwrite,
                            progress=f.progress)
  except ValueError as e:
    usage_error(e)
  if result is not None:
    print(result.summary())
    print(f"hypothesis report: {f.workdir}/hypothesis.md")


if __name__ == "__main__":
  main()
