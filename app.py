"""The PhysioSpaces hub: every task's Space as one tab. `python app.py` serves it on http://127.0.0.1:7860."""

import os

import gradio as gr

from core import get_task, list_tasks
from core.space import delete_uploads, load_space, serve

SPACES = {name: load_space(name) for name in list_tasks()}

# One Blocks with a tab per Space (each Space's `build()`), not a TabbedInterface of the Spaces' own pages: every
# Blocks builds its own web app, which would add about a second to the start.
with gr.Blocks(title="PhysioSpaces") as demo:
    gr.Markdown(
        "# PhysioSpaces: physiological time-series models you can try\n"
        "Leaderboard, datasets and model cards: the "
        "[PhysioSpaces explorer](https://huggingface.co/spaces/physiospaces/physiospaces-explorer) "
        "(locally: `streamlit run spaces/explorer/app.py`)."
    )
    for name, space in SPACES.items():
        with gr.Tab(get_task(name).title):
            space.build()
delete_uploads(demo)

SERVED = [(space.TASK, space.MODELS) for space in SPACES.values()]
"""Every tab's task and models, warmed up as the hub starts (`core.space.warm_up`)."""

if __name__ == "__main__":
    serve(
        demo,
        SERVED,
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
    )
