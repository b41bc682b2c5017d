"""Stage logic of the pipeline, free of broker code: each stage maps an envelope to emits."""
