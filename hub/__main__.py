"""`python -m hub …` is `hub …`."""

from hub.cli import main

if __name__ == "__main__":  # not when a worker process (the PDF printer) imports it
    raise SystemExit(main())
