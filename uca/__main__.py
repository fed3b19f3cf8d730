import sys

from uca.cli import main

sys.exit(main())
