import sys

from motools.cli import console

sys.exit(console())
