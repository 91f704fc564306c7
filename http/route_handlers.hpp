// Every route's handler, named `on_<verb>_<resource>` as in RESTinio's samples: the route table
// (http/route_table.cpp) names them, each route file defines its own. Internal to vigil_http.
#pragma once

namespace vigil::http {

struct route_call;

// http/routes_health.cpp: the probes, /metrics, the build and the API's contract.
void on_get_health(const route_call& call);
void on_get_livez(const route_call& call);
void on_get_readyz(const route_call& call);
void on_get_metrics(const route_call& call);
void on_get_version(const route_call& call);
void on_get_openapi(const route_call& call);

// http/routes_scheduler.cpp: the scheduler as a whole.
void on_post_scheduler_pause(const route_call& call);
void on_post_scheduler_resume(const route_call& call);
void on_get_cluster(const route_call& call);
void on_post_debug_stall(const route_call& call);  ///< test hook (--test-hooks)

// http/routes_events.cpp: the event log, read by page.
void on_get_events(const route_call& call);

// http/routes_streams.cpp: the snapshot (long poll) and the server-sent-event streams.
void on_get_snapshot(const route_call& call);
void on_get_stream_snapshots(const route_call& call);
void on_get_stream_events(const route_call& call);
void on_get_stream_console(const route_call& call);
void on_get_streams(const route_call& call);

// http/routes_jobs.cpp: job definitions, commands and what the scheduler decides for them.
void on_get_jobs(const route_call& call);
void on_post_jobs(const route_call& call);
void on_get_job(const route_call& call);
void on_put_job(const route_call& call);
void on_delete_job(const route_call& call);
void on_post_job_run(const route_call& call);
void on_post_job_backfill(const route_call& call);
void on_post_job_pause(const route_call& call);
void on_post_job_resume(const route_call& call);
void on_get_job_decisions(const route_call& call);
void on_get_job_next(const route_call& call);
void on_get_preview(const route_call& call);

// http/routes_runs.cpp: a job's runs and what they print.
void on_get_job_runs(const route_call& call);
void on_get_job_run(const route_call& call);
void on_get_job_run_output(const route_call& call);

// http/routes_ui.cpp: the web console's files.
void on_get_ui(const route_call& call);
void on_get_ui_asset(const route_call& call);

}  // namespace vigil::http
