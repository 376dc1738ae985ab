package dev.diaspora.stream.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.InvalidOptionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SecretOption}: the one reading of a secret given inline, in a file or in an environment variable. */
class SecretOptionTest {
    private static final String WHERE = "Option 'sasl' of driver 'x'";
    private static final Function<String, String> ENV = Map.of("DIASPORA_SECRET", " s3cret-env\n")::get;

    @TempDir
    Path dir;

    @Test
    void eachOfTheThreeWaysGivesTheSecretAndNoneGivesNull() throws Exception {
        Path file = dir.resolve("secret");
        Files.writeString(file, "s3cret-file\n");
        assertEquals("inline ", SecretOption.read(WHERE, "password", "inline ", null, null, ENV), "inline: as given");
        assertEquals("s3cret-file", SecretOption.read(WHERE, "password", null, file.toString(), null, ENV));
        assertEquals("s3cret-env", SecretOption.read(WHERE, "password", null, null, "DIASPORA_SECRET", ENV));
        assertNull(SecretOption.read(WHERE, "password", null, null, null, ENV));
    }

    @Test
    void twoWaysAtOnceAreRefusedNamingTheKeys() {
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> SecretOption.read(WHERE, "password", "s3cret", null, "DIASPORA_SECRET", ENV));
        assertTrue(e.getMessage().startsWith(WHERE) && e.getMessage().contains("'password', 'password_file' and"
                + " 'password_env' exclude each other: give exactly one of them"), e.getMessage());
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
    }

    @Test
    void anUnreadableFileOrAnUnsetVariableIsNamed() {
        String missing = dir.resolve("missing").toString();
        InvalidOptionException file = assertThrows(InvalidOptionException.class,
                () -> SecretOption.read(WHERE, "password", null, missing, null, ENV));
        assertTrue(file.getMessage().contains("key 'password_file': cannot read '" + missing + "'"),
                file.getMessage());
        InvalidOptionException env = assertThrows(InvalidOptionException.class,
                () -> SecretOption.read(WHERE, "token", null, null, "NO_SUCH_VARIABLE", ENV));
        assertTrue(env.getMessage().contains("key 'token_env': the environment variable 'NO_SUCH_VARIABLE' is not"
                + " set"), env.getMessage());
    }
}
