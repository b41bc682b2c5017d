"""Observability as code: alert rules and the Grafana dashboard are generated here
(`python -m deploy.build`), and the generated files are checked for drift in the tests."""
