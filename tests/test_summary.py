import contextlib

from tasks.params import load_params
from tasks.summary import summary
from tests.support import REPO


def test_given_no_outputs_yet_the_summary_names_each_missing_step_instead_of_crashing(tmp_path):
    params = load_params(REPO / "params.yaml")
    with contextlib.chdir(tmp_path):  # a checkout where the retrain trigger held every step
        text = summary(params)
    for step, path in [
        ("Assets", params.identify_assets.inventory),
        ("Records", params.build_dataset.records),
        ("Training", params.finetune.trainer_state),
    ]:
        assert f"{step}: not produced yet ({path})" in text
    assert "dataset: not run" in text
