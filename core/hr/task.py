"""The running heart-rate task entry of the registry."""

from core.hr.pipeline import GRID_S, choose_variant, predict
from core.hr.predictor import HRPredictor
from core.readers.workouts import read_workout
from core.tasks import CHECKPOINTS, ROOT, Endpoint, HubRepos, Published, Task

EXAMPLES = ROOT / "spaces" / "hr" / "examples"

TASK = Task(
    name="hr",
    title="Running heart rate",
    summary="Predicts the heart-rate curve of a run from its speed and altitude (GPX, TCX, FIT or Endomondo JSON), "
    "with the recorded heart rate overlaid when the file has one.",
    labels=("heart_rate",),
    fs=1.0 / GRID_S,
    window=None,
    model_class="core.hr.model:HRModel",
    predictor=HRPredictor,
    read=read_workout,
    predict=predict,
    choose_variant=choose_variant,
    # lstm first (the default): chosen by `python -m training.hr_cv --arch lstm|physio`, never on the test part
    # lstm-cal: the lstm trained for the calibrated protocol, served when a run calibrates on its own heart rate
    checkpoints={
        "lstm": CHECKPOINTS / "hr-lstm",
        "physio": CHECKPOINTS / "hr-physio",
        "lstm-cal": CHECKPOINTS / "hr-lstm-cal",
    },
    hub=HubRepos(
        models={
            "lstm": "physiospaces/running-hr-lstm",
            "physio": "physiospaces/running-hr-physio",
            "lstm-cal": "physiospaces/running-hr-lstm-calibrated",
        },
        dataset="physiospaces/running-workouts-hr",
        space="physiospaces/running-heart-rate",
    ),
    endpoints=(
        Endpoint(
            "predict",
            ("runpandas_garmin_14min.tcx", "fit_file_parser_28min_no_hr.gpx"),
            options=(0, None, None, None),
            file_list=False,
            summary_output=0,
        ),
    ),
    examples=tuple(sorted(EXAMPLES.glob("*.gpx"))) + tuple(sorted(EXAMPLES.glob("*.tcx"))),
    datasets=("running_hr",),
    dataset_repo="core.hr.data:dataset_repo",
    explore="core.hr.data:explore_sample",
    published=(
        Published(
            "own Endomondo subset", "mae", 7.42, "SUB3 v2 2-layer LSTM, 14 features (issue 4; not the same runs)"
        ),
    ),
    license="mit",
    citation="Ni J, Muhlstein L, McAuley J. Modeling heart rate and activity data for personalized fitness "
    "recommendation. WWW 2019 (the FitRec / Endomondo protocol). SUB3 v2 heart-rate LSTM "
    "(rricc22/heart-rate-predictor).",
    extra={
        "hub_task_type": "time-series-forecasting",
        "pipeline_tag": "time-series-forecasting",
        "profile": "core.hr.pipeline:build_profile",  # python -m core profile hr RUN...
    },
)
