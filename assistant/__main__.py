import sys

from uca.cli import main

sys.exit(main(["ask", *sys.argv[1:]]))
