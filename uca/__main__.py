from uca.cli import main
import sys

sys.exit(main())
