package dev.diaspora.stream.ctl;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The one-line text of a usage error: picocli's message, a "did you mean" for a mistyped option or command, and where
 * the help is. The suggestions are picocli's own ({@link UnmatchedArgumentException#getSuggestions()}, which it would
 * print on lines of their own); when picocli finds none, the names within two edits of the mistyped word (a dropped,
 * added, changed or swapped letter: {@code --nme}, {@code topci}).
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

    static List<String> suggestions(UnmatchedArgumentException u) {
        List<String> picocli = u.getSuggestions();
        if (!picocli.isEmpty() || u.getUnmatched().isEmpty()) {
            return picocli.subList(0, Math.min(MAX_SUGGESTIONS, picocli.size()));
        }
        String word = u.getUnmatched().get(0);
        CommandSpec spec = u.getCommandLine().getCommandSpec();
        if (word.startsWith("-")) {
            int eq = word.indexOf('=');
            return close(eq > 0 ? word.substring(0, eq) : word, spec.optionsMap().keySet());
        }
        return close(word, spec.subcommands().keySet());
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
