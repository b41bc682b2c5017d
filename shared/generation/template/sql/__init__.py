"""The SQL tree every layer shares (`ir`) and its printer per dialect (`render`)."""
