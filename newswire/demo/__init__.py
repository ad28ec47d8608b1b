"""``make demo``: the pipeline through the Airflow scheduler on a bundled sample news site.

:mod:`newswire.demo.website` serves the site, :mod:`newswire.demo.receivers` plays the
subscribers, :mod:`newswire.demo.summary` computes the figures and :mod:`newswire.demo.runner`
chains it all (``main``).
"""
