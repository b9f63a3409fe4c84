package io.tokensweeper.api;

/** A job as GET /jobs shows it. */
public record JobView(String name, boolean enabled, boolean paused, String cron, String quartzCron,
                      String timeZone, String nextFireTime, RunView lastRun) {
}
