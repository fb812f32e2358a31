"""Lambda handler: one app, built at cold start (ir_vpc_guard/application.py); nothing else.

Two triggers reach it: the EventBridge rule on CreateInferenceRecommendationsJob CloudTrail
records (returns the job's report) and the catch-up schedule (returns a sweep summary).
An event the engine cannot use is skipped with a logged reason and never raises; a report
that cannot be published raises, so Lambda retries the invocation and then sends it to the
DLQ. Settings are read once, at cold start: a bad setting fails the function loudly.
"""

from __future__ import annotations

from ir_vpc_guard.application import cold_start

APP = cold_start()
# The dispatch, with Powertools' logging, tracing and metrics around it: the schedule's event
# goes to APP.sweep, anything else to APP.check_event.
lambda_handler = APP.lambda_handler
