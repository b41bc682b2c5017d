"""Training-ready outputs of a finished run: Parquet splits by base schema, a dataset card, SFT
and DPO views, and a push to the Hugging Face hub."""
