package io.tokensweeper.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.configuration.ConfigurationFactory;
import io.dropwizard.configuration.ConfigurationFactoryFactory;
import io.dropwizard.configuration.ConfigurationSourceProvider;
import io.dropwizard.core.Configuration;
import io.dropwizard.logging.common.AppenderFactory;
import io.dropwizard.logging.common.ConsoleAppenderFactory;
import io.dropwizard.logging.common.DefaultLoggingFactory;
import io.dropwizard.logging.common.LoggingFactory;
import jakarta.validation.Validator;
import java.io.IOException;

/**
 * Parses the configuration as the application does, then points every console appender of its
 * {@code logging:} block at stderr. For a command whose stdout is its result: ConfiguredCommand configures
 * logging from the parsed configuration before the command runs, so this is the one place to change it
 * without touching config.yml, which {@code server} shares. File and syslog appenders are left as they are.
 */
final class ConsoleLogsToStderr<T extends Configuration> implements ConfigurationFactoryFactory<T> {
    private final ConfigurationFactoryFactory<T> delegate;

    ConsoleLogsToStderr(ConfigurationFactoryFactory<T> delegate) {
        this.delegate = delegate;
    }

    @Override
    public ConfigurationFactory<T> create(Class<T> klass, Validator validator, ObjectMapper objectMapper,
                                          String propertyPrefix) {
        ConfigurationFactory<T> parser = delegate.create(klass, validator, objectMapper, propertyPrefix);
        return new ConfigurationFactory<>() {
            @Override
            public T build(ConfigurationSourceProvider provider, String path)
                    throws IOException, ConfigurationException {
                return redirected(parser.build(provider, path));
            }

            @Override
            public T build() throws IOException, ConfigurationException {
                return redirected(parser.build());
            }
        };
    }

    private static <T extends Configuration> T redirected(T configuration) {
        LoggingFactory logging = configuration.getLoggingFactory();
        if (logging instanceof DefaultLoggingFactory defaults) {
            for (AppenderFactory<ILoggingEvent> appender : defaults.getAppenders()) {
                if (appender instanceof ConsoleAppenderFactory<ILoggingEvent> console) {
                    console.setTarget(ConsoleAppenderFactory.ConsoleStream.STDERR);
                }
            }
        }
        return configuration;
    }
}
