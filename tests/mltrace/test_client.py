"""mltrace 0.17's client scenarios (tests/test_client.py, tests/data_model/*) and the calls its users lean on,
through `obsql.mltrace`."""
from __future__ import annotations

import copy
import json

import pytest

import obsql.mltrace as mltrace
from obsql.mltrace import Component, ComponentRun, IOPointer, Test


def latest_run() -> ComponentRun:
    return mltrace.get_component_run_information(mltrace.get_recent_run_ids(1)[0])


def names(pointers) -> list[str]:
    return [p.name for p in pointers]


# -- logging ComponentRuns ------------------------------------------------------------------------------------------


def test_a_run_without_start_and_end_is_refused():
    mltrace.create_component("test_component", "test_description", "shreya")
    with pytest.raises(RuntimeError):
        mltrace.log_component_run(ComponentRun("test_component"))
    assert mltrace.get_recent_run_ids() == []


def test_duplicate_inputs_and_outputs_are_kept_once():
    run = ComponentRun(component_name="test_component")
    run.set_start_timestamp()
    run.code_snapshot = b"def main(): return"
    run.add_inputs(["duplicate_input", "duplicate_input"])
    run.add_outputs(["duplicate_output", "duplicate_output"])
    run.set_end_timestamp()
    mltrace.log_component_run(run)
    logged = latest_run()
    assert names(logged.inputs) == ["duplicate_input"] and names(logged.outputs) == ["duplicate_output"]
    assert logged.code_snapshot == "def main(): return"


def test_explicit_upstream_depends_on_the_components_latest_run():
    first = ComponentRun("extract")
    first.set_start_timestamp()
    first.set_end_timestamp()
    first.add_output("raw")
    mltrace.log_component_run(first)
    second = ComponentRun("report")
    second.set_start_timestamp()
    second.set_end_timestamp()
    second.add_output("report.pdf")
    second.set_upstream("extract")
    mltrace.log_component_run(second, set_dependencies_from_inputs=False)
    assert [run.component_name for _, run in mltrace.backtrace("report.pdf")] == ["report", "extract"]


# -- register --------------------------------------------------------------------------------------------------------


def test_register_reads_input_and_output_variables_at_return():
    mltrace.create_component("test_component", "test_description", "shreya")

    @mltrace.register(component_name="test_component", input_vars=["foo"], output_vars=["bar"])
    def test_func():
        foo = "foo"
        bar = "bar"
        return

    test_func()
    logged = latest_run()
    assert (names(logged.inputs), names(logged.outputs)) == (["foo"], ["bar"])
    assert mltrace.get_component_information("test_component").owner == "shreya"  # the run did not blank it


def test_register_a_function_without_return():
    @mltrace.register(component_name="test_component", input_vars=["foo"], output_vars=["bar"])
    def test_func():
        x = 0
        foo = x + 1
        bar = x + 2  # noqa: F841

    test_func()
    assert (names(latest_run().inputs), names(latest_run().outputs)) == (["1"], ["2"])


def test_register_with_a_name_that_is_no_variable_raises_when_called():
    @mltrace.register(component_name="test_component", input_vars=["foory"], output_vars=["bar"])
    def test_func():
        foo = 1  # noqa: F841
        bar = 2  # noqa: F841

    @mltrace.register(component_name="test_component", input_vars=["foo"], output_vars=["barry"])
    def test_func2():
        foo = 1  # noqa: F841
        bar = 2  # noqa: F841

    with pytest.raises(ValueError, match="foory"):
        test_func()
    with pytest.raises(ValueError, match="barry"):
        test_func2()


def test_register_with_lists_of_variables_logs_each_name():
    @mltrace.register("split", input_vars=["sources"], output_vars=["parts"])
    def split(sources):
        parts = [f"{s}.part" for s in sources]
        return parts

    split(["a.csv", "b.csv"])
    assert (names(latest_run().inputs), names(latest_run().outputs)) == (["a.csv", "b.csv"],
                                                                         ["a.csv.part", "b.csv.part"])


def test_register_kwargs_pair_names_with_values():
    @mltrace.register(component_name="test_component", input_kwargs={"inp_key": "inp_val"},
                      output_kwargs={"out_key": "out_val"})
    def some_func(inp_key, inp_val):
        out_key = "another_filename.pkl"
        out_val = [1, 2, 3, 4, 5]  # noqa: F841

    some_func(inp_key="some_filename.pkl", inp_val=[1, 2, 3, 4, 5])
    assert (names(latest_run().inputs), names(latest_run().outputs)) == (["some_filename.pkl"],
                                                                         ["another_filename.pkl"])


def test_register_kwargs_lists_pair_one_to_one(store):
    @mltrace.register(component_name="test_component", input_kwargs={"inp_key": "inp_val"},
                      output_kwargs={"out_key": "out_val"})
    def some_func(inp_key, inp_val):
        out_key = ["another_filename1.pkl", "another_filename2.pkl"]
        out_val = [1, 2]  # noqa: F841

    some_func(inp_key=["some_filename1.pkl", "some_filename2.pkl"], inp_val=[11, 22])
    values = store.sql("select pointer, value from io order by pointer").rows
    assert values == [("another_filename1.pkl", 1.0), ("another_filename2.pkl", 2.0),
                      ("some_filename1.pkl", 11.0), ("some_filename2.pkl", 22.0)]


def test_register_kwargs_of_different_lengths_raise():
    @mltrace.register(component_name="test_component", input_kwargs={"inp_key": "inp_val"},
                      output_kwargs={"out_key": "out_val"})
    def some_func(inp_key, inp_val):
        out_key = ["another_filename1.pkl", "another_filename2.pkl"]  # noqa: F841
        out_val = 1  # noqa: F841

    with pytest.raises(ValueError):
        some_func(inp_key=["some_filename1.pkl", "some_filename2.pkl"], inp_val=1)


def test_register_kwargs_with_wrong_names_raise():
    @mltrace.register(component_name="test_component", input_kwargs={"inp_keyeyey": "inp_valalalal"},
                      output_kwargs={"out_key": "out_val"})
    def wrong_input(inp_key, inp_val):
        out_key = "another_filename.pkl"  # noqa: F841
        out_val = 1  # noqa: F841

    @mltrace.register(component_name="test_component", input_kwargs={"inp_key": "inp_val"},
                      output_kwargs={"out_keyeyeyey": "out_valalalal"})
    def wrong_output(inp_key, inp_val):
        out_key = "another_filename.pkl"  # noqa: F841
        out_val = 1  # noqa: F841

    with pytest.raises(ValueError):
        wrong_input(inp_key="some_filename.pkl", inp_val=[1])
    with pytest.raises(ValueError):
        wrong_output(inp_key="some_filename.pkl", inp_val=[1])


def test_endpoint_outputs_are_typed_as_endpoints(store):
    @mltrace.register("serve", output_vars=["prediction_ids"], endpoint=True)
    def serve():
        prediction_ids = ["p-1", "p-2"]  # noqa: F841

    serve()
    assert store.sql("select distinct pointer_type from io where direction = 'output'").rows == [("endpoint",)]


def test_auto_log_keeps_data_and_model_arguments_and_locals():
    @mltrace.register("train", auto_log=True)
    def train(training_data, epochs):
        model = {"weights": sorted(training_data)}
        return model

    train([3, 1, 2], epochs=5)

    @mltrace.register("evaluate", auto_log=True)
    def evaluate(model):
        return len(model)

    evaluate({"weights": [1, 2, 3]})
    assert names(latest_run().inputs) == ["train.model"]  # the same content as train's output keeps its name
    assert [run.component_name for _, run in mltrace.backtrace("train.model")] == ["train"]


def test_save_and_load_log_the_files_as_the_runs_output_and_input(tmp_path):
    obj = {"foo": "bar"}
    assert mltrace.load(mltrace.save(obj)) == obj

    @mltrace.register("fit")
    def fit():
        mltrace.save({"w": 1}, str(tmp_path / "model.joblib"))

    @mltrace.register("predict", output_vars=["out"])
    def predict():
        model = mltrace.load(str(tmp_path / "model.joblib"))
        out = f"pred-{model['w']}"  # noqa: F841

    fit()
    predict()
    assert [run.component_name for _, run in mltrace.backtrace("pred-1")] == ["predict", "fit"]


# -- Component and Test classes --------------------------------------------------------------------------------------


class PositiveInput(Test):
    def __init__(self):
        super().__init__("positive input")

    def testPositive(self, x):
        if x <= 0:
            raise ValueError("x must be positive")


class SmallOutput(Test):
    def testSmall(self, y):
        if y > 100:
            raise ValueError("y is too large")


def test_before_and_after_tests_run_and_failures_are_kept_with_the_run(store):
    checked = Component("square", owner="me", description="squares", beforeTests=[PositiveInput],
                        afterTests=[SmallOutput], tags=["math", "math"])

    @checked.run(input_vars=["x"], output_vars=["y"])
    def square(x):
        y = x * x
        return y

    assert square(3) == 9
    with pytest.raises(ValueError, match="positive"):
        square(-1)
    with pytest.raises(ValueError, match="too large"):
        square(11)
    checks = store.sql("select phase, passed from checks order by start_time, phase").rows
    assert checks == [("after", True), ("before", True), ("before", False), ("after", False), ("before", True)]
    assert mltrace.get_component_information("square").tags == ["math"]


def test_component_run_without_arguments_and_skip_options():
    plain = Component("plain", "me", "no tests")

    @plain.run
    def step():
        return 1

    skipping = Component("skipping", "me", "", beforeTests=[PositiveInput])

    @skipping.run(input_vars=["x"], skip_before=True)
    def lenient(x):
        return x

    assert step() == 1 and lenient(-5) == -5
    assert [c.name for c in mltrace.get_components(owner="me")] == ["plain", "skipping"]


def test_test_arguments_can_be_renamed_to_the_functions_variables():
    checked = Component("renamed", beforeTests=[PositiveInput])

    @checked.run(x="value")
    def identity(value):
        return value

    with pytest.raises(ValueError, match="positive"):
        identity(-2)


def test_component_properties_cannot_be_changed_and_it_prints_as_json():
    component = Component("mock_component", "shreya", "mock component 2", tags=["mock_tag"])
    assert json.loads(repr(component)) == {"name": "mock_component", "description": "mock component 2",
                                           "owner": "shreya", "tags": ["mock_tag"]}
    with pytest.raises(AttributeError):
        copy.deepcopy(component).name = "changed_name"


def test_component_run_objects_check_their_fields():
    run = ComponentRun("mock_component_run")
    assert run.to_dictionary()["stale"] == [] and run.to_dictionary()["inputs"] == []
    with pytest.raises(TypeError):
        run.set_start_timestamp("incorrect_type")
    with pytest.raises(TypeError):
        run.set_end_timestamp("incorrect_type")
    with pytest.raises(TypeError):
        run.notes = ["incorrect_type"]
    run.add_inputs([IOPointer("mock_input_1"), IOPointer("mock_input_2")])
    run.add_inputs([IOPointer("mock_input_1"), IOPointer("mock_input_2")])
    assert names(run.inputs) == ["mock_input_1", "mock_input_2"]


# -- components, tags, notes and history -----------------------------------------------------------------------------


def test_components_by_owner_and_tag_and_tags_added_later():
    mltrace.create_component("test_component", "test_description", "shreya")
    mltrace.create_component("other", "", "someone", ["x"])
    mltrace.create_component("test_component", "ignored", "ignored")  # an existing component is kept as it is
    assert mltrace.get_component_information("test_component").description == "test_description"
    assert [c.name for c in mltrace.get_components(owner="shreya")] == ["test_component"]
    mltrace.tag_component("test_component", ["tag1", "tag1", "tag2"])
    assert mltrace.get_component_information("test_component").tags == ["tag1", "tag2"]
    assert [c.name for c in mltrace.get_components(tag="x")] == ["other"]
    assert mltrace.get_all_tags() == ["tag1", "tag2", "x"]
    with pytest.raises(RuntimeError):
        mltrace.get_components(tag="nothing")
    with pytest.raises(RuntimeError, match="not found"):
        mltrace.get_component_information("test_componnet")


def test_notes_accumulate_on_a_run_and_unknown_runs_raise():
    run = ComponentRun("c", notes="logged with it")
    run.set_start_timestamp()
    run.set_end_timestamp()
    mltrace.log_component_run(run)
    run_id = mltrace.get_recent_run_ids(1)[0]
    assert mltrace.add_notes_to_component_run(run_id[:20], "checked by hand") == "logged with it\nchecked by hand"
    assert mltrace.get_component_run_information(run_id).notes == "logged with it\nchecked by hand"
    with pytest.raises(RuntimeError):
        mltrace.get_component_run_information("no-such-run")
    with pytest.raises(RuntimeError):
        mltrace.add_notes_to_component_run("no-such-run", "x")


def test_history_is_newest_first_limited_and_bounded():
    from datetime import datetime, timedelta, timezone

    base = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for day in range(5):
        run = ComponentRun("daily")
        run.set_start_timestamp(base + timedelta(days=day))
        run.set_end_timestamp(base + timedelta(days=day, minutes=1))
        mltrace.log_component_run(run)
    starts = [run.start_timestamp.day for run in mltrace.get_history("daily", limit=3)]
    assert starts == [5, 4, 3]
    bounded = mltrace.get_history("daily", date_lower=base + timedelta(days=1), date_upper="2024-01-03T00:00:00+00:00")
    assert [run.start_timestamp.day for run in bounded] == [3, 2]
    assert mltrace.get_history("never-ran") == []


def test_recent_run_ids_page_back_from_a_run():
    ids = []
    for _ in range(4):
        run = ComponentRun("c")
        run.set_start_timestamp()
        run.set_end_timestamp()
        mltrace.log_component_run(run)
        ids.append(mltrace.get_recent_run_ids(1)[0])
    assert mltrace.get_recent_run_ids(2) == ids[::-1][:2]
    assert mltrace.get_recent_run_ids(5, last_run_id=ids[2]) == [ids[1], ids[0]]


def test_a_database_uri_is_refused_with_a_hint():
    with pytest.raises(Exception, match="directories"):
        mltrace.set_db_uri("postgresql://localhost:5432/mltrace")
