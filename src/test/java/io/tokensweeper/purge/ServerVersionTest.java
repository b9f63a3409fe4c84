package io.tokensweeper.purge;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ServerVersionTest {
    @Test
    void postgres13IsRefusedWithTheReason() {
        assertThatThrownBy(() -> ServerVersion.check(130_012, "13.12"))
                .isInstanceOf(TargetConfigurationException.class)
                .hasMessageContaining("PostgreSQL 13.12 is too old").hasMessageContaining("14 or newer")
                .hasMessageContaining("TID range scans");
    }

    @Test
    void postgres14AndNewerAreAccepted() {
        assertThatCode(() -> ServerVersion.check(140_000, "14.0")).doesNotThrowAnyException();
        assertThatCode(() -> ServerVersion.check(180_006, "18.6")).doesNotThrowAnyException();
    }
}
