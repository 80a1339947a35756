"""Platform adapters: each maps its platform to the one message model and back."""
