"""The chat UI (``uca chat``): a Gradio app over the assistant. Nothing imports this package."""
