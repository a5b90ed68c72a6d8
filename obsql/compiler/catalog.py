"""What the compiler may ask of the store: which components and metrics exist, to name an unknown one with a
suggestion ("no component 'infrence'; did you mean 'inference'?") before any SQL runs."""
from __future__ import annotations

from typing import Protocol

from obsql.errors import UnknownName, did_you_mean, position
from obsql.grammar import ast
from obsql.monitor.correctness import Correctness

# Metrics every component has without logging them: computed from runs, io and feedback.
DERIVED_METRICS = ("duration_s", "accuracy", "labeled", "outputs")


class Catalog(Protocol):
    def components(self) -> list[str]: ...

    def metrics(self, component: str) -> list[str]: ...

    def logged(self, component: str, metric: str) -> bool: ...  # one metric: cheaper than the list on big stores

    def slas(self, component: str) -> dict[str, float]: ...  # metric -> bound, for charts

    def columns(self, component: str) -> list[str]: ...  # the dataframe columns its runs summarised

    def correctness(self, component: str) -> Correctness: ...  # when its predictions count as right


def require_component(catalog: Catalog, name: str, node: ast.Node) -> str:
    """`name` if the store has that component, else an error pointing at the name (or `node`) with the nearest."""
    known = catalog.components()
    if name in known:
        return str(name)
    suggestion = did_you_mean(name, known) if known else "the store has no runs yet: log some, or run `obsql demo`"
    where = name if getattr(name, "line", 0) else node
    raise UnknownName(f"no component '{name}' in this store", suggestion, **position(where))


def require_metric(catalog: Catalog, component: str, name: str, node: ast.Node) -> str:
    if name in DERIVED_METRICS or catalog.logged(component, name):
        return name
    known = [*catalog.metrics(component), *DERIVED_METRICS]
    raise UnknownName(f"no metric '{name}' for component '{component}'", did_you_mean(name, known), **position(node))


def require_columns(catalog: Catalog, components: list[str], names: list[ast.Column]) -> None:
    """An error pointing at the first of `names` that no run of `components` summarised, with the nearest."""
    known = sorted({column for component in dict.fromkeys(components) for column in catalog.columns(component)})
    for name in names:
        if name.name not in known:
            whose = " or ".join(dict.fromkeys(components))
            raise UnknownName(f"no column '{name.name}' in the logged dataframes of {whose}",
                              did_you_mean(name.name, known), **position(name))
