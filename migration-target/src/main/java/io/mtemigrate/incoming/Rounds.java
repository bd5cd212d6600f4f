package io.mtemigrate.incoming;

import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.proto.RoundEnd;

import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * How far each channel has got through the rounds, and what the source's digest at a round's end said; a value.
 *
 * @param ended       per channel, the last round it ended (-1: none yet)
 * @param confirmed   the last round confirmed to the source with RoundReceived (-1: none)
 * @param digestRound the round whose end carried the source's digest, not yet compared (-1: none pending)
 * @param digestAtEnd that digest
 * @param torn        rounds at whose end the pages applied here differed from the source's digest (torn pre-copy
 *                    pages, sent again later)
 */
record Rounds(long[] ended, long confirmed, long digestRound, long digestAtEnd, int torn) {
    Rounds {
        ended = ended.clone();
    }

    static Rounds none(int channels) {
        long[] ended = new long[channels];
        Arrays.fill(ended, -1);
        return new Rounds(ended, -1, -1, 0, 0);
    }

    @Override
    public long[] ended() {
        return ended.clone();
    }

    /** The round every channel has ended. */
    long everywhere() {
        return Arrays.stream(ended).min().orElse(-1);
    }

    Rounds end(int channel, RoundEnd end) {
        if ((long) end.getRound() <= ended[channel]) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "channel " + channel + " ended round "
                    + end.getRound() + " after round " + ended[channel]);
        }
        long[] next = ended.clone();
        next[channel] = end.getRound();
        boolean digest = channel == 0 && end.hasRamTagsDigest();
        return new Rounds(next, confirmed, digest ? end.getRound() : digestRound,
                digest ? end.getRamTagsDigest() : digestAtEnd, torn);
    }

    /**
     * Compares the pending digest once every channel has ended its round: the source starts the next round only
     * after RoundReceived, so every page of that round is applied by then.
     */
    Rounds settle(LongSupplier appliedDigest) {
        if (digestRound < 0 || everywhere() < digestRound) {
            return this;
        }
        return new Rounds(ended, confirmed, -1, 0, torn + (appliedDigest.getAsLong() != digestAtEnd ? 1 : 0));
    }

    Rounds confirm(long round) {
        return new Rounds(ended, round, digestRound, digestAtEnd, torn);
    }
}
