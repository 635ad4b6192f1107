"""Running heart-rate task: predict the heart-rate curve of a run from its speed and altitude."""
