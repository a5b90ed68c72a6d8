"""Monitoring: is the data a model sees still the data it was trained on, and is the model still right?

The library the logging client calls in triggers and the query compiler exposes to OQL. It follows the detect /
diagnose / react loop of the observability vision paper (seeds/000, sections 3.1 to 3.4).

Detect
- Two-sample statistics (`ks`, `chi2`, `psi`, `jensen_shannon`, `wasserstein`, `kl`), each a `DriftResult` with
  statistic, p-value, effect size and a decision that does not cry wolf on large samples (p-values there go to zero
  without practical significance, so large samples are judged on the effect size). Values agree with scipy.
- `drift(reference, current)`: a table with one row per column, in linear time per column.
- `summarize(frame)`: per-column summaries the client stores for every logged frame, and
  `drift_from_summaries` to compare two stored summaries without the rows.
- `estimate_accuracy`: accuracy without labels, by importance weighting over buckets (`propose_buckets`);
  `BucketAccuracy` keeps the training side to estimate many live batches.
- `FeedbackJoin`: accuracy with delayed labels, joining predictions and feedback in bounded memory.

Diagnose
- `adversarial_validation` and the streaming `AdversarialMonitor`: a classifier that tells reference rows from
  current ones; its AUC and loss say how far apart they are, its weights say which features moved.
- `classify_shift`: concept or covariate shift, from the KS, adversarial-loss and accuracy trends.

React
- `retraining_hints`: buckets to upsample and the current rows least like the training set.
- `slas`: service-level agreements on business metrics (`Component(slas=...)`): one alert per outage.

Files: `inputs` (what users pass, as polars), `kolmogorov` (linear-time KS), `stats` (the statistics and the
decision rule), `tables` (`drift`), `summaries` and `summary_drift`, `adversarial`, `accuracy` (importance weighting
and bucketings), `feedback` (`FeedbackJoin`), `diagnosis`, `slas`. Speed figures: `benchmarks/bench_drift.py`.

Names are loaded on first use, so `from obsql.monitor import summarize` does not pay for importing scipy.
"""
from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "DriftResult": "stats", "ks": "stats", "chi2": "stats", "psi": "stats", "jensen_shannon": "stats",
    "wasserstein": "stats", "kl": "stats",
    "drift": "tables", "column_drift": "tables",
    "summarize": "summaries", "drift_from_summaries": "summary_drift",
    "adversarial_validation": "adversarial", "AdversarialResult": "adversarial",
    "AdversarialMonitor": "adversarial",
    "estimate_accuracy": "accuracy", "AccuracyEstimate": "accuracy", "propose_buckets": "accuracy",
    "Bucketing": "accuracy", "BucketAccuracy": "accuracy",
    "FeedbackJoin": "feedback", "AccuracyInterval": "feedback",
    "classify_shift": "diagnosis", "ShiftDiagnosis": "diagnosis", "retraining_hints": "diagnosis",
    "RetrainingHints": "diagnosis",
    "Sla": "slas", "SlaWatch": "slas", "parse_slas": "slas",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'obsql.monitor' has no attribute '{name}'")
    return getattr(importlib.import_module(f"obsql.monitor.{_HOMES[name]}"), name)


def __dir__() -> list[str]:
    return __all__
