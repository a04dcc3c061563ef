"""Authors: content health, module preview and item analysis."""
