"""Conversation state: typed values, their stored form, and the stores that keep them."""
