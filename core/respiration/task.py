"""The respiration task entry of the registry: breathing waveforms, apnea minutes from heartbeats, anomaly scores of series."""
from core.respiration.pipeline import predict, read_respiration
from core.respiration.predictor import RespirationPredictor
from core.tasks import CHECKPOINTS, ROOT, HubRepos, Task

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
    model_class={"series": VAE_LSTM, "waveform": VAE_LSTM, "apnea": "core.respiration.model:ApneaNet", "apnea-vae": VAE_LSTM},
    predictor=RespirationPredictor,
    read=read_respiration,
    predict=predict,
    checkpoints={variant: CHECKPOINTS / f"respiration-{variant}" for variant in VARIANTS},
    hub=HubRepos(
        models={variant: f"physiospaces/respiration-{variant}" for variant in VARIANTS},
        dataset="physiospaces/respiration-apnea-nab",
        space="physiospaces/respiration-anomalies",
    ),
    examples=tuple(sorted(EXAMPLES.glob("*.csv"))) + tuple(sorted(EXAMPLES.glob("*.hea"))),
    datasets=("nab", "apnea-ecg", "bidmc"),
    license="odc-by",
    citation="Lin S, Clark R, Birke R, Schönborn S, Trigoni N, Roberts S. Anomaly Detection for Time Series Using "
    "VAE-LSTM Hybrid Model. ICASSP 2020. Penzel T et al. The Apnea-ECG Database. Computers in Cardiology 27:255-258 "
    "(2000). Pimentel MAF et al. Toward a Robust Estimation of Respiratory Rate from Pulse Oximeters. IEEE TBME "
    "64(8):1914-1923 (2017). Lavin A, Ahmad S. Evaluating Real-time Anomaly Detection Algorithms - the Numenta "
    "Anomaly Benchmark. IEEE ICMLA 2015.",
    extra={"pipeline_tag": "time-series-classification", "hub_task_type": "time-series-classification"},
)
