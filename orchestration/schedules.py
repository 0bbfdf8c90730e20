"""The daily monitoring schedule: dbt build of every model and test, KS drift, drift marts."""


import dagster as dg

from orchestration.assets.keys import REASON_TAG, TRIGGER_TAG
from orchestration.jobs import monitoring_job


@dg.schedule(job=monitoring_job, cron_schedule="0 6 * * *", execution_timezone="UTC",
             description="Every day at 06:00 UTC: dbt build, KS drift on the new days, drift marts")
def daily_monitoring(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = context.scheduled_execution_time.date().isoformat()
    reason = f"daily monitoring of {day}"
    context.log.info(f"requesting monitoring: {reason}")
    return dg.RunRequest(run_key=f"monitoring:{day}",
                         tags={TRIGGER_TAG: "schedule", REASON_TAG: reason})
