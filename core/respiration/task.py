"""The respiration task entry of the registry: breathing waveforms, apnea minutes from heartbeats,
anomaly scores of series."""

from core.respiration.breaths import RESP_FS_RANGE
from core.respiration.pipeline import choose_variant, predict, read_respiration
from core.respiration.predictor import RespirationPredictor
from core.tasks import CHECKPOINTS, ROOT, Endpoint, HubRepos, Published, Task

EXAMPLES = ROOT / "spaces" / "respiration" / "examples"
VARIANTS = ("series", "waveform", "apnea", "apnea-vae")
VAE_LSTM = "core.respiration.model:VAELSTM"

TASK = Task(
    name="respiration",
    title="Respiration anomalies",
    summary="Detects breaths, breathing rate and pauses in a breathing waveform, apnea minutes from heartbeat (RR) "
    "series, and anomalies in any univariate series, with the VAE-LSTM of Lin et al. (ICASSP 2020) and a supervised "
    "apnea CNN.",
    labels=("normal", "anomalous"),
    fs=None,
    window=None,
    model_class={
        "series": VAE_LSTM,
        "waveform": VAE_LSTM,
        "apnea": "core.respiration.model:ApneaNet",
        "apnea-vae": VAE_LSTM,
    },
    predictor=RespirationPredictor,
    read=read_respiration,
    predict=predict,
    checkpoints={variant: CHECKPOINTS / f"respiration-{variant}" for variant in VARIANTS},
    hub=HubRepos(
        models={variant: f"physiospaces/respiration-{variant}" for variant in VARIANTS},
        dataset="physiospaces/respiration-apnea-nab",
        space="physiospaces/respiration-anomalies",
    ),
    fs_range=RESP_FS_RANGE,
    choose_variant=choose_variant,
    companions={"apnea": {"vae": "apnea-vae"}},
    endpoints=(
        Endpoint("waveform", ("bidmc01_resp_2min.csv",), options=(None,)),
        Endpoint("rr", ("apnea_ecg_c07_1h.csv",), options=(None,)),
        Endpoint("series", ("nab_ec2_request_latency_system_failure.csv",), options=(0.4,)),
    ),
    examples=tuple(sorted(EXAMPLES.glob("*.csv"))) + tuple(sorted(EXAMPLES.glob("*.hea"))),
    datasets=("respiration", "nab"),
    dataset_repo="core.respiration.data:dataset_repo",
    explore="core.respiration.data:explore_sample",
    published=(
        Published(
            "NAB machine_temperature",
            "f1",
            0.675,
            "Lin et al. (ICASSP 2020) public code, threshold picked on the test part (issue 5)",
        ),
        Published("NAB corpus", "nab_score", 70.0, "best published detectors score about 70-75, random 11 (issue 5)"),
        Published(
            "Apnea-ECG official test set", "accuracy", 0.92, "best published supervised per-minute result (issue 5)"
        ),
    ),
    license="odc-by",
    citation="Lin S, Clark R, Birke R, Schönborn S, Trigoni N, Roberts S. Anomaly Detection for Time Series Using "
    "VAE-LSTM Hybrid Model. ICASSP 2020. Penzel T et al. The Apnea-ECG Database. Computers in Cardiology 27:255-258 "
    "(2000). Pimentel MAF et al. Toward a Robust Estimation of Respiratory Rate from Pulse Oximeters. IEEE TBME "
    "64(8):1914-1923 (2017). Lavin A, Ahmad S. Evaluating Real-time Anomaly Detection Algorithms - the Numenta "
    "Anomaly Benchmark. IEEE ICMLA 2015.",
    extra={"pipeline_tag": "time-series-classification", "hub_task_type": "time-series-classification"},
)
