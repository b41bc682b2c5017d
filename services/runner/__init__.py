"""Runs the whole pipeline: private servers, one process per service, a run request, progress."""
