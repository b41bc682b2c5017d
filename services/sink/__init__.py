"""Sink: accepted / duplicate / rejected → dataset files, run status."""
