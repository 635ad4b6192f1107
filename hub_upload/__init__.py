"""Publishing PhysioSpaces to the Hugging Face Hub:
`python -m hub_upload model|dataset|space|all TASK --namespace NS`."""
