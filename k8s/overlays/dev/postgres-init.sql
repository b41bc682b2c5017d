-- Run once by the postgres image on an empty data directory. `app` stands for the application
-- whose queries become seeds: only its statements are logged (the validator's own scratch
-- queries in other databases are not, or ingest would feed them back as seeds).
CREATE DATABASE app;
ALTER DATABASE app SET log_statement = 'all';
