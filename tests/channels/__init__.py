"""Channel adapter tests (protocol peers on loopback)."""
