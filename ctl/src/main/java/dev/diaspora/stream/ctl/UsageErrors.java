package dev.diaspora.stream.ctl;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The one-line text of a usage error: picocli's message, a "did you mean" for a mistyped option or command, and where
 * the help is. The suggestions are the names within two edits of the mistyped word (a dropped, added, changed or
 * swapped letter: {@code --nme}, {@code topci}, {@code craete}); when there are none, picocli's own
 * ({@link UnmatchedArgumentException#getSuggestions()}, which picocli would print on lines of their own).
 *
 * <p>Thread safety: stateless.
 */
final class UsageErrors {
    /** At most this many suggestions on the line. */
    static final int MAX_SUGGESTIONS = 3;

    private UsageErrors() {
    }

    /** @return the message for {@code ex}, on one line */
    static String message(ParameterException ex) {
        StringBuilder b = new StringBuilder(DiasporaCtl.oneLine(ex.getMessage()));
        if (ex instanceof UnmatchedArgumentException u) {
            List<String> suggestions = suggestions(u);
            if (!suggestions.isEmpty()) {
                b.append(" (did you mean ").append(String.join(" or ", suggestions.stream().map(x -> "'" + x + "'")
                        .toList())).append("?)");
            }
        }
        return b.append(" (see '").append(ex.getCommandLine().getCommandSpec().qualifiedName()).append(" --help')")
                .toString();
    }

    /**
     * @return the names within two edits of the first unmatched word when there are any (picocli's similarity
     *     misses swapped letters: it offers {@code delete} and {@code describe} for {@code craete}), else picocli's
     *     own suggestions
     */
    static List<String> suggestions(UnmatchedArgumentException u) {
        List<String> close = List.of();
        if (!u.getUnmatched().isEmpty()) {
            String word = u.getUnmatched().get(0);
            CommandSpec spec = u.getCommandLine().getCommandSpec();
            if (word.startsWith("-")) {
                int eq = word.indexOf('=');
                close = close(eq > 0 ? word.substring(0, eq) : word, spec.optionsMap().keySet());
            } else {
                close = close(word, spec.subcommands().keySet());
            }
        }
        if (!close.isEmpty()) {
            return close;
        }
        List<String> picocli = u.getSuggestions();
        return picocli.subList(0, Math.min(MAX_SUGGESTIONS, picocli.size()));
    }

    /** @return the names within two edits of {@code word}, nearest first, at most {@link #MAX_SUGGESTIONS} */
    static List<String> close(String word, Collection<String> names) {
        List<String> out = new ArrayList<>();
        for (int d = 1; d <= 2 && out.size() < MAX_SUGGESTIONS; d++) {
            for (String n : names) {
                if (out.size() < MAX_SUGGESTIONS && distance(word, n) == d && n.length() > 2) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
