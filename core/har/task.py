"""The human activity recognition task entry of the registry."""
from core.har.data import ACTIVITIES, HAR_FS, WINDOW
from core.har.pipeline import predict, read_har
from core.har.predictor import HARPredictor
from core.tasks import CHECKPOINTS, ROOT, HubRepos, Task

EXAMPLES = ROOT / "spaces" / "har" / "examples"

TASK = Task(
    name="har",
    title="Human activity recognition",
    summary="Labels every 2.56 s of a phone's accelerometer (and gyroscope) recording with one of six activities: "
    "walking, walking upstairs, walking downstairs, sitting, standing, laying.",
    labels=ACTIVITIES,
    fs=HAR_FS,
    window=WINDOW,
    model_class="core.har.model:HARClassifier",
    predictor=HARPredictor,
    read=read_har,
    predict=predict,
    checkpoints={"full": CHECKPOINTS / "har-full", "acc": CHECKPOINTS / "har-acc"},
    hub=HubRepos(
        models={"full": "physiospaces/har-uci-cnn", "acc": "physiospaces/har-uci-cnn-accelerometer"},
        dataset="physiospaces/uci-har",
        space="physiospaces/activity-recognition",
    ),
    examples=tuple(sorted(EXAMPLES.glob("*.csv"))),
    datasets=("uci_har",),
    license="cc-by-4.0",
    citation="Anguita D, Ghio A, Oneto L, Parra X, Reyes-Ortiz JL. A Public Domain Dataset for Human Activity Recognition "
    "Using Smartphones. ESANN 2013. Dataset: https://doi.org/10.24432/C54S4K (CC BY 4.0).",
)
