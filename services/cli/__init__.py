"""The `sqlsynth` command line: one click command per module, assembled in `main.build_cli`.

The CLI is the outer edge: it may import the services (run, up, submit, ingest --publish) and
the domain library; nothing imports it back.
"""
