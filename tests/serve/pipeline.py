"""A small bakery pipeline logged with obsql's own client, for the server's tests: four days of `ingest` (the
till's orders), `clean` (drops refunds) and `forecast` (loaves per shop, scored by a model trained once, with an
SLA on its accuracy that the third day breaks). One output is named like a script, to prove every page escapes it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import polars as pl

import obsql

T0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
XSS = "<script>alert(1)</script>"
SHOPS = ("north", "south", "harbour")
ACCURACY = (0.93, 0.91, 0.62, 0.94)  # the third day's forecast breaks its SLA


def bake(path: Path) -> obsql.Store:
    """Log the pipeline into a new store at `path` and return it (flushed)."""
    store = obsql.connect(path)
    with obsql.run(obsql.Component("train", owner="ana", description="fits the loaves model", tags=("model",)),
                   inputs=["sales/2023.parquet"], outputs=["models/loaves.pkl"], start=T0 - timedelta(days=2),
                   end=T0 - timedelta(days=2, hours=-1)) as run:
        run.log_metric("rmse", 3.2)
    forecast = obsql.Component("forecast", owner="ana", slas={"accuracy": ">= 0.8"}, tags=("prod",))
    for day, accuracy in enumerate(ACCURACY):
        start = T0 + timedelta(days=day)
        with obsql.run("ingest", inputs=[f"till/orders-{day}.csv"], start=start,
                       end=start + timedelta(minutes=3)) as run:
            orders = pl.DataFrame({"shop": [*SHOPS, "north"], "loaves": [40 + day, 31, 12, -3]})
            run.add_output(orders, var="orders")
        with obsql.run("clean", inputs=[orders], start=start + timedelta(hours=1),
                       end=start + timedelta(hours=1, minutes=1)) as run:
            cleaned = orders.filter(pl.col("loaves") > 0)
            run.add_output(cleaned, var="cleaned")
            run.log_metric("refunds", 1)
        with obsql.run(forecast, inputs=[cleaned, "models/loaves.pkl"], start=start + timedelta(hours=2),
                       end=start + timedelta(hours=2, minutes=1)) as run:
            names = [f"loaves-{day}-{shop}" for shop in SHOPS] + ([XSS] if day == 3 else [])
            run.add_output(names, values=[0.3 * (i + 1) for i in range(len(names))])
            run.log_metric("accuracy", accuracy)
    store.flush()
    return store
