"""Running Airflow 3 next to the local stack and talking to its REST API v2.

``newswire airflow up|down|status`` (:mod:`newswire.airflow.manager`), the REST client
(:mod:`newswire.airflow.client`) and the pools and variables the DAGs need
(:mod:`newswire.airflow.bootstrap`). Nothing here imports Airflow itself.
"""
