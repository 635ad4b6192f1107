"""ECG beat anomaly Space: upload an ECG strip or a WFDB record; every beat is scored by a model that has only seen
normal beats."""

import gradio as gr

from core import get_task
from core.ecg_anomaly.render import beats_frame, most_anomalous, plot_beat, plot_scores
from core.space import (
    example_uploads,
    guard,
    json_api,
    lazy_demo,
    serve,
    space_models,
    split_upload,
    standalone_demo,
)

TASK = get_task("ecg_anomaly")
MODELS = space_models("ecg_anomaly")
METHOD_NAMES = {"ae": "autoencoder", "vae": "beta-VAE", "beatgan": "BeatGAN"}


@guard
def score(files, fs, method, progress=gr.Progress()):
    """Score every beat of the uploaded ECG; returns the score plot, summary, beat table, result, selected beat and
    its reconstruction."""
    main, extras = split_upload(files)
    progress(0.02, desc="Reading the file")
    data = TASK.read(main, fs=fs or None, extra_files=extras)
    result = TASK.run(data, MODELS.__getitem__, variant=method or None, progress=progress)
    number = most_anomalous(result)
    slider = gr.Slider(minimum=1, maximum=len(result.scores), value=number, step=1)
    return (
        plot_scores(result),
        f"**{result.summary()}**",
        beats_frame(result),
        result,
        slider,
        plot_beat(result, number),
    )


@guard
def show_beat(result, number):
    """The selected beat over its reconstruction."""
    if result is None:
        raise gr.Error("Score an ECG first; then pick one of its beats.")
    return plot_beat(result, int(number))


EXAMPLES = [[upload] for upload in example_uploads(TASK)]

TITLE = "ECG beat anomalies - PhysioSpaces"


def build() -> None:
    """The Space's components and events, in the caller's Blocks: its own page, or a tab of the hub."""
    gr.Markdown(
        f"## {TASK.title}\n{TASK.summary}\n\n"
        "Upload a **CSV** (one column per lead, with a time column or a `# fs=360` first line, or give the rate "
        "below) or a **WFDB record** (select the `.hea` and `.dat` together). Beats above the dashed threshold "
        "(chosen on held-out training patients) are marked; pick a beat to see the model's reconstruction of it. "
        "Trained on normal MIT-BIH beats only; a research demo, not a medical device."
    )
    result = gr.State()
    with gr.Row():
        with gr.Column(scale=1):
            files = gr.File(label="ECG file(s)", file_count="multiple", file_types=[".csv", ".txt", ".hea", ".dat"])
            fs = gr.Number(
                label="Sampling rate in Hz (0 = read it from the file; needed only for CSVs that do not state it)",
                value=None,
                minimum=0,
            )
            method = gr.Dropdown(
                [(METHOD_NAMES.get(v, v), v) for v in TASK.checkpoints], value=TASK.variant(), label="Model"
            )
            button = gr.Button("Score every beat", variant="primary")
            gr.Examples(EXAMPLES, inputs=[files], label="MIT-BIH excerpts of patients no model saw")
        with gr.Column(scale=2):
            summary = gr.Markdown()
            plot = gr.Plot(label="Anomaly score per beat")
    with gr.Row():
        with gr.Column(scale=1):
            beat = gr.Slider(minimum=1, maximum=2, value=1, step=1, label="Beat (the highest-scoring one first)")
        with gr.Column(scale=2):
            beat_plot = gr.Plot(label="Beat and its reconstruction")
    table = gr.Dataframe(label="Every beat", interactive=False, max_height=320)
    button.click(score, [files, fs, method], [plot, summary, table, result, beat, beat_plot], api_name="score")
    beat.release(show_beat, [result, beat], beat_plot, api_name=False)
    json_api(TASK, MODELS)


__getattr__ = lazy_demo(build, TITLE)  # `demo`, built on first access

if __name__ == "__main__":
    serve(standalone_demo(build, TITLE), [(TASK, MODELS)])
