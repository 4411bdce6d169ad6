"""Narrow networks: decision-region connectivity and loss by activation at widths 2 and up.

A plain sweep (configs/narrow_nets.py) with the exact whole-plane component counts
(metric family `plane_topology`); figures and report as in every plain training study.
"""

from research.study import Study
from research.study_report import training_figures, training_report

STUDY = Study(
    name="narrow_nets",
    question=("With hidden layers no wider than the input (width 2) or barely wider (3, 4), are the "
              "decision regions connected in the whole plane, which activation can enclose the inner "
              "ring, and which reaches the lower loss?"),
    answers=("ReLU separates entangled data better than LeakyReLU.",),
    order=55, figures=training_figures, report=training_report,
    main_metrics=("test_acc", "test_loss"))
