"""The flagship study: does ReLU separate entangled data better than LeakyReLU (and tanh)?

A plain sweep (configs/relu_vs_leaky.py): every activation trained on the same seeds, initial
weights and data draws, over data sets x widths x depths; the figures and report are those of every
plain training study (research/study_report.py).
"""

from research.study import Study
from research.study_report import training_figures, training_report

STUDY = Study(
    name="relu_vs_leaky",
    question="Does ReLU separate entangled data better than LeakyReLU (and than tanh), on the same "
             "seeds, initial weights and data?",
    answers=("ReLU separates entangled data better than LeakyReLU.",),
    order=50, figures=training_figures, report=training_report,
    main_metrics=("test_acc", "grid_agreement"), headline_figure="test_accuracy")
