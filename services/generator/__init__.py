"""Generator: sample.planned → sample.drafted."""
