"""The human activity recognition task entry of the registry."""

from core.har.data import ACTIVITIES, HAR_FS, WINDOW
from core.har.pipeline import HAR_FS_RANGE, choose_variant, predict, read_har
from core.har.predictor import HARPredictor
from core.tasks import CHECKPOINTS, ROOT, Endpoint, HubRepos, Published, Task

EXAMPLES = ROOT / "spaces" / "har" / "examples"

TASK = Task(
    name="har",
    title="Human activity recognition",
    summary="Labels every 2.56 s of a phone's accelerometer (and gyroscope) recording with one of six activities: "
    "walking, walking upstairs, walking downstairs, sitting, standing, laying, with the phone at the waist; "
    "elsewhere (trouser pocket, hand, bag, inferred or stated) with walking or still.",
    labels=ACTIVITIES,
    fs=HAR_FS,
    window=WINDOW,
    model_class={
        "full": "core.har.model:HARClassifier",
        "acc": "core.har.model:HARClassifier",
        "placement": "core.har.model:HARPlacementModel",
    },
    predictor=HARPredictor,
    read=read_har,
    predict=predict,
    checkpoints={
        "full": CHECKPOINTS / "har-full",
        "acc": CHECKPOINTS / "har-acc",
        "placement": CHECKPOINTS / "har-placement",
    },
    companions={variant: {"placement_model": "placement"} for variant in ("full", "acc")},
    hub=HubRepos(
        models={
            "full": "physiospaces/har-uci-cnn",
            "acc": "physiospaces/har-uci-cnn-accelerometer",
            "placement": "physiospaces/har-placement-trees",
        },
        dataset="physiospaces/uci-har",
        space="physiospaces/activity-recognition",
    ),
    fs_range=HAR_FS_RANGE,
    choose_variant=choose_variant,
    endpoints=(
        Endpoint(
            "recognise",
            ("uci_subject02_acc_gyro.csv", "uci_subject24_acc_only.csv"),
            options=("auto", "auto", None, "auto"),
            file_list=False,
        ),
    ),
    examples=tuple(sorted(EXAMPLES.glob("*.csv"))),
    datasets=("uci_har",),
    dataset_repo="core.har.data:dataset_repo",
    explore="core.har.data:explore_sample",
    published=(
        Published("UCI HAR official split", "accuracy", 0.9763, "best published on raw + statistical input (issue 3)"),
        Published(
            "UCI HAR official split", "accuracy", 0.92, "seed 2-layer LSTM, lower end of its claimed 92-97% (issue 3)"
        ),
    ),
    license="cc-by-4.0",
    citation="Anguita D, Ghio A, Oneto L, Parra X, Reyes-Ortiz JL. A Public Domain Dataset for Human Activity "
    "Recognition Using Smartphones. ESANN 2013. Dataset: https://doi.org/10.24432/C54S4K (CC BY 4.0).",
)
