"""The store demand pipeline: the grocer's world (stores, products, weather, promotions, what shoppers buy), the
team's steps, and `DemandPipeline`, its daily batch."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import polars as pl

import obsql

from .common import (ARRIVED_DETECTOR, FaultPlan, GatedTrainer, Ingest, KeyedIngest, LabelJoin, Lake, LinearModel,
                     NULL_SPIKE_SHARE, PendingLabels, SERVING_STALENESS_DAYS, at,
                     fit_linear, random_stream, uuids, with_nulls)


# == demand ==========================================================================================================
DEMAND_FIRST_DAY = date(2024, 1, 1)  # a Monday
DEMAND_HISTORY_DAYS = 63  # the lake before obsql was added: a 56-day fit window and a week of lags before it
DEMAND_WINDOW_DAYS = 56
WINDOW_STALENESS_DAYS = DEMAND_WINDOW_DAYS + 7  # a job reading 56 days of files is not stale for the oldest of them
LEVEL_DAYS = 28  # a series' level is its mean over the last four weeks of the window
STORES = 12
CATEGORIES = {  # temperature effect per degree, lift per unit of discount, holiday lift, school-break lift
    "beverages": (0.035, 4.0, 0.35, 0.10), "ice_cream": (0.07, 3.5, 0.30, 0.25), "snacks": (0.01, 5.0, 0.30, 0.05),
    "bakery": (0.0, 2.0, 0.20, 0.0), "bbq": (0.04, 3.0, 0.80, 0.05), "household": (0.0, 2.5, 0.0, 0.0)}
SKU_CATEGORIES = ("beverages",) * 6 + ("ice_cream",) * 3 + ("snacks",) * 5 + ("bakery",) * 4 + ("bbq",) * 3 \
    + ("household",) * 4
HOLIDAYS = {date(2023, 11, 23): "Thanksgiving", date(2023, 12, 25): "Christmas Day", date(2024, 1, 1): "New Year's Day",
            date(2024, 1, 15): "Martin Luther King Jr. Day", date(2024, 2, 19): "Presidents' Day",
            date(2024, 3, 31): "Easter Sunday", date(2024, 5, 27): "Memorial Day", date(2024, 6, 19): "Juneteenth",
            date(2024, 7, 4): "Independence Day"}
SCHOOL_BREAKS = ((date(2023, 12, 22), date(2024, 1, 3)), (date(2024, 6, 14), date(2024, 8, 26)))
WEEKDAY_DEMAND = (0.85, 0.85, 0.9, 0.95, 1.15, 1.3, 1.1)
DISCOUNTS = (10, 15, 20, 25, 30, 40)
NATIONAL_PROMO_SHARE = 0.2  # of products each week, on the flyer in every store
STORE_PROMO_SHARE = 0.03  # of store-products each week, a store's own price cut
PROMO_LIFT_SHIFTED = 0.2  # after the concept shift, promotions lift demand this share of what they did
REFERENCE_TEMPERATURE = 15.0
WEATHER_SENTINEL = -99.9  # what the weather vendor sends when a station has no forecast
WAPE_SLA = "<= 0.3"
MAX_HOLDOUT_WAPE = 0.45
SCALER_PATH = "artifacts/demand/scaler.json"
FORECASTER_PATH = "artifacts/demand/forecaster.json"
CALENDAR_PATH = "ref/store_calendar.parquet"
CATALOG_PATH = "ref/product_catalog.parquet"
SERIES = ["store_id", "sku"]


def on_school_break(day: date) -> bool:
    return any(first <= day < end for first, end in SCHOOL_BREAKS)


def lag_features(history: pl.DataFrame, target: date) -> pl.DataFrame:
    """Per series, from the panels before `target`: units the day before, a week before, and the week's mean."""
    last_week = history.filter(pl.col("sales_date").is_between(target - timedelta(days=7), target - timedelta(days=1)))
    return last_week.group_by(SERIES).agg(
        lag_1=pl.col("units").filter(pl.col("sales_date") == target - timedelta(days=1)).first(),
        lag_7=pl.col("units").filter(pl.col("sales_date") == target - timedelta(days=7)).first(),
        mean_7=pl.col("units").mean())


def day_attributes(keys: pl.DataFrame, promotions: pl.DataFrame, weather: pl.DataFrame,
                   calendar: pl.DataFrame) -> pl.DataFrame:
    """What is known about each series' day in advance: its promotion (none when it has no row: 0% off), the
    weather forecast, the calendar."""
    return (keys.join(promotions.select(*SERIES, "discount_pct"), on=SERIES, how="left")
            .with_columns(pl.col("discount_pct").fill_null(0.0))
            .join(weather.select("store_id", "temp_forecast_c", "precip_forecast_mm"), on="store_id", how="left")
            .join(calendar.select("date", "store_id", "is_holiday", "pre_holiday", "school_break"),
                  left_on=["sales_date", "store_id"], right_on=["date", "store_id"], how="left"))


def finish_demand_features(frame: pl.DataFrame, lags: pl.DataFrame, params: dict) -> pl.DataFrame:
    """Lags joined on, weather filled and clipped with the scaler's values, each series' level attached."""
    low, high = params["temp_clip"]
    levels = pl.DataFrame({"series": list(params["levels"]), "level": list(params["levels"].values())})
    return (frame.join(lags, on=SERIES, how="left")
            .with_columns(pl.col("lag_1", "lag_7", "mean_7").fill_null(pl.col("mean_7")).fill_null(0.0),
                          temp_forecast_c=pl.col("temp_forecast_c").fill_null(params["temp_fill"]).clip(low, high),
                          precip_forecast_mm=pl.col("precip_forecast_mm").fill_null(0.0)
                          .clip(0.0, params["precip_max"]),
                          dow=pl.col("sales_date").dt.weekday(),
                          series=pl.concat_str("store_id", "sku", separator="|"))
            .join(levels, on="series", how="left").drop("series")
            .with_columns(pl.col("level").fill_null(pl.col("mean_7"))))


def demand_design(features: pl.DataFrame) -> pl.DataFrame:
    """The forecaster's columns: lags relative to the series' level, the weekday, the calendar, and promotions,
    temperature and holidays per category."""
    level = pl.col("level").log1p()
    per_category = [pl.when(pl.col("category") == name).then(expression).otherwise(0.0).alias(f"{label}_{name}")
                    for name in CATEGORIES for label, expression in (
                        ("discount", pl.col("discount_pct") / 100),
                        ("temperature", (pl.col("temp_forecast_c") - REFERENCE_TEMPERATURE) / 10),
                        ("holiday", pl.col("is_holiday").cast(pl.Float64)))]
    return features.select(
        *[(pl.col(name).log1p() - level).alias(f"relative_{name}") for name in ("lag_1", "lag_7", "mean_7")],
        *[(pl.col("dow") == day).cast(pl.Float64).alias(f"weekday_{day}") for day in range(2, 8)],
        pl.col("pre_holiday", "school_break").cast(pl.Float64), (pl.col("precip_forecast_mm") / 10).alias("rain"),
        *per_category)


def demand_target(features: pl.DataFrame) -> np.ndarray:
    return (features["units"].log1p() - features["level"].log1p()).to_numpy()


def forecast_units(model: LinearModel, features: pl.DataFrame) -> np.ndarray:
    return np.maximum(np.expm1(model.predict(demand_design(features)) + np.log1p(features["level"].to_numpy())), 0.0)


def wape(forecasts: np.ndarray, actuals: np.ndarray) -> float:
    """Weighted absolute percentage error: total absolute error over total actual (NaN without actuals)."""
    total = float(np.sum(actuals))
    return float(np.sum(np.abs(forecasts - actuals)) / total) if total > 0 else float("nan")


class DemandWorld:
    """The grocer's reality: stores, products, weather and its forecasts, promotions, wandering series levels, and
    what shoppers buy. Everything is drawn up front, per world day."""

    def __init__(self, first_day: date, days: int, seed: int, fault: FaultPlan) -> None:
        self.seed, self.fault = seed, fault
        self.origin = first_day - timedelta(days=DEMAND_HISTORY_DAYS)
        span = DEMAND_HISTORY_DAYS + days + 1
        self.dates = [self.origin + timedelta(days=t) for t in range(span)]
        rng = random_stream(seed, "demand", "world")
        self.stores = [f"S{number:03d}" for number in range(101, 101 + STORES)]
        self.size = rng.uniform(0.6, 1.6, STORES)
        self.skus = [f"SKU-{number}" for number in rng.choice(np.arange(10_000, 99_999), len(SKU_CATEGORIES),
                                                              replace=False)]
        self.base = rng.lognormal(np.log(18.0), 0.6, len(self.skus))
        self.price = np.round(rng.lognormal(np.log(4.0), 0.5, len(self.skus)), 2)
        self.temperature, self.forecast, self.rain, self.rain_forecast = self._weather(rng, span)
        self.discount = self._promotions(rng, span)
        self.level = np.exp(np.cumsum(rng.normal(0.0, 0.012, (STORES, len(self.skus), span)), axis=2))
        self.units = self._demand(span)

    def index(self, day: date) -> int:
        return (day - self.origin).days

    def _weather(self, rng: np.random.Generator, span: int) -> tuple[np.ndarray, ...]:
        """Daily temperature per store (season, climate, weather systems shared by the region), rain, and the
        forecasts issued the day before."""
        season = np.array([12.0 + 12.0 * np.sin(2 * np.pi * (d.timetuple().tm_yday - 110) / 365) for d in self.dates])
        systems = np.zeros(span)
        for t in range(1, span):
            systems[t] = 0.75 * systems[t - 1] + rng.normal(0.0, 2.2)
        climate = rng.normal(0.0, 2.0, STORES)
        temperature = season + systems + climate[:, None] + rng.normal(0.0, 1.0, (STORES, span))
        rain = np.where(rng.random((STORES, span)) < 0.3, rng.gamma(2.0, 4.0, (STORES, span)), 0.0)
        forecast = temperature + rng.normal(0.0, 1.5, (STORES, span))
        rain_forecast = np.where(rng.random((STORES, span)) < 0.8, rain * rng.lognormal(0.0, 0.3, (STORES, span)), 0.0)
        return temperature, np.round(forecast, 1), np.round(rain, 1), np.round(rain_forecast, 1)

    def _promotions(self, rng: np.random.Generator, span: int) -> np.ndarray:
        """Percent off per store, product and day: weekly flyer promotions everywhere, and stores' own price cuts."""
        weeks = span // 7 + 1
        shares = np.array([0.15, 0.2, 0.3, 0.15, 0.15, 0.05])
        national = np.where(rng.random((len(self.skus), weeks)) < NATIONAL_PROMO_SHARE,
                            rng.choice(DISCOUNTS, (len(self.skus), weeks), p=shares), 0)
        joins = rng.random((STORES, len(self.skus), weeks)) < 0.95
        local = np.where(rng.random((STORES, len(self.skus), weeks)) < STORE_PROMO_SHARE,
                         rng.choice(DISCOUNTS, (STORES, len(self.skus), weeks), p=shares), 0)
        weekly = np.maximum(national[None] * joins, local)
        return np.repeat(weekly, 7, axis=2)[:, :, :span].astype(float)

    def _demand(self, span: int) -> np.ndarray:
        """Units sold per store, product and day."""
        effects = np.array([CATEGORIES[c] for c in SKU_CATEGORIES])
        temperature_effect, lift, holiday_lift, break_lift = (effects[:, i][None, :, None] for i in range(4))
        weekday = np.array([WEEKDAY_DEMAND[d.weekday()] for d in self.dates])
        holiday = np.array([d in HOLIDAYS for d in self.dates], dtype=float)
        before = np.array([any(d + timedelta(days=k) in HOLIDAYS for k in (1, 2)) for d in self.dates], dtype=float)
        school = np.array([on_school_break(d) for d in self.dates], dtype=float)
        response = np.array([PROMO_LIFT_SHIFTED if self.fault.active("concept_shift", d) else 1.0 for d in self.dates])
        rate = (self.base[None, :, None] * self.size[:, None, None] * self.level * weekday
                * np.exp(temperature_effect * (self.temperature[:, None, :] - REFERENCE_TEMPERATURE))
                * (1 + lift * response * self.discount / 100)
                * (1 + holiday_lift * (holiday + 0.5 * before)) * (1 + break_lift * school)
                * np.exp(-0.02 * self.rain[:, None, :]))
        rng = random_stream(self.seed, "demand", "sales")
        return rng.poisson(rate * rng.gamma(25.0, 0.04, rate.shape))

    def calendar(self) -> pl.DataFrame:
        """The stores' calendar for the months simulated and a season beyond: holidays, the days before them,
        school breaks, opening hours."""
        dates = [self.origin + timedelta(days=d) for d in range(len(self.dates) + 90)]
        return pl.DataFrame({
            "date": [d for d in dates for _ in self.stores], "store_id": self.stores * len(dates),
            "is_holiday": [d in HOLIDAYS for d in dates for _ in self.stores],
            "holiday_name": [HOLIDAYS.get(d) for d in dates for _ in self.stores],
            "pre_holiday": [any(d + timedelta(days=k) in HOLIDAYS for k in (1, 2)) for d in dates for _ in self.stores],
            "school_break": [on_school_break(d) for d in dates for _ in self.stores],
            "opening_hours": ["08:00-20:00" if d.weekday() == 6 else "07:00-22:00"
                              for d in dates for _ in self.stores]})

    def catalog(self) -> pl.DataFrame:
        rng = random_stream(self.seed, "demand", "catalog")
        return pl.DataFrame({"sku": self.skus, "category": list(SKU_CATEGORIES),
                             "brand": rng.choice(["Acme", "Northfield", "Sunvale", "House brand"], len(self.skus)),
                             "pack_size": rng.choice(["1 unit", "4 pack", "6 pack", "500 g", "1 kg"], len(self.skus)),
                             "regular_price": self.price})

    def pos_lines(self, day: date) -> pl.DataFrame:
        """Yesterday's receipt lines from every till: a line is one product on a receipt, most often one unit."""
        t = self.index(day) - 1
        rng = random_stream(self.seed, "demand", "receipts", t)
        units = self.units[:, :, t].ravel()
        sold = np.repeat(np.arange(units.size), units)
        starts = (rng.random(sold.size) < 0.7) | np.r_[True, sold[1:] != sold[:-1]]
        line = np.cumsum(starts) - 1
        series = sold[starts]
        store, sku = np.divmod(series, len(self.skus))
        receipt = store * 100_000 + rng.integers(0, max(len(series) // (3 * STORES), 1), len(series))
        receipts, which = np.unique(receipt, return_inverse=True)
        receipt_ids = np.array(uuids(rng, len(receipts)))
        loyalty = np.where(rng.random(len(receipts)) < 0.55, rng.integers(10**6, 10**7, len(receipts)), 0)
        discount = self.discount[:, :, t].ravel()[series]
        opening = np.datetime64(day - timedelta(days=1), "us") + np.timedelta64(7, "h")
        seconds = rng.integers(0, 15 * 3600, len(receipts))
        lines = pl.DataFrame({
            "receipt_id": receipt_ids[which], "store_id": np.array(self.stores)[store],
            "sku": np.array(self.skus)[sku], "quantity": np.bincount(line),
            "unit_price": np.round(self.price[sku] * (1 - discount / 100), 2),
            "loyalty_id": [f"L{number:07d}" if number else None for number in loyalty[which]],
            "sold_at": opening + (seconds[which] * 1_000_000).astype("timedelta64[us]")})
        return with_nulls(lines, rng, {"unit_price": 0.003}).sort("sold_at")

    def weather_feed(self, day: date) -> pl.DataFrame:
        """Per store: yesterday's observations and the forecast for today, as the weather vendor sends them."""
        t = self.index(day)
        rng = random_stream(self.seed, "demand", "weather feed", t)
        forecast = np.where(rng.random(STORES) < 0.005, WEATHER_SENTINEL, self.forecast[:, t])
        feed = pl.DataFrame({
            "station_id": [f"WX{number:05d}" for number in range(30_100, 30_100 + STORES)], "store_id": self.stores,
            "observed_on": day - timedelta(days=1), "temp_c": np.round(self.temperature[:, t - 1], 1),
            "precip_mm": self.rain[:, t - 1], "forecast_for": day, "temp_forecast_c": forecast,
            "precip_forecast_mm": self.rain_forecast[:, t],
            "issued_at": datetime.combine(day - timedelta(days=1), time(18))})
        return with_nulls(feed, rng, {"temp_forecast_c": 0.01, "temp_c": 0.01})

    def promotions(self, day: date) -> pl.DataFrame:
        """The promotions running today, from marketing's promotion system."""
        t = self.index(day)
        rng = random_stream(self.seed, "demand", "promotions", t)
        store, sku = np.nonzero(self.discount[:, :, t])
        week_start = day - timedelta(days=day.weekday())
        promos = pl.DataFrame({
            "promo_id": [f"PR-{week_start:%y%W}-{s:02d}{k:02d}" for s, k in zip(store, sku)],
            "store_id": np.array(self.stores)[store], "sku": np.array(self.skus)[sku],
            "discount_pct": self.discount[store, sku, t],
            "promo_type": rng.choice(["flyer", "price cut", "loyalty"], len(store), p=[0.6, 0.3, 0.1]),
            "starts_on": week_start, "ends_on": week_start + timedelta(days=6)},
            schema_overrides={"discount_pct": pl.Float64})
        shares = {"discount_pct": NULL_SPIKE_SHARE if self.fault.active("null_spike", day) else 0.01}
        return with_nulls(promos, random_stream(self.seed, "demand", "promotion gaps", t), shares)

    def actuals_later(self, day: date, forecasts: dict[str, tuple[str, str]], pending: PendingLabels) -> None:
        """Reconciled sales (of the store and product each forecast id names) come back a day or so after the day,
        some stores' days later, a few never."""
        t = self.index(day)
        rng = random_stream(self.seed, "demand", "actuals", t)
        late = dict(zip(self.stores, np.where(rng.random(STORES) < 0.12, rng.uniform(2.0, 4.0, STORES), 0.0)))
        lost = dict(zip(self.stores, rng.random(STORES) < 0.03))
        store_index = {store: i for i, store in enumerate(self.stores)}
        sku_index = {sku: k for k, sku in enumerate(self.skus)}
        for pointer, (store, sku) in forecasts.items():
            if not lost[store] and rng.random() >= 0.01:
                delay = 1.25 + late[store] + rng.exponential(0.25)
                pending.push(at(day, 0) + timedelta(days=delay), pointer,
                             float(self.units[store_index[store], sku_index[sku], t]))


# -- the demand pipeline's steps -------------------------------------------------------------------------------------
def load_store_calendar(source: str, world: DemandWorld, lake: Lake) -> pl.DataFrame:
    calendar = world.calendar()
    path = lake.write(CALENDAR_PATH, calendar)
    return calendar


def load_product_catalog(source: str, world: DemandWorld, lake: Lake) -> pl.DataFrame:
    catalog = world.catalog()
    path = lake.write(CATALOG_PATH, catalog)
    return catalog


def ingest_pos_sales(day: date, source: str, world: DemandWorld, lake: Lake) -> pl.DataFrame:
    lines = world.pos_lines(day)
    stores_reporting = lines["store_id"].n_unique()
    path = lake.write(f"raw/pos_sales/{day}.parquet", lines)
    return lines


def ingest_weather(day: date, source: str, world: DemandWorld, lake: Lake) -> pl.DataFrame:
    weather = world.weather_feed(day)
    path = lake.write(f"raw/weather/{day}.parquet", weather)
    return weather


def ingest_promotions(day: date, source: str, world: DemandWorld, lake: Lake) -> pl.DataFrame:
    promotions = world.promotions(day)
    path = lake.write(f"raw/promotions/{day}.parquet", promotions)
    return promotions


def build_daily_panel(day: date, inputs: list[str], lake: Lake) -> pl.DataFrame:
    """Yesterday per store and product: units sold and revenue from the tills, with what was known in advance."""
    lines, weather, promotions, calendar, catalog = (lake.read(path) for path in inputs)
    sales_date = day - timedelta(days=1)
    sold = lines.group_by(SERIES).agg(units=pl.col("quantity").sum(),
                                      revenue=(pl.col("quantity") * pl.col("unit_price")).sum(),
                                      receipts=pl.col("receipt_id").n_unique())
    keys = (calendar.filter(pl.col("date") == sales_date).select("store_id")
            .join(catalog.select("sku", "category"), how="cross").with_columns(sales_date=pl.lit(sales_date)))
    panel = (day_attributes(keys, promotions, weather, calendar).join(sold, on=SERIES, how="left")
             .with_columns(pl.col("units", "receipts").fill_null(0), pl.col("revenue").fill_null(0.0)))
    promoted_share = float((panel["discount_pct"] > 0).mean())
    path = lake.write(f"panel/{sales_date}.parquet", panel)
    return panel


def fit_scaler(day: date, panel_paths: list[str], lake: Lake) -> dict:
    """Fill value and clip bounds for the weather forecast, and each series' level over the last four weeks."""
    panels = lake.frames(panel_paths)
    forecasts = panels["temp_forecast_c"].filter(panels["temp_forecast_c"] > WEATHER_SENTINEL)
    recent = panels.filter(pl.col("sales_date") >= day - timedelta(days=LEVEL_DAYS))
    levels = recent.group_by(SERIES).agg(pl.col("units").mean()).with_columns(
        series=pl.concat_str("store_id", "sku", separator="|"))
    params = {"temp_fill": float(forecasts.median()),
              "temp_clip": (float(forecasts.quantile(0.01)), float(forecasts.quantile(0.99))),
              "precip_max": float(panels["precip_forecast_mm"].quantile(0.99)),
              "levels": dict(zip(levels["series"].to_list(), levels["units"].to_list()))}
    path = lake.write(SCALER_PATH, params)
    return params


def build_demand_features(day: date, inputs: list[str], lake: Lake) -> pl.DataFrame:
    """Training rows for yesterday: what was known the day before, and the units then sold."""
    *panel_paths, scaler_path = inputs
    panels = lake.frames(panel_paths)
    sales_date = day - timedelta(days=1)
    target = panels.filter(pl.col("sales_date") == sales_date).select(
        *SERIES, "category", "sales_date", "units", "discount_pct", "temp_forecast_c", "precip_forecast_mm",
        "is_holiday", "pre_holiday", "school_break")
    features = finish_demand_features(target, lag_features(panels, sales_date), lake.read(scaler_path))
    path = lake.write(f"features/offline/{sales_date}.parquet", features)
    return features


def train_forecaster(day: date, feature_paths: list[str], lake: Lake) -> LinearModel:
    """Ridge regression of log units relative to each series' level; the last week is held out first."""
    features = lake.frames(feature_paths)
    recent = features["sales_date"] >= day - timedelta(days=7)
    older, newer = features.filter(~recent), features.filter(recent)
    trial = fit_linear(demand_design(older), demand_target(older), logistic=False, l2=1.0)
    model = fit_linear(demand_design(features), demand_target(features), logistic=False, l2=1.0)
    report = {"rows": features.height, "wape": wape(forecast_units(trial, newer), newer["units"].to_numpy())}
    model_path = lake.write(FORECASTER_PATH, model)
    return model


def serving_weather(weather: pl.DataFrame, fahrenheit: bool) -> pl.DataFrame:
    """The endpoint's weather client; from the skew date its new version hands temperatures over in Fahrenheit."""
    if not fahrenheit:
        return weather
    return weather.with_columns(pl.col("temp_forecast_c") * 9 / 5 + 32)


def score_demand(day: date, inputs: list[str], lake: Lake, fahrenheit: bool, monitor: LabelJoin,
                 moment: datetime) -> dict[str, tuple[str, str]]:
    """Forecasts today's units per store and product with the serving feature code, for the replenishment order;
    returns the (store, product) of each forecast id."""
    *panel_paths, weather_path, promotions_path, calendar_path, catalog_path, scaler_path, model_path = inputs
    calendar, catalog, model = lake.read(calendar_path), lake.read(catalog_path), lake.read(model_path)
    keys = (calendar.filter(pl.col("date") == day).select("store_id")
            .join(catalog.select("sku", "category"), how="cross").with_columns(sales_date=pl.lit(day)))
    known = day_attributes(keys, lake.read(promotions_path), serving_weather(lake.read(weather_path), fahrenheit),
                           calendar)
    features = finish_demand_features(known, lag_features(lake.frames(panel_paths), day), lake.read(scaler_path))
    forecasts = forecast_units(model, features)
    ids = [f"fcst-{day}-{store}-{sku}" for store, sku in zip(features["store_id"], features["sku"])]
    monitor.predicted(ids, forecasts, moment, segment=features["discount_pct"].to_numpy() > 0)
    return dict(zip(ids, zip(features["store_id"], features["sku"])))


class DemandScorer(obsql.Component):
    """The forecast's business metrics: WAPE and bias of the last week's forecasts whose actuals came back, and the
    WAPE of each day's newly reported actuals, overall and of promoted products (retail teams watch promotion
    forecasts apart: their errors are larger and a change in them is diluted in the total)."""

    def after_run(self, forecasts: np.ndarray, monitor: LabelJoin, moment: datetime, **_: Any) -> dict:
        metrics = {"predictions": len(forecasts), "mean_forecast": float(np.mean(forecasts))}
        past, actuals = monitor.recent(moment)
        metrics["labelled"] = len(actuals)
        if actuals.sum() > 0:
            metrics["recent_wape"] = wape(past, actuals)
            metrics["recent_bias"] = float((past.sum() - actuals.sum()) / actuals.sum())
        arrived, reported, promoted = monitor.arrived()
        if reported.sum() > 0:
            metrics["arrived_wape"] = wape(arrived, reported)
        if reported[promoted].sum() > 0:
            metrics["arrived_promo_wape"] = wape(arrived[promoted], reported[promoted])
        return metrics


class DemandPipeline:
    """The grocer's daily batch; components made anew per store, as FraudPipeline's."""

    scoring = "score_demand"
    components = ("load_store_calendar", "load_product_catalog", "ingest_pos_sales", "ingest_weather",
                  "ingest_promotions", "build_daily_panel", "fit_scaler", "build_features", "train_forecaster",
                  "score_demand")

    def __init__(self, store: obsql.Store, days: int, seed: int, fault: FaultPlan) -> None:
        self.store, self.fault = store, fault
        self.world = DemandWorld(DEMAND_FIRST_DAY, days, seed, fault)
        self.lake = Lake()
        self.monitor = LabelJoin()
        self.pending = PendingLabels()
        owner, tags = "retail-data", ("demand",)
        fetch = dict(input_vars=("source",))
        self.load_store_calendar = obsql.Component(
            "load_store_calendar", description="loads the stores' calendar for the year", owner=owner, tags=tags,
            static=True).run(**fetch, output_vars=("calendar", "path"))(load_store_calendar)
        self.load_product_catalog = obsql.Component(
            "load_product_catalog", description="loads the product catalog", owner=owner, tags=tags,
            static=True).run(**fetch, output_vars=("catalog", "path"))(load_product_catalog)
        self.ingest_pos_sales = KeyedIngest(
            "ingest_pos_sales", "loads yesterday's receipt lines from the tills", "lines",
            ("receipt_id", "store_id", "sku"), 0.0, measures=("stores_reporting",), owner=owner,
            tags=tags).run(**fetch, output_vars=("lines", "path"))(ingest_pos_sales)
        self.ingest_weather = Ingest(
            "ingest_weather", "loads observations and next-day forecasts per store", "weather", owner=owner,
            tags=tags).run(**fetch, output_vars=("weather", "path"))(ingest_weather)
        self.ingest_promotions = Ingest(
            "ingest_promotions", "loads the promotions running today", "promotions", owner=owner,
            tags=tags).run(**fetch, output_vars=("promotions", "path"))(ingest_promotions)
        self.build_daily_panel = Ingest(
            "build_daily_panel", "builds yesterday's sales per store and product", "panel",
            measures=("promoted_share",), owner=owner, tags=tags).run(
            input_vars=("inputs",), output_vars=("panel", "path"))(build_daily_panel)
        ml = "forecasting"
        self.fit_scaler = obsql.Component(
            "fit_scaler", description="refits weather fill and clip values and series levels", owner=ml, tags=tags,
            staleness_days=WINDOW_STALENESS_DAYS).run(
            input_vars=("panel_paths",), output_vars=("path",))(fit_scaler)
        self.build_features = obsql.Component(
            "build_features", description="builds yesterday's offline training features", owner=ml,
            tags=tags).run(input_vars=("inputs",), output_vars=("features", "path"))(build_demand_features)
        self.train_forecaster = GatedTrainer(
            "train_forecaster", "refits the demand forecaster on 56 days", "wape", "<=", MAX_HOLDOUT_WAPE,
            owner=ml, tags=tags, staleness_days=WINDOW_STALENESS_DAYS).run(
            input_vars=("feature_paths",), output_vars=("model_path",))(train_forecaster)
        self.score_demand = DemandScorer(
            "score_demand", description="forecasts today's units per store and product", owner=ml, tags=tags,
            slas={"recent_wape": WAPE_SLA},
            detectors={"arrived_wape": ARRIVED_DETECTOR, "arrived_promo_wape": ARRIVED_DETECTOR},
            staleness_days=SERVING_STALENESS_DAYS).run(
            input_vars=("inputs",), output_vars=("features",), output_values={"ids": "forecasts"})(score_demand)

    def backfill(self) -> None:
        """The lake as it was when obsql was added: two months of feeds and panels, features built by the scaler then
        in use."""
        first = DEMAND_FIRST_DAY - timedelta(days=DEMAND_HISTORY_DAYS)
        history = [first + timedelta(days=d) for d in range(1, DEMAND_HISTORY_DAYS)]
        load_store_calendar(CALENDAR_PATH, self.world, self.lake)
        load_product_catalog(CATALOG_PATH, self.world, self.lake)
        ingest_weather(first, "", self.world, self.lake)
        ingest_promotions(first, "", self.world, self.lake)
        for day in history:
            self.ingest(day)
            build_daily_panel(day, self.panel_inputs(day), self.lake)
        fit_scaler(history[-1], self.panel_window(history[-1], DEMAND_WINDOW_DAYS), self.lake)
        for day in history[7:]:
            build_demand_features(day, self.feature_inputs(day), self.lake)

    def ingest(self, day: date) -> None:
        ingest_pos_sales(day, "", self.world, self.lake)
        ingest_weather(day, "", self.world, self.lake)
        ingest_promotions(day, "", self.world, self.lake)

    def panel_inputs(self, day: date) -> list[str]:
        yesterday = day - timedelta(days=1)
        return [f"raw/pos_sales/{day}.parquet", f"raw/weather/{yesterday}.parquet",
                f"raw/promotions/{yesterday}.parquet", CALENDAR_PATH, CATALOG_PATH]

    def panel_window(self, day: date, days: int) -> list[str]:
        return [f"panel/{day - timedelta(days=d)}.parquet" for d in range(days, 0, -1)]

    def feature_inputs(self, day: date) -> list[str]:
        return self.panel_window(day, 8) + [SCALER_PATH]

    def day(self, day: date, first: bool) -> None:
        lake, world = self.lake, self.world
        if first:
            with obsql.clock(at(day, 0)):
                self.load_store_calendar("s3://grocer-ref/calendar/2024.csv", world, lake)
            with obsql.clock(at(day, 0, 5)):
                self.load_product_catalog("postgres://pim.internal/catalog?as_of=2023-12-31", world, lake)
        with obsql.clock(at(day, 2)):
            self.ingest_pos_sales(day, f"s3://grocer-pos/exports/{day:%Y/%m/%d}/", world, lake)
        with obsql.clock(at(day, 2, 5)):
            self.ingest_weather(day, f"https://api.weathervendor.example/v3/daily?date={day}", world, lake)
        with obsql.clock(at(day, 2, 10)):
            self.ingest_promotions(day, f"postgres://promo.internal/running?date={day}", world, lake)
        with obsql.clock(at(day, 2, 30)):
            self.build_daily_panel(day, self.panel_inputs(day), lake)
        retrain = first or day.weekday() == 0
        if retrain and not self.fault.active("stale_refit", day):
            with obsql.clock(at(day, 3)):
                self.fit_scaler(day, self.panel_window(day, DEMAND_WINDOW_DAYS), lake)
        with obsql.clock(at(day, 3, 15)):
            self.build_features(day, self.feature_inputs(day), lake)
        if retrain:
            with obsql.clock(at(day, 3, 30)):
                self.train_forecaster(day, [f"features/offline/{day - timedelta(days=d)}.parquet"
                                            for d in range(DEMAND_WINDOW_DAYS, 0, -1)], lake)
        self.feed_back(at(day, 4))
        inputs = self.panel_window(day, 7) + [f"raw/weather/{day}.parquet", f"raw/promotions/{day}.parquet",
                                              CALENDAR_PATH, CATALOG_PATH, SCALER_PATH, FORECASTER_PATH]
        with obsql.clock(at(day, 4)):
            forecasts = self.score_demand(day, inputs, lake, self.fault.active("skew", day), self.monitor,
                                          at(day, 4))
        world.actuals_later(day, forecasts, self.pending)

    def feed_back(self, moment: datetime) -> None:
        """The reconciled actuals that came back since yesterday go to obsql."""
        arrived = self.pending.arrived(moment)
        if arrived:
            self.store.log_feedback([a[1] for a in arrived], [a[2] for a in arrived], ts=[a[0] for a in arrived])
            self.monitor.labelled([a[1] for a in arrived], [a[2] for a in arrived])
