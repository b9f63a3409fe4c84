package io.tokensweeper.purge;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import io.tokensweeper.cron.CronTranslator;
import io.tokensweeper.cron.InvalidCronException;
import io.tokensweeper.cron.QuartzCron;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

/** The {@code cleanup:} block of config.yml: the two targets and how runs are batched. */
@SelfValidating
public class CleanupFactory {
    /** The zone in which cron expressions are read. */
    @NotNull
    private ZoneId timeZone = ZoneId.of("UTC");

    @Valid
    @NotNull
    private BatchFactory batch = new BatchFactory();

    @Valid
    @NotNull
    private PacingFactory pacing = new PacingFactory();

    @Valid
    @NotNull
    private RefreshTokenTargetFactory refreshTokens = new RefreshTokenTargetFactory();

    @Valid
    @NotNull
    private PasswordResetTargetFactory passwordResets = new PasswordResetTargetFactory();

    @JsonProperty
    public ZoneId getTimeZone() {
        return timeZone;
    }

    @JsonProperty
    public void setTimeZone(ZoneId timeZone) {
        this.timeZone = timeZone;
    }

    @JsonProperty
    public BatchFactory getBatch() {
        return batch;
    }

    @JsonProperty
    public void setBatch(BatchFactory batch) {
        this.batch = batch;
    }

    @JsonProperty
    public PacingFactory getPacing() {
        return pacing;
    }

    @JsonProperty
    public void setPacing(PacingFactory pacing) {
        this.pacing = pacing;
    }

    /** What the engine runs with: the batch block, paced as the pacing block says. */
    public BatchSettings batchSettings() {
        return batch.build().withPacing(pacing.build());
    }

    @JsonProperty
    public RefreshTokenTargetFactory getRefreshTokens() {
        return refreshTokens;
    }

    @JsonProperty
    public void setRefreshTokens(RefreshTokenTargetFactory refreshTokens) {
        this.refreshTokens = refreshTokens;
    }

    @JsonProperty
    public PasswordResetTargetFactory getPasswordResets() {
        return passwordResets;
    }

    @JsonProperty
    public void setPasswordResets(PasswordResetTargetFactory passwordResets) {
        this.passwordResets = passwordResets;
    }

    /** Quartz reads the zone as a java.util.TimeZone, which takes an id it does not know, such as UTC+05:30, as GMT. */
    @SelfValidation
    public void validateTimeZoneReadAlikeByQuartz(ViolationCollector violations) {
        if (timeZone != null && !QuartzCron.timeZone(timeZone).toZoneId().getRules().equals(timeZone.getRules())) {
            violations.addViolation("timeZone", "'{zone}' would be read by Quartz as GMT; write the offset as {offset}"
                    + " or GMT{offset}", Map.of("zone", timeZone.getId(), "offset", timeZone.normalized().getId()));
        }
    }

    /** The pacer's pauses grow from batch.pause up to pacing.maxPause: the two must not be the wrong way round. */
    @SelfValidation
    public void validatePacingAboveBatchPause(ViolationCollector violations) {
        if (batch != null && pacing != null && pacing.isEnabled() && batch.getPause() != null
                && pacing.getMaxPause() != null
                && pacing.getMaxPause().toNanoseconds() < batch.getPause().toNanoseconds()) {
            violations.addViolation("pacing.maxPause", "{max} must be at least batch.pause {pause}, the pause it"
                    + " grows from", Map.of("max", pacing.getMaxPause().toString(), "pause", batch.getPause().toString()));
        }
    }

    /** A retention longer than a century is refused, naming it: see {@link TargetFactory#exactRetention}. */
    @SelfValidation
    public void validateRetentions(ViolationCollector violations) {
        validateRetention(violations, "refreshTokens", refreshTokens);
        validateRetention(violations, "passwordResets", passwordResets);
    }

    private static void validateRetention(ViolationCollector violations, String key, TargetFactory target) {
        if (target != null && target.getRetention() != null && target.exactRetention().isEmpty()) {
            violations.addViolation(key + ".retention", "{retention} is longer than {max}, the longest retention"
                    + " taken", Map.of("retention", target.getRetention().toString(), "max",
                    TargetFactory.MAX_RETENTION.toDays() + " days"));
        }
    }

    /**
     * The two jobs purge two tables by two rules: on one table, the one with the shorter retention or the other
     * marker column would delete rows the other's setting keeps.
     */
    @SelfValidation
    public void validateDistinctTables(ViolationCollector violations) {
        if (refreshTokens != null && passwordResets != null && refreshTokens.isEnabled() && passwordResets.isEnabled()
                && refreshTokens.getSchema() != null && refreshTokens.getSchema().equals(passwordResets.getSchema())
                && refreshTokens.getTable() != null && refreshTokens.getTable().equals(passwordResets.getTable())) {
            violations.addViolation("passwordResets.table", "{schema}.{table} is also refreshTokens.table: each job"
                    + " purges its own table by its own rules, and one would delete rows the other's settings keep;"
                    + " disable one job", Map.of("schema", passwordResets.getSchema(), "table", passwordResets.getTable()));
        }
    }

    /**
     * Each target's cron, checked in this one place: what {@link CronTranslator} refuses, and, for an enabled
     * target, an expression that never fires again (a past year, 31 February), which Quartz refuses at start.
     */
    @SelfValidation
    public void validateCrons(ViolationCollector violations) {
        validateCron(violations, "refreshTokens", refreshTokens);
        validateCron(violations, "passwordResets", passwordResets);
    }

    private void validateCron(ViolationCollector violations, String key, TargetFactory target) {
        if (target == null || target.getCron() == null || target.getCron().isEmpty()) {
            return;
        }
        String quartz;
        try {
            quartz = CronTranslator.toQuartz(target.getCron());
        } catch (InvalidCronException e) {
            violations.addViolation(key + ".cron", "is not a valid cron expression '{cron}': {reason} ({variable})",
                    Map.of("cron", target.getCron(), "reason", e.getMessage(), "variable", target.cronVariable()));
            return;
        }
        if (target.isEnabled() && timeZone != null
                && QuartzCron.nextFireAfter(quartz, timeZone, Instant.now()).isEmpty()) {
            violations.addViolation(key + ".cron", "'{cron}' never fires again, read in {zone} ({variable})",
                    Map.of("cron", target.getCron(), "zone", timeZone.getId(), "variable", target.cronVariable()));
        }
    }

    public List<TargetFactory> targets() {
        return List.of(refreshTokens, passwordResets);
    }

    public TargetFactory target(JobName job) {
        return job == JobName.REFRESH_TOKENS ? refreshTokens : passwordResets;
    }
}
