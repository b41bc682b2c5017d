"""Human review of a run (Turing's HITL workflow): the queue ordered by need, the
decisions and their audit trail in a real database, re-validation of edits on the engines,
reviewer guidelines, the per-cycle measures and the reviewed export. No web code here: the app
in `services/review/` calls these modules."""
