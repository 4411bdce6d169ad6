"""Narrow networks: decision-region connectivity and loss by activation at widths 2 and up.

A plain sweep (configs/narrow_nets.py) with the exact whole-plane component counts
(metric family `plane_topology`); figures and report as in every plain training study.
"""

from research.study import Study
from research.study_report import training_figures, training_report

STUDY = Study(
    name="narrow_nets",
    question="In networks no wider than their input, are LeakyReLU decision regions connected where "
             "ReLU's need not be, and can any activation enclose the inner ring?",
    answers=("ReLU separates entangled data better than LeakyReLU.",),
    order=55, figures=training_figures, report=training_report)
