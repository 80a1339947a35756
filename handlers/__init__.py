"""Plain async handlers: classification in, reply out. They never touch a platform."""
