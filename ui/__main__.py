"""``python -m ui``: serve the chat app (same options as ``uca chat``)."""

import sys

from ui.cli import main

if __name__ == "__main__":
    sys.exit(main())
