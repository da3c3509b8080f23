"""`python -m hub …` is `hub …`."""

from hub.cli import main

raise SystemExit(main())
