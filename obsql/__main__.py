"""`python -m obsql` is the `obsql` command."""
import sys

from obsql.cli import main

sys.exit(main())
