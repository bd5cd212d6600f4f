package io.mtemigrate.host;

import io.mtemigrate.source.Postcopy;

import java.util.Locale;

/**
 * The words for when a migration switches to post-copy, one syntax for the command line ({@code --postcopy=WHEN})
 * and the control API ({@code MigrationOptions.postcopy}), so that both accept and refuse the same values:
 * {@code start}, {@code first-pass}, {@code rounds:N}, {@code when-stuck}, {@code on-request}.
 */
public final class PostcopyPlans {
    /** What a refusal lists, in the words a user types. */
    public static final String ACCEPTED = "start, first-pass, rounds:N (N >= 1), when-stuck or on-request";
    private static final String ROUNDS = "rounds:";

    private PostcopyPlans() {
    }

    /**
     * The plan {@code when} names, with the default recovery timeout.
     *
     * @throws IllegalArgumentException naming the value and {@link #ACCEPTED}
     */
    public static Postcopy parse(String when) {
        String word = when.trim().toLowerCase(Locale.ROOT);
        switch (word) {
            case "start":
                return Postcopy.of(Postcopy.When.START);
            case "first-pass":
                return Postcopy.of(Postcopy.When.FIRST_PASS);
            case "when-stuck":
                return Postcopy.of(Postcopy.When.WHEN_STUCK);
            case "on-request":
                return Postcopy.of(Postcopy.When.ON_REQUEST);
            default:
                break;
        }
        if (word.startsWith(ROUNDS)) {
            String count = word.substring(ROUNDS.length());
            int rounds;
            try {
                rounds = Integer.parseInt(count);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + when + "': the rounds before the switch must be a whole"
                        + " number, not '" + count + "'; expected " + ACCEPTED);
            }
            if (rounds < 1) {
                throw new IllegalArgumentException("'" + when + "': at least 1 round before the switch"
                        + " (first-pass switches right after the first pass); expected " + ACCEPTED);
            }
            return Postcopy.afterRounds(rounds);
        }
        throw new IllegalArgumentException("'" + when + "' is not a moment to switch to post-copy; expected " + ACCEPTED);
    }

    /** The words {@link #parse} reads back as {@code plan}'s moment; empty for {@link Postcopy.When#OFF}. */
    public static String format(Postcopy plan) {
        return switch (plan.when()) {
            case OFF -> "";
            case START -> "start";
            case FIRST_PASS -> "first-pass";
            case AFTER_ROUNDS -> ROUNDS + plan.afterRounds();
            case WHEN_STUCK -> "when-stuck";
            case ON_REQUEST -> "on-request";
        };
    }

    /**
     * Refuses a switch after more rounds than pre-copy runs: the migration would give up before it.
     *
     * @param limitName how the user gives {@code maxRounds}, for the message
     * @throws IllegalArgumentException saying which limit to raise
     */
    public static void requireReachable(Postcopy plan, int maxRounds, String limitName) {
        if (plan.when() == Postcopy.When.AFTER_ROUNDS && plan.afterRounds() > maxRounds) {
            throw new IllegalArgumentException(format(plan) + " would never switch: pre-copy gives up after "
                    + maxRounds + " rounds (" + limitName + "); raise it or switch sooner");
        }
    }
}
