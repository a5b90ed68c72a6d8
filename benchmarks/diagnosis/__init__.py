"""Two simulated pipelines, card fraud and store demand, with injectable faults: the ground truth of a diagnosis
benchmark.

    python benchmarks/diagnosis/simulate.py --root /tmp/diagnosis [--days 182] [--seed 0] [--jobs 2]

`simulate(pipeline, fault, store_path, days=182, seed=0)` logs one pipeline's daily batches into a new obsql store
and returns the `GroundTruth` of the fault it injected. Both pipelines are modelled on what teams run, not on what
obsql answers well: several ingest sources, reference tables loaded once, a daily join, a feature step whose
parameters are refit on a schedule, a weekly model refit over a window of daily feature files (so each ingest run
is read by several trainings), daily scoring whose predictions carry their scores, labels that come back hours to
days later (a share never), a business metric with an SLA on the scoring component, and checks where teams put them
(key columns at ingest, a gate on the holdout metric at training), none elsewhere. The data have identifier columns,
a weekly cycle, holidays, noise and a low rate of missing values. Everything is deterministic per seed, and a fault
changes only what it is about: each concern draws from its own random stream. Before the first day the pipelines'
history is built without logging (the lake as it was when obsql was added), so the first refits have data.

fraud: a card issuer's post-authorisation review queue, from Monday 2023-09-04 (the shopping season from Black
  Friday to Christmas straddles the two halves). Daily: ingest_card_txns, ingest_device_signals (a risk vendor's
  feed), ingest_merchant_feed (the acquirer's snapshot), ingest_fraud_labels (disputes and settlements that
  arrived), join_txns (with the static load_mcc_codes table), fit_encoder (fill values, amount clip, and merchant
  fraud rates from the last week of labelled transactions in a 28-day window: fraud rings work a merchant for weeks
  and move on), build_features, score_txns (every transaction of the day, ~500; SLA on the recall of the review
  queue). Mondays: train_fraud_model (logistic regression over 28 daily feature files).
demand: a grocer's forecast of each day's units per store and product (12 x 25 series), from Monday 2024-01-01
  (Presidents' Day, Easter, Memorial Day; the spring warms through the second half). Daily: ingest_pos_sales
  (receipt lines), ingest_weather (observations and the day's forecast per store), ingest_promotions (the
  promotions running), build_daily_panel (with the static load_store_calendar and load_product_catalog tables),
  build_features, score_demand (300 forecasts; SLA on their WAPE). Mondays: fit_scaler (weather fill value and clip
  bounds, series levels), train_forecaster (ridge regression over 56 daily feature files).
Business metrics are over the predictions of the last week whose labels have come back (SLAs watch them), and over
the labels that came back since the last batch (a Page-Hinkley detector watches those: each label counts once).

Faults (`FAULTS`), from a date in the second half of the period drawn from the seed (or `fault_start_day`):
  null_spike     a source delivers a column 60% null for 5-9 days; the code reading it fills the nulls silently
  concept_shift  how the label depends on the features changes; the features' distributions do not
  skew           the scoring (serving) code computes one feature differently from the training path
  stale_refit    the feature-fitting step silently stops running for 4-6 weeks while the data keep drifting
What each names, and why, is in `GroundTruth`; how each is injected, in `PIPELINES`.
"""
from __future__ import annotations

from .common import DEFAULT_DAYS, FAULTS, FaultPlan, GroundTruth, Pipeline, plan_fault
from .demand import DEMAND_FIRST_DAY
from .fraud import FRAUD_FIRST_DAY
from .simulate import PIPELINES, simulate, timed_simulation

__all__ = ["DEFAULT_DAYS", "DEMAND_FIRST_DAY", "FAULTS", "FRAUD_FIRST_DAY", "PIPELINES", "FaultPlan", "GroundTruth",
           "Pipeline", "plan_fault", "simulate", "timed_simulation"]
