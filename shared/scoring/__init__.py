"""Using a dataset as an evaluation set: execution accuracy of a model's predictions, and
overlap (contamination) between a dataset and a benchmark."""
