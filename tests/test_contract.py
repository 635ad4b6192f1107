"""One contract over every registered task: train a step, save, reload identical outputs, torch-free ONNX parity, and
every Space endpoint answers its example as the CLI does."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from gradio_client import handle_file

from core import get_task, list_tasks
from core.__main__ import main as cli_main
from core.checkpoint import load_checkpoint, save_checkpoint, write_evaluation
from core.predictor import load_predictor
from core.space import upload_of

VARIANTS = [(name, variant) for name in list_tasks() for variant in get_task(name).checkpoints]
ENDPOINTS = [(name, endpoint) for name in list_tasks() for endpoint in get_task(name).endpoints]


def _tiny(task_name: str, variant: str):
    cls = get_task(task_name).model_class_of(variant)
    torch.manual_seed(0)
    return cls(**cls.tiny_params)


@pytest.mark.parametrize(("task_name", "variant"), VARIANTS)
def test_train_step_save_reload_onnx(task_name, variant, tmp_path):
    model = _tiny(task_name, variant)
    inputs = model.example_inputs(8)
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    output = model(*inputs)
    output = output[0] if isinstance(output, tuple) else output
    output.float().pow(2).mean().backward()
    optimizer.step()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters())), "a training step changed no weight"

    folder = save_checkpoint(model, tmp_path / "ckpt", training_config={"tiny": True})
    write_evaluation(folder, metrics={"test": {}}, card="---\n---\n")
    assert {p.name for p in folder.iterdir()} >= {
        "model.safetensors",
        "config.json",
        "model.onnx",
        "metrics.json",
        "README.md",
    }
    arrays = [x.numpy() for x in model.example_inputs(5)]
    expected = model.infer(*arrays)
    reloaded = load_checkpoint(type(model), folder)
    np.testing.assert_array_equal(reloaded.infer(*arrays), expected)
    served = load_predictor(get_task(task_name).predictor, folder)
    assert served.backend == "onnx" and not isinstance(served, torch.nn.Module)
    assert np.abs(served.infer(*arrays) - expected).max() < 1e-4


@pytest.mark.parametrize(("task_name", "variant"), VARIANTS)
def test_shipped_checkpoint_loads_and_matches_onnx(task_name, variant):
    from core import load_model

    torch_model = load_model(task_name, variant=variant)
    onnx_model = load_model(task_name, variant=variant, backend="onnx")
    assert not isinstance(onnx_model, torch.nn.Module), "the ONNX backend must serve without torch"
    float32 = onnx_model.use_onnx(
        onnx_model.checkpoint_dir / "model.onnx"
    )  # the int8 graph is tested in test_predictor
    arrays = [x.numpy() for x in torch_model.example_inputs(16)]
    assert np.abs(torch_model.infer(*arrays) - float32.infer(*arrays)).max() < 1e-4
    assert torch_model.metrics["test"], "metrics.json has no test block"


def first_number(text: str) -> str:
    return re.search(r"\d+(\.\d+)?", text).group()


def check_endpoint(client, task, endpoint, capsys) -> str:
    """Call the Space endpoint on its first example; its summary must give the same count as the CLI's summary."""
    example = task.example(endpoint.examples[0])
    files = [handle_file(str(path)) for path in upload_of(example)]
    outputs = client.predict(
        files if endpoint.file_list else files[0], *endpoint.options, api_name=f"/{endpoint.api_name}"
    )
    summary = outputs[endpoint.summary_output]
    assert cli_main(["predict", task.name, str(example)]) == 0
    assert first_number(summary) == first_number(capsys.readouterr().out), (summary, endpoint)
    return summary


@pytest.mark.parametrize(("task_name", "endpoint"), ENDPOINTS, ids=[f"{n}/{e.api_name}" for n, e in ENDPOINTS])
def test_space_endpoint_answers_its_example(task_name, endpoint, space_client, capsys):
    check_endpoint(space_client(task_name), get_task(task_name), endpoint, capsys)


@pytest.mark.parametrize("task_name", list_tasks())
def test_json_api_endpoint_returns_the_cli_json(task_name, space_client, capsys):
    task = get_task(task_name)
    example = task.example(task.endpoints[0].examples[0])
    files = [handle_file(str(path)) for path in upload_of(example)]
    result = space_client(task_name).predict(files, {}, api_name=f"/{task_name}_json")
    assert cli_main(["predict", task_name, str(example), "--json"]) == 0
    assert result == json.loads(capsys.readouterr().out)


def test_json_api_endpoint_refuses_an_unknown_option_in_one_sentence(space_client):
    example = get_task("ecg").example("mitdb_208_20s.csv")
    with pytest.raises(Exception, match=r"Task 'ecg' has no option 'bogus'; the options it takes are: lead\."):
        space_client("ecg").predict([handle_file(str(example))], {"bogus": 1}, api_name="/ecg_json")
