import sys

from motools.cli.main import main

sys.exit(main())
