package dev.diaspora.stream.ctl;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * Sets log levels from {@code --logging}. Logs go to stderr through SLF4J and the logback binding that only this
 * module carries (configured by {@code logback.xml}: the tool at info, libraries at warn).
 *
 * <p>Thread safety: call from the main thread before the command runs.
 */
final class Logging {
    private static final String TOOL = "dev.diaspora.stream.ctl";

    private Logging() {
    }

    /**
     * Sets the tool's and the libraries' level.
     *
     * @throws CtlException if the level is not one of trace, debug, info, warn, error, critical, off
     */
    static void apply(String level) {
        if (level == null) {
            return;
        }
        String l = level.toLowerCase(Locale.ROOT);
        Level parsed;
        switch (l) {
            case "trace": parsed = Level.TRACE; break;
            case "debug": parsed = Level.DEBUG; break;
            case "info": parsed = Level.INFO; break;
            case "warn": case "warning": parsed = Level.WARN; break;
            case "error": case "critical": parsed = Level.ERROR; break;
            case "off": parsed = Level.OFF; break;
            default:
                throw new CtlException("invalid value '" + level
                        + "' for option '--logging': expected trace, debug, info, warn, error, critical or off");
        }
        if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof Logger root) {
            root.setLevel(parsed);
            ((Logger) LoggerFactory.getLogger(TOOL)).setLevel(parsed);
        }
    }
}
