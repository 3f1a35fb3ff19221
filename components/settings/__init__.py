"""Each layer's settings model and its checks, one module per layer; `components.config`
composes them into the stack's one model and validates it as a whole."""
