"""Bookings: meal orders, delivery for elders, counter appointments."""
