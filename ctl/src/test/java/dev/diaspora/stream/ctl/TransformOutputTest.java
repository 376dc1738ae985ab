package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TransformOutputTest {
    private static List<Transform.Output> parse(String s) {
        return Transform.parseAll(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldReadObjectsArraysAndNulls() {
        List<Transform.Output> out = parse("{\"metadata\":{\"a\":1}}\n[{\"metadata\":\"x\",\"data\":\"AQI=\"},"
                + "{\"metadata\":2,\"data\":null}]\nnull\n");
        assertEquals(3, out.size());
        assertEquals("{\"a\":1}", out.get(0).metadata().toString());
        assertNull(out.get(0).data(), "no data key: keep the input's data");
        assertArrayEquals(new byte[] {1, 2}, out.get(1).data().toByteArray());
        assertSame(DataView.EMPTY, out.get(2).data());
        assertEquals(0, parse("").size());
        assertEquals(0, parse("[]").size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"meta\":1}", "42", "[1]", "{\"metadata\":1,\"data\":5}",
        "{\"metadata\":1,\"data\":\"@@\"}", "{not json"})
    void shouldRejectMalformedOutput(String s) {
        CtlException e = assertThrows(CtlException.class, () -> parse(s));
        assertTrue(e.getMessage().startsWith("transform output"), e.getMessage());
    }
}
