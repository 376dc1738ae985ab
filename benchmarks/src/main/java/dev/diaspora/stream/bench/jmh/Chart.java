package dev.diaspora.stream.bench.jmh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes an SVG bar chart from a JMH JSON result file ({@code -rf json}): one panel per benchmark class and
 * parameter set, one bar per method (our code next to its baselines), each panel scaled to its own maximum.
 * Usage: {@code Chart results.json... out.svg} (a later file's result replaces an earlier one's for the same
 * benchmark and parameters).
 */
public final class Chart {
    private static final String[] COLORS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"};

    private Chart() {
    }

    record Bar(String method, double score, String unit) {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: Chart results.json... out.svg");
            System.exit(2);
        }
        // later files replace earlier results of the same benchmark and parameters
        ObjectMapper om = new ObjectMapper();
        Map<String, JsonNode> merged = new LinkedHashMap<>();
        for (int i = 0; i < args.length - 1; i++) {
            for (JsonNode r : om.readTree(Path.of(args[i]).toFile())) {
                merged.put(r.path("benchmark").asText() + r.path("params"), r);
            }
        }
        Files.writeString(Path.of(args[args.length - 1]), svg(om.valueToTree(new ArrayList<>(merged.values()))),
                StandardCharsets.UTF_8);
    }

    static String svg(JsonNode results) {
        Map<String, List<Bar>> panels = new LinkedHashMap<>();
        for (JsonNode r : results) {
            String full = r.path("benchmark").asText();
            int dot = full.lastIndexOf('.');
            String cls = full.substring(full.lastIndexOf('.', dot - 1) + 1, dot);
            StringBuilder params = new StringBuilder();
            r.path("params").fields().forEachRemaining(e -> params.append(' ').append(e.getKey()).append('=')
                    .append(e.getValue().asText()));
            JsonNode pm = r.path("primaryMetric");
            panels.computeIfAbsent(cls + params, k -> new ArrayList<>())
                    .add(new Bar(full.substring(dot + 1), pm.path("score").asDouble(), pm.path("scoreUnit").asText()));
        }
        int width = 900;
        int barH = 18;
        int labelW = 260;
        StringBuilder sb = new StringBuilder();
        int y = 30;
        StringBuilder body = new StringBuilder();
        for (Map.Entry<String, List<Bar>> p : panels.entrySet()) {
            body.append(String.format(Locale.ROOT,
                    "<text x=\"10\" y=\"%d\" font-weight=\"bold\" font-size=\"13\">%s</text>%n", y, esc(p.getKey())));
            y += 8;
            double max = p.getValue().stream().mapToDouble(Bar::score).max().orElse(1);
            int i = 0;
            for (Bar b : p.getValue()) {
                int w = (int) Math.round((width - labelW - 170) * (b.score() / max));
                body.append(String.format(Locale.ROOT,
                        "<text x=\"20\" y=\"%d\" font-size=\"12\">%s</text>"
                                + "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
                                + "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s %s</text>%n",
                        y + barH - 5, esc(b.method()), labelW, y, Math.max(1, w), barH - 4,
                        COLORS[i++ % COLORS.length], labelW + w + 6, y + barH - 5, fmt(b.score()), esc(b.unit())));
                y += barH;
            }
            y += 18;
        }
        sb.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\">%n",
                width, y));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append("<text x=\"10\" y=\"18\" font-size=\"14\">Diaspora JMH results: each panel scaled to its own "
                + "maximum (our code next to its baselines)</text>\n");
        sb.append(body).append("</svg>\n");
        return sb.toString();
    }

    static String fmt(double v) {
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%.2fM", v / 1e6);
        }
        if (v >= 1e4) {
            return String.format(Locale.ROOT, "%.1fk", v / 1e3);
        }
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
