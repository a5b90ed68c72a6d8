"""mltrace 0.17's client API, backed by obsql: `import obsql.mltrace as mltrace` and a pipeline written for mltrace
logs into an obsql store unchanged (decorators, Component and Test classes, save/load, flags, review, traces).

docs/from-mltrace.md lists each call with its obsql and OQL equivalent, and what differs.
"""
from obsql.mltrace.client import (
    NotFound,
    add_notes_to_component_run,
    backtrace,
    create_component,
    create_random_ids,
    flag_output_id,
    get_all_tags,
    get_component_information,
    get_component_run_information,
    get_components,
    get_db_uri,
    get_history,
    get_io_pointer,
    get_recent_run_ids,
    load,
    log_component_run,
    register,
    review_flagged_outputs,
    save,
    set_db_uri,
    tag_component,
    unflag_all,
    unflag_output_id,
    web_trace,
)
from obsql.mltrace.entities import Component, ComponentRun, IOPointer, Test

__all__ = [
    "Component", "ComponentRun", "IOPointer", "NotFound", "Test", "add_notes_to_component_run", "backtrace",
    "create_component", "create_random_ids", "flag_output_id", "get_all_tags", "get_component_information",
    "get_component_run_information", "get_components", "get_db_uri", "get_history", "get_io_pointer",
    "get_recent_run_ids", "load", "log_component_run", "register", "review_flagged_outputs", "save", "set_db_uri",
    "tag_component", "unflag_all", "unflag_output_id", "web_trace",
]
