"""The staff web desk under /staff: sign-in, the station's numbers, tickets and exports."""
