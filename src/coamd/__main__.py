"""``python -m coamd`` (and ``torchrun -m coamd``) runs the CLI."""

from .cli import main

raise SystemExit(main())
