"""Respiration Space: breathing waveforms (breaths, rate, pauses), apnea minutes from heartbeats,
anomalies in any series."""

import gradio as gr

from core import get_task
from core.downloads import downloads
from core.respiration.render import (
    breaths_frame,
    events_frame,
    flagged_frame,
    minutes_frame,
    plot_apnea,
    plot_series,
    plot_waveform,
)
from core.space import (
    WFDB_FILE_TYPES,
    download_box,
    example_uploads,
    examples_of,
    guard,
    json_api,
    lazy_demo,
    run_on,
    serve,
    space_models,
    split_upload,
    standalone_demo,
)

TASK = get_task("respiration")
MODELS = space_models("respiration")
SERIES_THRESHOLD = MODELS["series"].threshold
IRREGULAR_TEST = MODELS["waveform"].metrics["bidmc_events"]["events"]["test_21_40"]
"""The irregular-breathing rule on BIDMC records 21-40 (`python -m training.respiration_events --write`)."""


def _read(files, fs=None):
    main, extras = split_upload(files)
    return TASK.read(main, fs=fs or None, extra_files=extras)


def _shown(result, figure, table, files) -> tuple:
    """What every tab shows: figure, summary, table, downloads."""
    return figure, f"**{result.summary()}**", table, downloads(result, table, split_upload(files)[0], figure)


@guard
def analyse_waveform(files, fs, progress=gr.Progress()):
    """Breaths, rate, pauses and anomaly score of an uploaded breathing waveform."""
    progress(0.02, desc="Reading the file")
    result = TASK.run(_read(files, fs), MODELS.__getitem__, mode="waveform", progress=progress)
    return *_shown(result, plot_waveform(result), breaths_frame(result), files), events_frame(result)


@guard
def analyse_rr(files, fs, progress=gr.Progress()):
    """Per-minute apnea probability of uploaded beat times, RR intervals or an ECG record."""
    progress(0.02, desc="Reading the file")
    result = TASK.run(_read(files, fs), MODELS.__getitem__, mode="rr", progress=progress)
    return _shown(result, plot_apnea(result), minutes_frame(result), files)


@guard
def analyse_series(files, threshold, progress=gr.Progress()):
    """Anomaly scores and flagged intervals of an uploaded timestamp,value series."""
    progress(0.02, desc="Reading the file")
    result = TASK.run(_read(files), MODELS.__getitem__, mode="series", threshold=threshold, progress=progress)
    return _shown(result, plot_series(result), flagged_frame(result), files)


TITLE = "Respiration anomalies - PhysioSpaces"


def build() -> None:
    """The Space's components and events, in the caller's Blocks: its own page, or a tab of the hub."""
    gr.Markdown(f"## {TASK.title}\n{TASK.summary}\n\nA research demo, not a medical device.")
    with gr.Tab("Breathing waveform"):
        gr.Markdown(
            "Upload a breathing waveform: a **CSV** (a `RESP` column, or one column, with a time column or a "
            "`# fs=125` first line), a **WFDB record** with a RESP channel (`.hea` and `.dat` together) or an **EDF** "
            "file; the respiration lead is picked by name (RESP, Thorax, Abdomen, Airflow...). "
            "Invalid stretches over 0.05 s split the recording; each part is analysed on its own.\n\n"
            "Two scores are shown. The **event score** measures how far each breath's interval, depth and local rate "
            "are from this recording's usual (1 = twice or half the usual); it finds inserted pauses, shallow "
            "stretches and rate changes inserted into real ICU breathing (`python -m training.respiration_events`). "
            "The **VAE-LSTM score** is the learned model's; on that benchmark it does not rank events above normal "
            "breathing, so read it as a research output. **Irregular breathing** (30 s or more where breath intervals "
            "stray from their neighbours' median over 3 times as much as this recording's usual, and by over about "
            "13 %) is listed as an event but not part of the score; on the benchmark's inserted irregular stretches "
            f"it finds {IRREGULAR_TEST['sensitivity']['irregular']:.0%}, with "
            f"{IRREGULAR_TEST['false_events_per_hour_by_kind'].get('irregular', 0.0):.1f} false irregular events per "
            "hour of untouched breathing, so treat it as a hint."
        )
        with gr.Row():
            with gr.Column(scale=1):
                wave_files = gr.File(
                    label="Waveform file(s)", file_count="multiple", file_types=[*WFDB_FILE_TYPES, ".edf"]
                )
                wave_fs = gr.Number(
                    label="Sampling rate in Hz (0 = read it from the file; needed only for CSVs that do not state it)",
                    value=None,
                    minimum=0,
                )
                wave_button = gr.Button("Find breaths", variant="primary")
                wave_examples = examples_of(
                    TASK,
                    [wave_files],
                    [[upload] for upload in example_uploads(TASK, "bidmc")],
                    label="Real BIDMC excerpts",
                )
            with gr.Column(scale=2):
                wave_summary = gr.Markdown()
                wave_plot = gr.Plot(label="Breaths, rate and anomaly score")
        wave_events = gr.Dataframe(label="Breathing events", interactive=False, max_height=300)
        wave_table = gr.Dataframe(label="Every breath", interactive=False, max_height=300)
        run_on(
            wave_button,
            analyse_waveform,
            [wave_files, wave_fs],
            [wave_plot, wave_summary, wave_table, download_box(), wave_events],
            api_name="waveform",
            examples=wave_examples,
            files=wave_files,
        )
    with gr.Tab("Apnea from heartbeats"):
        gr.Markdown(
            "Upload **beat times or RR intervals** (CSV with a `beat_time_s`, `rr_s` or `rr_ms` column) or an "
            "**ECG record** (CSV or WFDB; its beats are found by the ECG task's R-peak detector). "
            "At least 5 minutes; each minute gets an apnea probability."
        )
        with gr.Row():
            with gr.Column(scale=1):
                rr_files = gr.File(label="Beats, RR or ECG file(s)", file_count="multiple", file_types=WFDB_FILE_TYPES)
                rr_fs = gr.Number(
                    label="ECG sampling rate in Hz (0 = read it from the file; needed only for ECG CSVs that do not "
                    "state it)",
                    value=None,
                    minimum=0,
                )
                rr_button = gr.Button("Score every minute", variant="primary")
                rr_examples = examples_of(
                    TASK,
                    [rr_files],
                    [[upload] for upload in example_uploads(TASK, "apnea", "mitdb")],
                    label="Real Apnea-ECG and MIT-BIH excerpts",
                )
            with gr.Column(scale=2):
                rr_summary = gr.Markdown()
                rr_plot = gr.Plot(label="Apnea probability per minute")
        rr_table = gr.Dataframe(label="Every minute", interactive=False, max_height=300)
        rr_outputs = [rr_plot, rr_summary, rr_table, download_box()]
        run_on(
            rr_button, analyse_rr, [rr_files, rr_fs], rr_outputs, api_name="rr", examples=rr_examples, files=rr_files
        )
    with gr.Tab("Any series (not breathing)"):
        gr.Markdown(
            "Anomalies in any monitored quantity (server latency, temperature, taxi demand: the NAB corpus), not "
            "breathing. Upload a `timestamp,value` **CSV** (the NAB format). The first 15 % of the series is taken as "
            "normal for scaling; the score is averaged over the preceding day (whatever the series' step), so a "
            "flagged interval starts at or after its cause; move the threshold to flag more or fewer points."
        )
        with gr.Row():
            with gr.Column(scale=1):
                series_files = gr.File(label="Series file", file_count="multiple", file_types=[".csv", ".txt"])
                threshold = gr.Slider(
                    0.0,
                    round(5 * SERIES_THRESHOLD, 1),
                    value=round(SERIES_THRESHOLD, 2),
                    step=0.01,
                    label="Anomaly-score threshold (default: chosen on NAB training data)",
                )
                series_button = gr.Button("Score the series", variant="primary")
                series_examples = examples_of(
                    TASK,
                    [series_files, threshold],
                    [[upload, round(SERIES_THRESHOLD, 2)] for upload in example_uploads(TASK, "nab")],
                    label="Real NAB series",
                )
            with gr.Column(scale=2):
                series_summary = gr.Markdown()
                series_plot = gr.Plot(label="Series and anomaly score")
        series_table = gr.Dataframe(label="Flagged intervals", interactive=False, max_height=300)
        run_on(
            series_button,
            analyse_series,
            [series_files, threshold],
            [series_plot, series_summary, series_table, download_box()],
            api_name="series",
            examples=series_examples,
            files=series_files,
        )
    json_api(TASK, MODELS)


__getattr__ = lazy_demo(build, TITLE)  # `demo`, built on first access

if __name__ == "__main__":
    serve(standalone_demo(build, TITLE), [(TASK, MODELS)])
