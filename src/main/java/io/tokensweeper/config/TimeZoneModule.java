package io.tokensweeper.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.ZoneId;

/**
 * Time zones in config.yml with an error that shows the value: Jackson's own only says "expected: ZoneId",
 * which leaves the operator guessing which CLEANUP_TIME_ZONE the node actually saw.
 */
public final class TimeZoneModule extends SimpleModule {
    private static final long serialVersionUID = 1L;

    public TimeZoneModule() {
        super("token-sweeper-time-zones");
        addDeserializer(ZoneId.class, new ZoneIdDeserializer());
    }

    private static final class ZoneIdDeserializer extends StdScalarDeserializer<ZoneId> {
        private static final long serialVersionUID = 1L;

        ZoneIdDeserializer() {
            super(ZoneId.class);
        }

        @Override
        public ZoneId deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            String text = parser.getValueAsString();
            try {
                return ZoneId.of(text == null ? "" : text.trim());
            } catch (DateTimeException e) {
                throw new NotATimeZoneException(parser, "'" + text + "' is not a time zone: use a region such as"
                        + " Europe/Berlin or America/New_York, or UTC");
            }
        }
    }

    /** Dropwizard prints the message after the key; Jackson's source location and Java class path add nothing. */
    private static final class NotATimeZoneException extends JsonMappingException {
        private static final long serialVersionUID = 1L;

        NotATimeZoneException(JsonParser parser, String message) {
            super(parser, message);
        }

        @Override
        public String getMessage() {
            return getOriginalMessage();
        }
    }
}
