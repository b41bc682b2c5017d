"""Query building: plans a SELECT or a DML statement over an instance and fills its meaning."""
