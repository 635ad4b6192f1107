"""The PhysioSpaces hub: every task's Space as one tab. `python app.py` serves it on http://127.0.0.1:7860."""
import os

import gradio as gr

from core import get_task, list_tasks
from core.space import load_space

SPACES = {name: load_space(name) for name in list_tasks()}

demo = gr.TabbedInterface(
    [space.demo for space in SPACES.values()],
    tab_names=[get_task(name).title for name in SPACES],
    title="PhysioSpaces: physiological time-series models you can try",
)
with demo:
    gr.Markdown("Leaderboard, datasets and model cards: the [PhysioSpaces explorer](https://huggingface.co/spaces/physiospaces/physiospaces-explorer) "
                "(locally: `streamlit run spaces/explorer/app.py`).")

if __name__ == "__main__":
    demo.queue(default_concurrency_limit=2).launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        max_file_size="100mb",
    )
