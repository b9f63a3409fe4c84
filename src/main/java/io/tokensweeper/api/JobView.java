package io.tokensweeper.api;

import java.util.List;

/**
 * A job as GET /jobs shows it; sideEffects is empty for a disabled job, whose table is not looked at. partitioning
 * describes a partitioned target as the catalog has it now; null for an ordinary table.
 */
public record JobView(String name, boolean enabled, boolean paused, String cron, String quartzCron,
                      String timeZone, String nextFireTime, RunView lastRun, List<SideEffectView> sideEffects,
                      String partitioning) {
}
