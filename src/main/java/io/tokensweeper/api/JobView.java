package io.tokensweeper.api;

/** A job as GET /jobs shows it. */
public record JobView(String name, boolean enabled, String cron, String quartzCron, String timeZone,
                      String nextFireTime, RunView lastRun) {
}
