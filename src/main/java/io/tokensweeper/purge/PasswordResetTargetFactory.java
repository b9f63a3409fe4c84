package io.tokensweeper.purge;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.NotEmpty;

/** {@code cleanup.passwordResets}: delete where used (boolean, or a used_at timestamp set) OR expired. */
public class PasswordResetTargetFactory extends TargetFactory {
    @NotEmpty
    private String usedColumn = "used";

    public PasswordResetTargetFactory() {
        super("password_resets", "30 3 * * *");
    }

    @Override
    public JobName job() {
        return JobName.PASSWORD_RESETS;
    }

    @Override
    public String markerColumnKey() {
        return "usedColumn";
    }

    @Override
    public String markerColumn() {
        return usedColumn;
    }

    @Override
    public String configPath() {
        return "cleanup.passwordResets";
    }

    @Override
    public String cronVariable() {
        return "PASSWORD_RESET_CLEANUP_CRON";
    }

    @JsonProperty
    public String getUsedColumn() {
        return usedColumn;
    }

    @JsonProperty
    public void setUsedColumn(String usedColumn) {
        this.usedColumn = usedColumn;
    }
}
