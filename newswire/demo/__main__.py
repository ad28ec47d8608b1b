"""``python -m newswire.demo``: see :mod:`newswire.demo.runner`."""

from newswire.demo.runner import main

raise SystemExit(main())
