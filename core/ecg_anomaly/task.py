"""The ECG anomaly task entry of the registry: one-class beat models trained on normal beats only."""

from core.ecg.beats import BEAT_FS, BEAT_LENGTH
from core.ecg.pipeline import read_ecg
from core.ecg_anomaly.pipeline import predict
from core.ecg_anomaly.predictor import METHODS, AnomalyPredictor
from core.signals import ECG_FS_RANGE
from core.tasks import CHECKPOINTS, ROOT, Endpoint, HubRepos, Published, Task

EXAMPLES = ROOT / "spaces" / "ecg_anomaly" / "examples"

TASK = Task(
    name="ecg_anomaly",
    title="ECG beat anomalies",
    summary="Scores every heartbeat of an ECG for abnormality with a generative model that has only ever seen normal "
    "beats (autoencoder, beta-VAE or BeatGAN): a beat it cannot reconstruct, in shape or in timing, or unlike the "
    "record's own dominant beat, scores high.",
    labels=("normal", "anomalous"),
    fs=BEAT_FS,
    window=BEAT_LENGTH,
    model_class="core.ecg_anomaly.model:BeatAutoencoder",
    predictor=AnomalyPredictor,
    read=read_ecg,
    predict=predict,
    checkpoints={method: CHECKPOINTS / f"ecg_anomaly-{method}" for method in METHODS},
    hub=HubRepos(
        models={method: f"physiospaces/ecg-anomaly-{method}" for method in METHODS},
        dataset="physiospaces/mitbih-beats",
        space="physiospaces/ecg-anomaly",
    ),
    fs_range=ECG_FS_RANGE,
    endpoints=(Endpoint("score", ("mitdb_200_60s.hea", "mitdb_213_30s.csv"), options=(None, "vae")),),
    examples=tuple(sorted(EXAMPLES.glob("*.csv"))) + tuple(sorted(EXAMPLES.glob("*.hea"))),
    datasets=("mitdb",),
    published=(
        Published(
            "ae",
            "auroc",
            0.894,
            "Ou et al. 2020, Anobeat (adversarially regularised autoencoder), MIT-BIH inter-patient, "
            "https://doi.org/10.1109/DSC50466.2020.00029",
        ),
        Published(
            "ae",
            "auroc",
            0.960,
            "Ou et al. 2020, Anobeat, MIT-BIH intra-patient, https://doi.org/10.1109/DSC50466.2020.00029",
        ),
    ),
    license="odc-by",
    citation="Moody GB, Mark RG. The impact of the MIT-BIH Arrhythmia Database. IEEE Eng Med Biol 20(3):45-50 (2001). "
    "Zhou B, Liu S, Hooi B, Cheng X, Ye J. BeatGAN: Anomalous Rhythm Detection using Adversarially Generated Time "
    "Series. IJCAI 2019. Higgins I et al. beta-VAE. ICLR 2017.",
)
