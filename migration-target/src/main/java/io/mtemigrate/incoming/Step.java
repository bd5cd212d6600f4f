package io.mtemigrate.incoming;

import java.util.List;

/**
 * The outcome of one {@link Receiver#step}: the next state and what to do about it.
 *
 * @param refusedJoin a channel that may not join, refused on its own (the migration goes on); null otherwise
 */
record Step(ReceiverState next, List<Effect> effects, MigrationAbort refusedJoin) {
    Step {
        effects = List.copyOf(effects);
    }

    static Step to(ReceiverState next, Effect... effects) {
        return new Step(next, List.of(effects), null);
    }

    static Step refuseJoin(ReceiverState state, MigrationAbort refusal) {
        return new Step(state, List.of(), refusal);
    }
}
