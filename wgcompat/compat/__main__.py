import sys

from wgcompat.compat.cli import main

sys.exit(main())
