"""Start and stop private servers (PostgreSQL, MariaDB, nats-server) on loopback."""
