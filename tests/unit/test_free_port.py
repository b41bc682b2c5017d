"""Listening ports for private servers come from below the kernel's ephemeral range, where
outgoing connections never take them between the check and the server's bind."""

from __future__ import annotations

import socket

from shared.runtime.local import LOWEST_LISTEN_PORT, ephemeral_low, free_port


def test_free_ports_lie_below_the_ephemeral_range_and_can_be_bound() -> None:
    low = ephemeral_low()
    ports = [free_port() for _ in range(50)]
    assert all(LOWEST_LISTEN_PORT <= p < low for p in ports)
    assert len(set(ports)) > 40  # drawn at random, not one port handed to everyone
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", ports[0]))
