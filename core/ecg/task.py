"""The ECG arrhythmia task entry of the registry."""

from core.ecg.beats import AAMI_CLASSES, BEAT_FS, BEAT_LENGTH
from core.ecg.pipeline import choose_variant, predict, read_ecg
from core.ecg.predictor import ECGPredictor
from core.signals import ECG_FS_RANGE
from core.tasks import CHECKPOINTS, ROOT, Endpoint, HubRepos, Published, Task

EXAMPLES = ROOT / "spaces" / "ecg" / "examples"

TASK = Task(
    name="ecg",
    title="ECG arrhythmia",
    summary="Finds every heartbeat in an ECG and labels it with an AAMI class: N normal, S supraventricular ectopic, "
    "V ventricular ectopic, F fusion, Q paced or unclassifiable.",
    labels=AAMI_CLASSES,
    fs=BEAT_FS,
    window=BEAT_LENGTH,
    model_class={"inter": "core.ecg.feature_model:ECGFeatureClassifier", "intra": "core.ecg.model:ECGClassifier"},
    predictor=ECGPredictor,
    read=read_ecg,
    predict=predict,
    checkpoints={"inter": CHECKPOINTS / "ecg-inter", "intra": CHECKPOINTS / "ecg-intra"},
    choose_variant=choose_variant,
    hub=HubRepos(
        models={"inter": "physiospaces/ecg-arrhythmia-inter", "intra": "physiospaces/ecg-arrhythmia-intra"},
        dataset="physiospaces/mitbih-beats",
        space="physiospaces/ecg-arrhythmia",
    ),
    fs_range=ECG_FS_RANGE,
    endpoints=(Endpoint("classify", ("mitdb_208_20s.csv", "mitdb_119_60s.hea"), options=(None,)),),
    examples=tuple(sorted(EXAMPLES.glob("*.csv"))) + tuple(sorted(EXAMPLES.glob("*.hea"))),
    datasets=("mitdb",),
    dataset_repo="core.ecg.data:dataset_repo",
    explore="core.ecg.data:explore_sample",
    published=(
        Published(
            "intra",
            "accuracy",
            0.9935,
            "best published on the Kaggle MIT-BIH heartbeat split (as cited in PhysioSpaces issue 2)",
        ),
        Published(
            "intra",
            "macro_f1",
            0.943,
            "best published on the Kaggle MIT-BIH heartbeat split (as cited in PhysioSpaces issue 2)",
        ),
        Published("intra", "accuracy", 0.977, "seed GRU notebook (issue 2)"),
        Published(
            "inter", "accuracy", 0.945, "Mondejar-Guerra et al. 2019, SVM ensembles on DS1/DS2, as cited in issue 18"
        ),
        Published("inter", "accuracy", 0.93, "Llamedo & Martinez 2011, DS1/DS2, as cited in issue 18"),
        Published(
            "inter", "j_index", 2.73, "de Chazal et al. 2004, DS1/DS2 (S 76/38, V 77/82 Se/+P %), as cited in issue 18"
        ),
        Published(
            "inter",
            "j_index",
            2.84,
            "Llamedo & Martinez 2011, DS1/DS2 (S 77/39, V 81/87 Se/+P %), as cited in issue 18",
        ),
    ),
    license="odc-by",
    citation="Moody GB, Mark RG. The impact of the MIT-BIH Arrhythmia Database. IEEE Eng Med Biol 20(3):45-50 (2001). "
    "Kachuee M, Fazeli S, Sarrafzadeh M. ECG Heartbeat Classification: A Deep Transferable Representation. IEEE ICHI "
    "2018.",
)
