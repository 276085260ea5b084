"""Credit score of a loan applicant: an integer scorecard trained offline, plus a policy overlay.

    features.py    the Applicant, and its mapping onto the German Credit inputs of the model
    overlay.py     expert points from our own account history (policy, versioned)
    bins.py        the bin tables of the model file (trained features and overlay alike)
    scorecard.py   loads a model file, scores an Applicant, picks the reasons
    reasons.py     the customer-facing text of each reason code (Django's gettext_lazy)
    policy.py      score band -> rate, limit and refusal (a dated table)
    metrics.py     AUC, KS, Gini, Brier and calibration in exact arithmetic
    training.py    offline: optbinning's Scorecard on the German Credit data -> model/<v>.json

The run-time path (features, overlay, scorecard, policy) is pure Python on integers and
Decimal: no float, no Django, no database. docs/credit-score.md is the model card.
"""
