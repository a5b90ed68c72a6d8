"""Events through openlineage-python's models: each dict is built into the generated attrs classes (a missing
required field, an unknown field of a standard facet or a bad runId or eventTime raises) and serialised back, so an
event equal to its round trip has exactly the spec's shape."""
from __future__ import annotations

from typing import Any

from openlineage.client import event_v2, facet_v2
from openlineage.client.serde import Serde

# each standard facet obsql writes or reads, by its key, with the classes of its nested objects
FACETS = {
    "schema": (facet_v2.schema_dataset.SchemaDatasetFacet,
               {"fields": facet_v2.schema_dataset.SchemaDatasetFacetFields}),
    "dataQualityMetrics": (facet_v2.data_quality_metrics_dataset.DataQualityMetricsDatasetFacet,
                           {"columnMetrics": facet_v2.data_quality_metrics_dataset.ColumnMetrics}),
    "outputStatistics": (facet_v2.output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet, {}),
    "errorMessage": (facet_v2.error_message_run.ErrorMessageRunFacet, {}),
    "sourceCode": (facet_v2.source_code_job.SourceCodeJobFacet, {}),
    "sourceCodeLocation": (facet_v2.source_code_location_job.SourceCodeLocationJobFacet, {}),
    "documentation": (facet_v2.documentation_job.DocumentationJobFacet, {}),
    "ownership": (facet_v2.ownership_job.OwnershipJobFacet, {"owners": facet_v2.ownership_job.Owner}),
    "nominalTime": (facet_v2.nominal_time_run.NominalTimeRunFacet, {}),
}


def _facet(name: str, fields: dict[str, Any], base: type) -> Any:
    """A standard facet as its model; a custom one (obsql's) as the base facet with its fields added."""
    if name not in FACETS:
        assert set(fields) >= {"_producer", "_schemaURL"}, f"the custom facet {name} lacks _producer or _schemaURL"
        extra = {k: v for k, v in fields.items() if not k.startswith("_")}
        model = base(producer=fields["_producer"]).with_additional_properties(**extra)
        model._schemaURL = fields["_schemaURL"]  # a custom facet names its own schema
        return model
    kind, nested = FACETS[name]
    values = {k: v for k, v in fields.items() if not k.startswith("_")}
    for key, inner in nested.items():
        if isinstance(values.get(key), list):
            values[key] = [inner(**item) for item in values[key]]
        elif isinstance(values.get(key), dict):
            values[key] = {k: inner(**item) for k, item in values[key].items()}
    model = kind(producer=fields["_producer"], **values)
    assert fields["_schemaURL"] == model._schemaURL, f"{name}: {fields['_schemaURL']} != {model._schemaURL}"
    return model


def _facets(facets: dict | None, base: type) -> dict:
    return {name: _facet(name, fields, base) for name, fields in (facets or {}).items()}


def _dataset(kind: type, item: dict, own: str) -> Any:
    extra = {own: _facets(item[own], facet_v2.BaseFacet)} if own in item else {}
    return kind(item["namespace"], item["name"], facets=_facets(item.get("facets"), facet_v2.DatasetFacet), **extra)


def as_model(event: dict[str, Any]) -> event_v2.RunEvent:
    """The event as openlineage-python's RunEvent, with every facet as its model."""
    assert set(event) <= {"eventType", "eventTime", "run", "job", "inputs", "outputs", "producer", "schemaURL"}
    return event_v2.RunEvent(
        eventType=event_v2.RunState(event["eventType"]), eventTime=event["eventTime"], producer=event["producer"],
        run=event_v2.Run(event["run"]["runId"], facets=_facets(event["run"].get("facets"), facet_v2.RunFacet)),
        job=event_v2.Job(event["job"]["namespace"], event["job"]["name"],
                         facets=_facets(event["job"].get("facets"), facet_v2.JobFacet)),
        inputs=[_dataset(event_v2.InputDataset, item, "inputFacets") for item in event.get("inputs", [])],
        outputs=[_dataset(event_v2.OutputDataset, item, "outputFacets") for item in event.get("outputs", [])])


def as_model_dict(event: dict[str, Any]) -> dict[str, Any]:
    """The event built into the models and serialised as openlineage-python sends it, less the empty lists and
    objects the models write for optional fields the event left out (the spec lets them be absent)."""
    model = as_model(event)
    assert model.schemaURL == event["schemaURL"]
    return _without_defaults(Serde.to_dict(model), event)


def _without_defaults(serialised: Any, given: Any) -> Any:
    if isinstance(serialised, dict) and isinstance(given, dict):
        return {key: _without_defaults(value, given.get(key)) for key, value in serialised.items()
                if key in given or value not in ([], {})}
    if isinstance(serialised, list) and isinstance(given, list) and len(serialised) == len(given):
        return [_without_defaults(value, item) for value, item in zip(serialised, given)]
    return serialised
