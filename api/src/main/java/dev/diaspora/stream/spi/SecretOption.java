package dev.diaspora.stream.spi;

import dev.diaspora.stream.InvalidOptionException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * A secret (a password, a token) that driver options give one of three ways, so that it need not stand in a
 * configuration file: inline under a key ({@code password}), as the path of a file holding it ({@code password_file}),
 * or as the name of an environment variable holding it ({@code password_env}). The file's content and the variable's
 * value are stripped of leading and trailing white space (a file usually ends with a newline). Messages name the keys
 * and the file or the variable, never the secret.
 *
 * <p>Thread safety: stateless (static methods only).
 */
public final class SecretOption {
    private SecretOption() {
    }

    /**
     * @param where what the keys belong to, for messages (for example "Option 'sasl' of driver 'kafka'")
     * @param key the inline key; the other two are {@code key + "_file"} and {@code key + "_env"}
     * @param inline the value under {@code key}, or null if absent
     * @param file the value under {@code key_file} (a path), or null if absent
     * @param variable the value under {@code key_env} (a variable name), or null if absent
     * @param env looks an environment variable up ({@code System::getenv} outside tests)
     * @return the secret, or null when none of the three is given (the caller decides: a default or an error)
     * @throws InvalidOptionException if more than one is given, the file cannot be read, or the variable is not set
     */
    public static String read(String where, String key, String inline, String file, String variable,
            Function<String, String> env) {
        int given = (inline != null ? 1 : 0) + (file != null ? 1 : 0) + (variable != null ? 1 : 0);
        if (given > 1) {
            throw new InvalidOptionException(where + ": '" + key + "', '" + key + "_file' and '" + key + "_env' exclude"
                    + " each other: give exactly one of them");
        }
        if (inline != null) {
            return inline;
        }
        if (file != null) {
            try {
                return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
            } catch (IOException | RuntimeException e) { // RuntimeException: a malformed path, undecodable bytes
                throw new InvalidOptionException(where + ": key '" + key + "_file': cannot read '" + file + "' ("
                        + e.getClass().getSimpleName() + "); give a readable file holding the " + key, e);
            }
        }
        if (variable != null) {
            String value = env.apply(variable);
            if (value == null) {
                throw new InvalidOptionException(where + ": key '" + key + "_env': the environment variable '"
                        + variable + "' is not set; export it with the " + key);
            }
            return value.strip();
        }
        return null;
    }
}
