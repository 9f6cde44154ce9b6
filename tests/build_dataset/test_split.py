import pandas as pd

from tasks.build_dataset.split import asset_groups, assign_splits, split_records


def frame(rows):
    out = pd.DataFrame(rows, columns=["task", "assets"])
    out["group"] = asset_groups(out["assets"])
    return out


def test_records_sharing_an_asset_form_one_group():
    records = frame([("t", ["a"]), ("t", ["b", "a"]), ("t", ["c"]), ("t", ["b"])])
    groups = records["group"]
    assert groups[0] == groups[1] == groups[3]
    assert groups[2] != groups[0]


def test_no_group_straddles_the_split_and_every_multi_group_task_gets_eval():
    rows = [("impl", [f"f{i}"]) for i in range(20)] + [
        ("test", [f"f{i}", f"t{i}"]) for i in range(5)
    ]
    rows += [("story", ["s1"]), ("story", ["s2"]), ("api", ["only"])]
    records = frame(rows)
    split = assign_splits(records, 0.2, seed=1)
    records["split"] = split
    assert (records.groupby("group")["split"].nunique() == 1).all()
    per_task = records[records["split"] == "eval"]["task"].value_counts()
    assert per_task["impl"] >= 1 and per_task["test"] >= 1 and per_task["story"] >= 1
    assert "api" not in per_task  # a single group cannot be both trained and evaluated


def test_the_split_is_deterministic_by_seed():
    records = frame([("t", [f"f{i}"]) for i in range(30)])
    first = assign_splits(records, 0.2, seed=7)
    assert first.equals(assign_splits(records, 0.2, seed=7))
    assert not first.equals(assign_splits(records, 0.2, seed=8))


def split_frame(rows):
    columns = ["record_id", "task", "assets", "origin", "asset_id"]
    return pd.DataFrame(rows, columns=columns)


def test_given_feedback_and_teacher_records_when_split_then_only_assets_decide_and_eval_is_own():
    rows = [(f"r{i}", "impl", [f"f{i}"], "asset", f"f{i}") for i in range(10)]
    rows += [(f"t{i}", "test", [f"f{i}"], "teacher_output", f"f{i}") for i in range(10)]
    rows += [("fb", "impl", ["feedback:e1"], "feedback_edit", "feedback:e1")]
    frame, rejects = split_records(split_frame(rows), 0.2, seed=3)
    eval_groups = set(frame.loc[frame["split"] == "eval", "group"])
    assert eval_groups and (frame.groupby("group")["split"].nunique() == 1).all()
    assert set(frame.loc[frame["origin"] != "asset", "split"]) == {"train"}
    assert frame.loc[frame["record_id"] == "fb", "split"].item() == "train"
    assert len(rejects) == len(eval_groups)  # one teacher answer per eval group, dropped
    assert all(r.reason.startswith("teacher_in_eval: group ") for r in rejects)


def test_given_min_eval_when_split_then_small_tasks_get_that_many_and_code_every_language():
    rows = [("story", [f"s{i}"], "en") for i in range(30)]
    rows += [("implement_method", [f"j{i}"], "java") for i in range(40)]
    rows += [("implement_method", [f"p{i // 2}"], "python") for i in range(16)]
    records = pd.DataFrame(rows, columns=["task", "assets", "language"])
    records["group"] = asset_groups(records["assets"])

    records["split"] = assign_splits(records, 0.1, seed=3, min_eval=10)

    evals = records[records["split"] == "eval"]
    assert (evals["task"] == "story").sum() >= 10  # 10 % alone would give 3
    code = evals[evals["task"] == "implement_method"]["language"].value_counts()
    assert code["java"] >= 7 and code["python"] >= 2 and code.sum() >= 10
