"""The ECG arrhythmia task entry of the registry."""
from core.ecg.beats import AAMI_CLASSES, BEAT_FS, BEAT_LENGTH
from core.ecg.pipeline import predict, read_ecg
from core.ecg.predictor import ECGPredictor
from core.tasks import CHECKPOINTS, ROOT, HubRepos, Task

EXAMPLES = ROOT / "spaces" / "ecg" / "examples"

TASK = Task(
    name="ecg",
    title="ECG arrhythmia",
    summary="Finds every heartbeat in an ECG and labels it with an AAMI class: N normal, S supraventricular ectopic, "
    "V ventricular ectopic, F fusion, Q paced or unclassifiable.",
    labels=AAMI_CLASSES,
    fs=BEAT_FS,
    window=BEAT_LENGTH,
    model_class="core.ecg.model:ECGClassifier",
    predictor=ECGPredictor,
    read=read_ecg,
    predict=predict,
    checkpoints={"intra": CHECKPOINTS / "ecg-intra", "inter": CHECKPOINTS / "ecg-inter"},
    hub=HubRepos(
        models={"intra": "physiospaces/ecg-arrhythmia-intra", "inter": "physiospaces/ecg-arrhythmia-inter"},
        dataset="physiospaces/mitbih-beats",
        space="physiospaces/ecg-arrhythmia",
    ),
    examples=tuple(sorted(EXAMPLES.glob("*.csv"))) + tuple(sorted(EXAMPLES.glob("*.hea"))),
    datasets=("mitdb",),
    license="odc-by",
    citation="Moody GB, Mark RG. The impact of the MIT-BIH Arrhythmia Database. IEEE Eng Med Biol 20(3):45-50 (2001). "
    "Kachuee M, Fazeli S, Sarrafzadeh M. ECG Heartbeat Classification: A Deep Transferable Representation. IEEE ICHI 2018.",
)
