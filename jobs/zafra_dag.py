"""Airflow DAG: one zafra run per logical date (backfills give the same result
as the run made on that day). Exit code 4 (a different snapshot exists) fails
the task on purpose: re-run with --replace only after review."""
from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG(
    dag_id="zafra_nightly",
    start_date=datetime(2025, 7, 1),
    schedule="30 2 * * *",
    catchup=True,
    max_active_runs=1,
) as dag:
    BashOperator(
        task_id="zafra_run",
        bash_command="zafra run --config /srv/zafra/jobs/nightly.toml --as-of {{ ds }} --log-format json",
    )
