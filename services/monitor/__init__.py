"""Monitor: JetStream consumer lag and NATS reachability as Prometheus metrics."""
