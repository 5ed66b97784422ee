"""Cases: the closed loop discover → file → dispatch → handle → verify → close (issue 4)."""
