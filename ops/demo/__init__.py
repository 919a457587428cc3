"""The demo site group: three self-written government sites served on loopback for `yiwang up` and tests."""
